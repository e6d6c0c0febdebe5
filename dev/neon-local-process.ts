// Runs the local Neon endpoint in its own Node process, so nothing else on an event loop (a load generator,
// wrangler's output) delays the bytes it forwards. Run directly, it serves until stopped and prints its address.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startNeonLocal, type NeonLocal } from './neon-local.ts';

const self = fileURLToPath(import.meta.url);

export async function startNeonLocalProcess(port = 0): Promise<NeonLocal> {
  const child = spawn(process.execPath, [self, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const address = await new Promise<{ port: number; sqlUrl: string; wsProxyHost: string }>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the local Neon endpoint exited with code ${code}`)));
    lines.once('line', (line) => resolve(JSON.parse(line) as { port: number; sqlUrl: string; wsProxyHost: string }));
  });
  return {
    ...address,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

if (process.argv[1] === self) {
  const neon = await startNeonLocal({ port: Number(process.argv[2] ?? 0), testControls: false });
  process.stdout.write(`${JSON.stringify({ port: neon.port, sqlUrl: neon.sqlUrl, wsProxyHost: neon.wsProxyHost })}\n`);
  const stop = () => void neon.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
