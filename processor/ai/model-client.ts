// The AI model behind the schema matcher and catalog enrichment: any OpenAI-compatible server, through the
// `openai` package, answering in structured JSON (a JSON schema). Never blocks ingestion past its timeout.
import OpenAI from 'openai';
import { z } from 'zod';
import { stringifyJson } from '../normalize/parse-payload.ts';

// The model's JSON is checked before use: a malformed answer is an error (the caller falls back), never data.
const matchAnswer = z.object({ matches: z.array(z.object({ field: z.string(), column: z.string().nullable(), confidence: z.number().min(0).max(1) })) });
const factsAnswer = z.object({
  columns: z.array(z.object({ column: z.string(), description: z.string().max(2000), tags: z.array(z.string().max(100)).max(20), pii: z.boolean() })),
});

export interface ModelSettings {
  baseUrl: string;
  apiKey: string;
  model: string;
  timeoutMs: number;
}

export interface FieldQuestion {
  name: string;
  type: string;
  samples?: unknown[];
}

export interface FieldAnswer {
  field: string;
  /** an existing column, or null: a new column */
  column: string | null;
  confidence: number;
}

export interface ColumnFacts {
  column: string;
  description: string;
  tags: string[];
  pii: boolean;
}

const MATCH_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['matches'],
  properties: {
    matches: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['field', 'column', 'confidence'],
        properties: {
          field: { type: 'string' },
          column: { type: ['string', 'null'] },
          confidence: { type: 'number', minimum: 0, maximum: 1 },
        },
      },
    },
  },
} as const;

const ENRICH_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['columns'],
  properties: {
    columns: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['column', 'description', 'tags', 'pii'],
        properties: {
          column: { type: 'string' },
          description: { type: 'string' },
          tags: { type: 'array', items: { type: 'string' } },
          pii: { type: 'boolean' },
        },
      },
    },
  },
} as const;

export class ModelClient {
  readonly model: string;
  private readonly client: OpenAI;
  private readonly timeoutMs: number;

  constructor(settings: ModelSettings) {
    this.model = settings.model;
    this.timeoutMs = settings.timeoutMs;
    this.client = new OpenAI({ baseURL: settings.baseUrl, apiKey: settings.apiKey, timeout: settings.timeoutMs, maxRetries: 0 });
  }

  /** Which existing column, if any, each field means. Candidates are the table's columns only. */
  async matchFields(table: string, fields: readonly FieldQuestion[], columns: ReadonlyArray<{ name: string; type: string }>): Promise<FieldAnswer[]> {
    const parsed = matchAnswer.parse(
      await this.ask(
        'schema_matches',
        MATCH_SCHEMA,
        [
          'You map incoming JSON field names onto the existing columns of an analytics table. A field maps onto a column only',
          'when both clearly mean the same thing (a synonym, a translation, an abbreviation), and the types fit. Answer null',
          'for a field that is something new. Give a confidence between 0 and 1. Only use the column names listed.',
        ].join(' '),
        { table, columns, fields },
      ),
    );
    const known = new Set(columns.map((c) => c.name));
    return parsed.matches
      .filter((m) => fields.some((f) => f.name === m.field))
      .map((m) => ({ field: m.field, column: m.column !== null && known.has(m.column) ? m.column : null, confidence: m.confidence }));
  }

  /** A description, tags, and whether it is personal data, for each column. */
  async describeColumns(table: string, columns: ReadonlyArray<{ name: string; type: string }>): Promise<ColumnFacts[]> {
    const parsed = factsAnswer.parse(
      await this.ask(
        'column_catalog',
        ENRICH_SCHEMA,
        [
          'You document the columns of an analytics table for a data catalog. For each column give a one-sentence',
          'description, a few lowercase tags, and whether it holds personally identifiable information (PII).',
        ].join(' '),
        { table, columns },
      ),
    );
    return parsed.columns.filter((c) => columns.some((col) => col.name === c.column));
  }

  private async ask(name: string, schema: object, instructions: string, question: object): Promise<unknown> {
    // The SDK's own timeout stops once headers arrive; this signal bounds the whole answer, body included.
    const completion = await this.client.chat.completions.create(
      {
        model: this.model,
        temperature: 0,
        messages: [
          { role: 'system', content: instructions },
          // stringifyJson: sample values may hold bigints (integers beyond 2^53), which JSON.stringify throws on.
          { role: 'user', content: stringifyJson(question) },
        ],
        response_format: { type: 'json_schema', json_schema: { name, strict: true, schema: schema as Record<string, unknown> } },
      },
      { signal: AbortSignal.timeout(this.timeoutMs) },
    );
    const content = completion.choices[0]?.message.content;
    if (typeof content !== 'string') throw new Error('the model returned no content');
    return JSON.parse(content) as unknown;
  }
}
