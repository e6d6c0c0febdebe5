// The ceiling for bench/edge: a bare Hono Worker that answers 202 without reading, checking or storing anything.
import { Hono } from 'hono';

const app = new Hono();
app.get('/health', (c) => c.json({ status: 'ok' }));
app.post('/v1/ingest/push/:token', (c) => c.json({ status: 'queued' }, 202));

export default app;
