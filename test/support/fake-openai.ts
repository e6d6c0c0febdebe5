// A stand-in for a hosted model (the one thing that cannot run here): it speaks the OpenAI chat completions
// protocol over HTTP, so the real `openai` client is exercised. It answers from fixtures and records requests.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeOpenAi {
  url: string;
  /** every request body received, parsed */
  requests: Array<{ model: string; schema: string; question: Record<string, unknown> }>;
  /** field → the column the "model" maps it to (absent: null, a new column) */
  matches: Map<string, { column: string; confidence: number }>;
  /** column → the catalog facts the "model" gives */
  facts: Map<string, { description: string; tags: string[]; pii: boolean }>;
  mode: 'ok' | 'down' | 'slow';
  close(): Promise<void>;
}

export async function startFakeOpenAi(): Promise<FakeOpenAi> {
  const fake: Omit<FakeOpenAi, 'url' | 'close'> = { requests: [], matches: new Map(), facts: new Map(), mode: 'ok' };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
        res.writeHead(404).end();
        return;
      }
      if (fake.mode === 'down') {
        res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'overloaded', type: 'server_error' } }));
        return;
      }
      const request = JSON.parse(body) as {
        model: string;
        messages: Array<{ role: string; content: string }>;
        response_format: { json_schema: { name: string } };
      };
      const schema = request.response_format.json_schema.name;
      const question = JSON.parse(request.messages.find((m) => m.role === 'user')!.content) as Record<string, unknown>;
      fake.requests.push({ model: request.model, schema, question });
      const answer =
        schema === 'schema_matches'
          ? {
              matches: (question['fields'] as Array<{ name: string }>).map((f) => ({
                field: f.name,
                column: fake.matches.get(f.name)?.column ?? null,
                confidence: fake.matches.get(f.name)?.confidence ?? 0.9,
              })),
            }
          : {
              columns: (question['columns'] as Array<{ name: string }>).map((c) => ({
                column: c.name,
                ...(fake.facts.get(c.name) ?? { description: `The ${c.name} of the record.`, tags: [], pii: false }),
              })),
            };
      const reply = () =>
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            id: 'chatcmpl-fake',
            object: 'chat.completion',
            created: Math.floor(Date.now() / 1000),
            model: request.model,
            choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: JSON.stringify(answer), refusal: null } }],
            usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
          }),
        );
      if (fake.mode === 'slow') setTimeout(reply, 10_000).unref();
      else reply();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}/v1`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  }) as FakeOpenAi;
}
