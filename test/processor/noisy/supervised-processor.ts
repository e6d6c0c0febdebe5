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

/** What the supervisor and its incarnations share: set up once, mutated as processes come and go. */
interface SupervisorState {
  readonly env: Record<string, string>;
  readonly started: number;
  readonly crashes: ProcessorExit[];
  readonly logCounts: Map<string, number>;
  readonly recentProblems: string[];
  child: ChildProcess | null;
  stopping: boolean;
  peak: number;
  current: number;
  onStarted: (() => void) | null;
}

export function superviseProcessor(env: Record<string, string>): SupervisedProcessor {
  const state: SupervisorState = {
    env,
    started: Date.now(),
    crashes: [],
    logCounts: new Map(),
    recentProblems: [],
    child: null,
    stopping: false,
    peak: 0,
    current: 0,
    onStarted: null,
  };
  // A test runner that exits early must not leave a processor behind, claiming the test database's messages.
  const killOnExit = () => state.child?.kill('SIGKILL');
  process.once('exit', killOnExit);

  return {
    crashes: state.crashes,
    logCounts: state.logCounts,
    recentProblems: state.recentProblems,
    peakRssBytes: () => state.peak,
    currentRssBytes: () => state.current,
    start: () => startFirstIncarnation(state),
    async stop(graceMs = 30_000) {
      state.stopping = true;
      process.off('exit', killOnExit);
      await stopIncarnation(state, graceMs);
    },
  };
}

function startFirstIncarnation(state: SupervisorState): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the processor did not start within 60 s: ${state.recentProblems.join('\n')}`)), 60_000);
    state.onStarted = () => {
      clearTimeout(timer);
      state.onStarted = null;
      resolve();
    };
    launchIncarnation(state);
  });
}

/** Spawns one processor; when it dies unasked, records the crash and launches the next after `RESTART_AFTER_MS`. */
function launchIncarnation(state: SupervisorState): void {
  const proc = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env['PATH'] ?? '', NODE_OPTIONS: PROCESSOR_NODE_OPTIONS, ...state.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  state.child = proc;
  forEachLine(proc.stdout!, (line) => noteLogLine(state, line));
  let stderr = '';
  proc.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-4000)));
  const memory = sampleMemory(state, proc);
  proc.once('exit', (code, signal) => {
    memory.stop();
    state.current = 0;
    if (state.stopping) return;
    state.crashes.push({ code, signal, atMs: Date.now() - state.started, peakRssBytes: memory.incarnationPeak(), stderrTail: stderr.slice(-1500) });
    setTimeout(() => {
      if (!state.stopping) launchIncarnation(state);
    }, RESTART_AFTER_MS);
  });
}

function forEachLine(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buffer = '';
  stream.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    let newline;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      onLine(buffer.slice(0, newline));
      buffer = buffer.slice(newline + 1);
    }
  });
}

/** Counts a log line by `msg`, keeps it if it is a warning or an error, and notices the processor's start. */
function noteLogLine(state: SupervisorState, text: string): void {
  let line: Record<string, unknown>;
  try {
    line = JSON.parse(text) as Record<string, unknown>;
  } catch {
    line = { level: 'unparsed', msg: text.slice(0, 200) };
  }
  const msg = String(line['msg']);
  state.logCounts.set(msg, (state.logCounts.get(msg) ?? 0) + 1);
  if (msg === 'processor started') state.onStarted?.();
  if (line['level'] !== 'info' && line['level'] !== 'debug') {
    state.recentProblems.push(text.slice(0, 500));
    if (state.recentProblems.length > 20) state.recentProblems.shift();
  }
}

/** Samples one incarnation's memory every `SAMPLE_EVERY_MS` while it lives, raising the supervisor's peak as it goes. */
function sampleMemory(state: SupervisorState, proc: ChildProcess): { stop(): void; incarnationPeak(): number } {
  let incarnationPeak = 0;
  const sampler = setInterval(() => {
    void readMemory(proc.pid!).then((memory) => {
      if (memory === null || proc.exitCode !== null || proc.signalCode !== null) return;
      state.current = memory.rss;
      incarnationPeak = Math.max(incarnationPeak, memory.hwm);
      state.peak = Math.max(state.peak, incarnationPeak);
    });
  }, SAMPLE_EVERY_MS);
  return { stop: () => clearInterval(sampler), incarnationPeak: () => incarnationPeak };
}

/** SIGTERM to the live incarnation (SIGKILL after `graceMs`), its last VmHWM read first. */
async function stopIncarnation(state: SupervisorState, graceMs: number): Promise<void> {
  const proc = state.child;
  if (proc === null || proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  // the last samples: VmHWM is only readable while the process lives
  const memory = await readMemory(proc.pid!);
  if (memory !== null) state.peak = Math.max(state.peak, memory.hwm);
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
