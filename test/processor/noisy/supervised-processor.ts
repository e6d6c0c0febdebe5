// The real processor (processor/main.ts) as a child process under a restart-on-crash supervisor, its memory sampled from /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

// NOISY_PROCESSOR_MAIN: another checkout's processor/main.ts (the figures before a change, against today's edge and queue).
/** The processor's heap cap, as its container runs it (Dockerfile: NODE_OPTIONS). */
const PROCESSOR_NODE_OPTIONS = '--max-old-space-size=512';
const MAIN = process.env['NOISY_PROCESSOR_MAIN'] ?? fileURLToPath(new URL('../../../processor/main.ts', import.meta.url));
const SAMPLE_EVERY_MS = 200;
const RESTART_AFTER_MS = 1000;

export interface ProcessorExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** ms since the supervisor started */
  atMs: number;
  /** the peak resident set of that incarnation (VmHWM, sampled up to its last moment) */
  peakRssBytes: number;
  stderrTail: string;
}

export interface SupervisedProcessor {
  /** Starts the first incarnation and resolves once it logs "processor started". */
  start(): Promise<void>;
  /** SIGTERM (SIGKILL after `graceMs`), and no more restarts. */
  stop(graceMs?: number): Promise<void>;
  /** unexpected exits (crashes), each followed by a restart as a container's restart policy would */
  readonly crashes: ProcessorExit[];
  /** the highest VmHWM of any incarnation so far */
  peakRssBytes(): number;
  /** the latest VmRSS sample (0 between incarnations) */
  currentRssBytes(): number;
  /** log lines by `msg`, and the last few warnings and errors */
  readonly logCounts: Map<string, number>;
  readonly recentProblems: string[];
}

/** Reads VmRSS and VmHWM (kB in /proc) as bytes; null once the process is gone. */
async function readMemory(pid: number): Promise<{ rss: number; hwm: number } | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return { rss: field('VmRSS'), hwm: field('VmHWM') };
  } catch {
    return null;
  }
}

export function superviseProcessor(env: Record<string, string>): SupervisedProcessor {
  const started = Date.now();
  const crashes: ProcessorExit[] = [];
  const logCounts = new Map<string, number>();
  const recentProblems: string[] = [];
  let child: ChildProcess | null = null;
  let stopping = false;
  let peak = 0;
  let current = 0;
  let onStarted: (() => void) | null = null;

  const note = (text: string) => {
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(text) as Record<string, unknown>;
    } catch {
      line = { level: 'unparsed', msg: text.slice(0, 200) };
    }
    const msg = String(line['msg']);
    logCounts.set(msg, (logCounts.get(msg) ?? 0) + 1);
    if (msg === 'processor started') onStarted?.();
    if (line['level'] !== 'info' && line['level'] !== 'debug') {
      recentProblems.push(text.slice(0, 500));
      if (recentProblems.length > 20) recentProblems.shift();
    }
  };

  // A test runner that exits early must not leave a processor behind, claiming the test database's messages.
  const killOnExit = () => child?.kill('SIGKILL');
  process.once('exit', killOnExit);

  const launch = (): void => {
    const proc = spawn(process.execPath, [MAIN], { env: { PATH: process.env['PATH'] ?? '', NODE_OPTIONS: PROCESSOR_NODE_OPTIONS, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let incarnationPeak = 0;
    let buffer = '';
    proc.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      let newline;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        note(buffer.slice(0, newline));
        buffer = buffer.slice(newline + 1);
      }
    });
    let stderr = '';
    proc.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-4000)));
    const sampler = setInterval(() => {
      void readMemory(proc.pid!).then((memory) => {
        if (memory === null || proc.exitCode !== null || proc.signalCode !== null) return;
        current = memory.rss;
        incarnationPeak = Math.max(incarnationPeak, memory.hwm);
        peak = Math.max(peak, incarnationPeak);
      });
    }, SAMPLE_EVERY_MS);
    proc.once('exit', (code, signal) => {
      clearInterval(sampler);
      current = 0;
      if (stopping) return;
      crashes.push({ code, signal, atMs: Date.now() - started, peakRssBytes: incarnationPeak, stderrTail: stderr.slice(-1500) });
      setTimeout(() => {
        if (!stopping) launch();
      }, RESTART_AFTER_MS);
    });
  };

  return {
    crashes,
    logCounts,
    recentProblems,
    peakRssBytes: () => peak,
    currentRssBytes: () => current,
    start: () => new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the processor did not start within 60 s: ${recentProblems.join('\n')}`)), 60_000);
      onStarted = () => {
        clearTimeout(timer);
        onStarted = null;
        resolve();
      };
      launch();
    }),
    async stop(graceMs = 30_000) {
      stopping = true;
      process.off('exit', killOnExit);
      const proc = child;
      if (proc === null || proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      // the last samples: VmHWM is only readable while the process lives
      const memory = await readMemory(proc.pid!);
      if (memory !== null) peak = Math.max(peak, memory.hwm);
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
