// The scenario's window of traffic through the real edge: tenant B on a fixed schedule, tenant A's ~1 MiB bodies at its pace.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EdgeBody } from './noisy-inputs.ts';

export interface EdgeConnection {
  tenant: string;
  token: string;
}

/** Epoch ms: both tenants send from `start` until `end`. */
export interface TrafficWindow {
  start: number;
  end: number;
}

export interface TenantBAnswer {
  marker: string;
  status: number;
  messageId: string | null;
  ms: number;
}

export interface TenantBSchedule {
  /** one answer per push, in the order sent; read live by the progress report */
  readonly sent: Array<Promise<TenantBAnswer>>;
  stop(): void;
}

export interface TenantATally {
  /** per body kind: answers by status (`202`, or `400 too_many_rows` …) */
  answers: Record<string, Record<string, number>>;
  acceptedRows: number;
  acceptedMessages: number;
  latenciesMs: number[];
}

async function pushBody(edgeUrl: string, conn: EdgeConnection, table: string | null, body: string) {
  const query = table === null ? '' : `?table=${table}`;
  const response = await fetch(`${edgeUrl}/v1/ingest/push/${conn.token}${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-tenant-id': conn.tenant },
    body,
    // The edge promises an answer within 15 s; one that never comes is reported (status 0), not waited on forever.
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  let parsed: { message_id?: string; code?: string } = {};
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    /* a non-JSON answer is reported by its status alone */
  }
  return { status: response.status, messageId: parsed.message_id ?? null, code: parsed.code ?? null };
}

/** B pushes a one-row message every `intervalMs` until the window ends, never waiting on an answer: its timing is the measurement. */
export function startTenantBSchedule(edgeUrl: string, b: EdgeConnection, window: TrafficWindow, intervalMs: number): TenantBSchedule {
  const sent: Array<Promise<TenantBAnswer>> = [];
  const timer = setInterval(() => {
    if (Date.now() >= window.end) return;
    const marker = randomUUID();
    const sentAt = performance.now();
    sent.push(
      pushBody(edgeUrl, b, 'canary', JSON.stringify([{ marker, seq: sent.length }]))
        .then((r) => ({ marker, status: r.status, messageId: r.messageId, ms: performance.now() - sentAt }))
        .catch(() => ({ marker, status: 0, messageId: null, ms: performance.now() - sentAt })),
    );
  }, intervalMs);
  return { sent, stop: () => clearInterval(timer) };
}

/** A's one sender: `perSecond` pushes paced from the window's start, each waiting on its answer (slower when the edge is). */
export function startTenantA(
  edgeUrl: string,
  a: EdgeConnection,
  window: TrafficWindow,
  perSecond: number,
  bodies: readonly EdgeBody[],
): { tally: TenantATally; done: Promise<void> } {
  const tally: TenantATally = { answers: Object.fromEntries(bodies.map((body) => [body.kind, {}])), acceptedRows: 0, acceptedMessages: 0, latenciesMs: [] };
  const done = (async () => {
    for (let i = 0; bodies.length > 0 && Date.now() < window.end; i++) {
      const next = window.start + (i * 1000) / perSecond;
      if (next > Date.now()) await sleep(next - Date.now());
      const body = bodies[i % bodies.length]!;
      const sentAt = performance.now();
      const answer = await pushBody(edgeUrl, a, body.table, body.body).catch(() => ({ status: 0, messageId: null, code: 'network' }));
      tally.latenciesMs.push(performance.now() - sentAt);
      const key = answer.status === 202 ? '202' : `${answer.status} ${answer.code ?? ''}`.trim();
      tally.answers[body.kind]![key] = (tally.answers[body.kind]![key] ?? 0) + 1;
      if (answer.status === 202) {
        tally.acceptedRows += body.rows;
        tally.acceptedMessages += 1;
      }
    }
  })();
  return { tally, done };
}

/** Waits for A's sender and the window's end, stops B's schedule, and waits for B's last answers. */
export async function finishWindow(window: TrafficWindow, aDone: Promise<void>, bSchedule: TenantBSchedule): Promise<TenantBAnswer[]> {
  await aDone;
  while (Date.now() < window.end) await sleep(100);
  bSchedule.stop();
  return Promise.all(bSchedule.sent);
}
