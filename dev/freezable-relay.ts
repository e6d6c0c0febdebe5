// A TCP relay in front of Postgres that tests can freeze: it keeps accepting and reading, forwards nothing, and
// flushes what it held on thaw — what the edge sees of a database host stopped with SIGSTOP, without signals.
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

export interface FreezableRelay {
  port: number;
  freeze(): void;
  thaw(): void;
  close(): Promise<void>;
}

interface Pipe {
  client: Socket;
  upstream: Socket | undefined;
  toUpstream: Buffer[];
  toClient: Buffer[];
  /** The client hung up: like a stopped host, the relay acts on it only once thawed, after the bytes before it. */
  clientEnded: boolean;
}

export async function startFreezableRelay(target: { host: string; port: number }): Promise<FreezableRelay> {
  let frozen = false;
  const pipes = new Set<Pipe>();

  const flush = (pipe: Pipe) => {
    if (frozen) return;
    // A connection accepted while frozen reaches Postgres only now, as a stopped host's backlog would.
    if (pipe.upstream === undefined) openUpstream(pipe);
    for (const chunk of pipe.toUpstream.splice(0)) pipe.upstream!.write(chunk);
    if (pipe.clientEnded) {
      pipe.upstream!.end();
      pipes.delete(pipe);
      return;
    }
    for (const chunk of pipe.toClient.splice(0)) pipe.client.write(chunk);
  };
  const openUpstream = (pipe: Pipe) => {
    const upstream = connect(target.port, target.host);
    pipe.upstream = upstream;
    upstream.on('data', (chunk: Buffer) => {
      if (pipe.clientEnded) return;
      pipe.toClient.push(chunk);
      flush(pipe);
    });
    upstream.on('close', () => pipe.client.destroy());
    upstream.on('error', () => pipe.client.destroy());
  };

  const server = createServer((client) => {
    const pipe: Pipe = { client, upstream: undefined, toUpstream: [], toClient: [], clientEnded: false };
    pipes.add(pipe);
    client.on('data', (chunk: Buffer) => {
      pipe.toUpstream.push(chunk);
      flush(pipe);
    });
    client.on('close', () => {
      pipe.clientEnded = true;
      flush(pipe);
    });
    client.on('error', () => client.destroy());
    flush(pipe);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    freeze() {
      frozen = true;
    },
    thaw() {
      frozen = false;
      for (const pipe of pipes) flush(pipe);
    },
    async close() {
      for (const pipe of pipes) {
        pipe.client.destroy();
        pipe.upstream?.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
