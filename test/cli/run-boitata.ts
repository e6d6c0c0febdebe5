// `bin/boitata.js` as an operator runs it: a child process with this environment, its output and exit code.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface CliResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** `stdin`: what the command reads from its standard input (closed at once when given). */
export async function runBoitata(args: readonly string[], env: NodeJS.ProcessEnv, stdin?: string): Promise<CliResult> {
  try {
    const running = run(process.execPath, ['bin/boitata.js', ...args], { env });
    if (stdin !== undefined) running.child.stdin?.end(stdin);
    const { stdout, stderr } = await running;
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const failed = error as CliResult;
    return { stdout: failed.stdout, stderr: failed.stderr, code: failed.code };
  }
}
