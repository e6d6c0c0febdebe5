// Which slice of the catalog a status request asks for, and the bounds that keep every answer small: the query
// string (?tenant=&table=&page=&dead_letters_before=) parsed into a view, and the view's links. Pure.
import { MAX_COLUMNS_PER_TABLE } from '../../shared/ingest-limits.ts';

/**
 * What one page or JSON answer holds at most, whatever the catalog holds. With names, descriptions, tags and
 * reasons cut to the lengths below, the HTML of any view stays under STATUS_PAGE_MAX_BYTES.
 */
export const STATUS_LIMITS = {
  /** the overview: tenants per page (one summary line each) */
  tenantsPerPage: 100,
  /** a tenant: tables per page, each with its counts and the first columns and aliases */
  tablesPerPage: 20,
  columnPreview: 5,
  aliasPreview: 3,
  /** one table: columns and aliases per page */
  columnsPerPage: 100,
  aliasesPerPage: 100,
  /** open dead letters per page, newest first */
  deadLetters: 50,
  /** tables at or past the column warning listed on the overview */
  columnWarnings: 20,
  /** a table is near the cap from this many data columns (90 % of MAX_COLUMNS_PER_TABLE) */
  columnWarningAt: Math.ceil(MAX_COLUMNS_PER_TABLE * 0.9),
  maxColumnsPerTable: MAX_COLUMNS_PER_TABLE,
  /** characters kept of a name (tenant, table, column, alias), a description, a tag, a reason */
  nameLength: 200,
  descriptionLength: 160,
  tagLength: 32,
  tagsPerColumn: 5,
  reasonLength: 400,
} as const;

/** The documented bound of one status page (HTML) or /status.json answer, tested against a seeded large catalog. */
export const STATUS_PAGE_MAX_BYTES = 300 * 1024;

export type StatusView =
  | { kind: 'overview'; page: number; deadLettersBefore: string | null }
  | { kind: 'tenant'; tenant: string; page: number; deadLettersBefore: string | null }
  | { kind: 'table'; tenant: string; table: string; page: number; deadLettersBefore: string | null };

export type ParsedView = { ok: true; view: StatusView } | { ok: false; message: string };

const PAGE = /^[1-9]\d{0,5}$/;
const ID = /^[1-9]\d{0,17}$/;

export function parseStatusView(query: URLSearchParams): ParsedView {
  for (const name of new Set(query.keys())) {
    if (!['tenant', 'table', 'page', 'dead_letters_before'].includes(name)) {
      return { ok: false, message: `unknown query parameter ${JSON.stringify(name)}: use tenant, table, page or dead_letters_before` };
    }
    if (query.getAll(name).length > 1) return { ok: false, message: `query parameter ${name} is given more than once` };
  }
  const pageText = query.get('page') ?? '1';
  if (!PAGE.test(pageText)) return { ok: false, message: `page=${JSON.stringify(pageText)}: use a page number from 1` };
  const page = Number(pageText);
  const before = query.get('dead_letters_before');
  if (before !== null && !ID.test(before))
    return { ok: false, message: `dead_letters_before=${JSON.stringify(before)}: use a dead letter id the page links to` };
  const deadLettersBefore = before;
  const tenant = query.get('tenant');
  const table = query.get('table');
  if (tenant === null || tenant === '') {
    if (table !== null) return { ok: false, message: 'table= needs tenant=: /status?tenant=<tenant>&table=<table>' };
    return { ok: true, view: { kind: 'overview', page, deadLettersBefore } };
  }
  if (table === null || table === '') return { ok: true, view: { kind: 'tenant', tenant, page, deadLettersBefore } };
  return { ok: true, view: { kind: 'table', tenant, table, page, deadLettersBefore } };
}

/** The query string of a view ('' for the overview's first page), for links between pages. */
export function viewQuery(view: {
  tenant?: string | undefined;
  table?: string | undefined;
  page?: number | undefined;
  deadLettersBefore?: string | null | undefined;
}): string {
  const query = new URLSearchParams();
  if (view.tenant !== undefined) query.set('tenant', view.tenant);
  if (view.table !== undefined) query.set('table', view.table);
  if (view.page !== undefined && view.page > 1) query.set('page', String(view.page));
  if (view.deadLettersBefore !== undefined && view.deadLettersBefore !== null) query.set('dead_letters_before', view.deadLettersBefore);
  const text = query.toString();
  return text === '' ? '' : `?${text}`;
}

export const pageCount = (total: number, perPage: number) => Math.max(1, Math.ceil(total / perPage));
