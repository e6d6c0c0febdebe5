// A closed-loop HTTP load generator: N clients on keep-alive sockets, each sending its next request when the last answers.
import { Agent, request } from 'node:http';

export interface LoadResult {
  requests: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  statuses: Record<number, number>;
  /** Every request's latency in ms, sorted. */
  latencies: number[];
}

export interface LoadOptions {
  url: string;
  headers: Record<string, string>;
  body: string | ((i: number) => string);
  /** Headers that depend on the body (a provider's signature), computed per request by the client. */
  sign?: (body: string) => Record<string, string>;
  concurrency: number;
  seconds: number;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const latencies: number[] = [];
  const statuses: Record<number, number> = {};
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  let sent = 0;

  const client = async () => {
    while (performance.now() < deadline) {
      const body = typeof options.body === 'string' ? options.body : options.body(sent);
      sent++;
      const t0 = performance.now();
      const headers = options.sign === undefined ? options.headers : { ...options.headers, ...options.sign(body) };
      const status = await post(agent, options.url, headers, body);
      latencies.push(performance.now() - t0);
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, client));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return summarize(latencies, seconds, statuses);
}

export function summarize(latencies: number[], seconds: number, statuses: Record<number, number>): LoadResult {
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { requests: latencies.length, seconds, perSecond: latencies.length / seconds, p50Ms: at(0.5), p99Ms: at(0.99), statuses, latencies };
}

function post(agent: Agent, url: string, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.end(body);
  });
}
