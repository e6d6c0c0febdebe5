// The Worker's composition root: wires the real gate (Durable Object) and the Postgres queue into createApp.
import type { Hono } from 'hono';
import { BoitataError } from '../shared/errors.ts';
import { createApp } from './app.ts';
import { readEdgeConfig } from './config.ts';
import type { CredentialGate } from './gate/credential-gate.ts';

export { CredentialGate } from './gate/credential-gate.ts';

export interface Env {
  GATE: DurableObjectNamespace<CredentialGate>;
  DATABASE_URL: string;
  NEON_HTTP_ENDPOINT?: string;
  GATE_CONFIG_TTL_SECONDS?: string;
}

let app: Hono | undefined;

function appFor(env: Env): Hono {
  if (app !== undefined) return app;
  readEdgeConfig(env); // fail fast on a misconfiguration, before any request reaches a gate
  app = createApp({
    gates: {
      // One gate per credential: its hash names the Durable Object.
      gateFor: (kind, hashHex) => env.GATE.get(env.GATE.idFromName(`${kind}:${hashHex}`)),
    },
  });
  return app;
}

export default {
  async fetch(request, env, ctx) {
    let handler: Hono;
    try {
      handler = appFor(env);
    } catch (error) {
      const failure = error instanceof BoitataError ? error : new BoitataError('internal_error', 'The service failed to start.');
      return Response.json(failure.toBody(), { status: failure.status });
    }
    return handler.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
