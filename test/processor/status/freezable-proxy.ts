// A TCP proxy in front of Postgres that can freeze: it stops forwarding bytes both ways and keeps every socket
// open (new connections are accepted and held too), which is what a stopped or partitioned server looks like
// to a client: no error, no answer. Unfreezing forwards what was held and carries on.
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface FreezableProxy {
  port: number;
  freeze(): void;
  unfreeze(): void;
  close(): Promise<void>;
}

export async function startFreezableProxy(target: { host: string; port: number }): Promise<FreezableProxy> {
  let frozen = false;
  const sockets = new Set<Socket>();
  // Bytes a side sent while frozen, delivered on unfreeze in order.
  const held: Array<() => void> = [];

  const pipe = (from: Socket, to: Socket) => {
    from.on('data', (chunk: Buffer) => {
      if (frozen) held.push(() => to.write(chunk));
      else to.write(chunk);
    });
    from.on('end', () => (frozen ? held.push(() => to.end()) : to.end()));
    from.on('error', () => to.destroy());
    from.on('close', () => {
      sockets.delete(from);
      to.destroy();
    });
  };

  const server: Server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    sockets.add(client);
    sockets.add(upstream);
    pipe(client, upstream);
    pipe(upstream, client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('proxy has no address');

  return {
    port: address.port,
    freeze() {
      frozen = true;
    },
    unfreeze() {
      frozen = false;
      for (const deliver of held.splice(0)) deliver();
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
