// The dry run's report as text for an operator, pure: new columns, widenings, aliases and who decides them, the
// model's question and answer, PII flags, rescued values (personal data as hashes only) and the warehouse steps.
import { assertNever } from '../../shared/assert-never.ts';
import { stringifyJson } from '../normalize/parse-payload.ts';
import type { WarehouseStep } from '../schema/decide-evolution.ts';
import { metadataColumnTypes } from '../schema/physical-name.ts';
import type { PlanReport } from './plan-report.ts';

/** Longest rescued value shown in text; --json prints each whole. */
const MAX_VALUE = 80;

export function renderPlanReport(report: PlanReport): string {
  const { plan } = report;
  const lines: string[] = [];
  lines.push(
    `Plan for ${report.tenant}.${report.table}: ${report.rows} row${report.rows === 1 ? '' : 's'} (${report.format} payload). A dry run: ${wrote(report)}`,
  );
  lines.push(`Contract: ${report.contract} (${report.contract_from === 'default' ? 'built-in default' : `the ${report.contract_from}'s policy`})`);
  lines.push(
    `Table: ${report.table_registered ? 'registered' : 'new to the registry (it would be registered)'}; ${report.table_in_warehouse ? 'in the warehouse' : 'not in the warehouse (it would be created)'}`,
  );
  if (plan.history === null && report.rescued.length === 0 && report.quarantined.length === 0) {
    lines.push('', 'Nothing would change: every field has its column, and every value fits.');
  }

  section(
    lines,
    'New columns',
    plan.columns.map(
      (c) =>
        `${c.logical}  ${c.type}${c.physical === c.logical ? '' : `  (as ${c.physical})`}${c.origin === 'adopted' ? '  adopted from the warehouse' : ''}${c.piiSource === null ? '' : `  PII (by its ${c.piiSource}): values hashed`}`,
    ),
  );
  section(
    lines,
    'Widenings',
    plan.widened.map((w) => `${w.logical} → ${w.to}`),
  );
  section(
    lines,
    `Refused by the ${plan.contract} contract (${plan.contract === 'freeze' ? 'their values go to _boitata_rescue' : 'their rows go to the quarantine'})`,
    plan.refused.map((c) => (c.kind === 'add_column' ? `new column ${c.logical} ${c.type}` : `widening ${c.logical} ${c.from} → ${c.to}`)),
  );
  section(
    lines,
    'Aliases',
    plan.aliases.map((a) => `${a.field} → ${a.column}  decided by ${a.decidedBy} (${evidence(a.evidence)})`),
  );
  section(
    lines,
    'PII flags on existing columns',
    plan.lateFlags.map((f) => `${f.column}  (by its ${f.source}): flagged; a job would hash the rows it already holds`),
  );

  const { model } = report;
  if (model.status !== 'no_question') {
    lines.push('', `The model: ${model.detail}`);
    lines.push(`  fields it is asked about: ${model.fields.map((f) => `${f.name} (${f.type})`).join(', ')}`);
    if (model.candidates.length > 0) lines.push(`  columns it may choose: ${model.candidates.join(', ')}`);
    for (const a of model.answer ?? []) lines.push(`  ${a.field} → ${a.column ?? '(a new column)'}  confidence ${a.confidence}`);
  }

  const count = (outcome: string) => report.row_outcomes.filter((r) => r.outcome === outcome).length;
  const withRescue = count('land_with_rescue');
  const quarantined = count('quarantine');
  const erased = count('skip_erased');
  lines.push(
    '',
    `Rows: ${count('land') + withRescue} would land${withRescue === 0 ? '' : `, ${withRescue} of them with values in _boitata_rescue`}` +
      `${quarantined === 0 ? '' : `; ${quarantined} would go to the quarantine`}${erased === 0 ? '' : `; ${erased} skipped (an erased subject's marker)`}`,
  );
  for (const r of report.rescued) lines.push(`  row ${r.row}  ${r.field} = ${shown(r.value)}  (${r.reason})`);
  for (const r of report.quarantined) lines.push(`  row ${r.row}  quarantined: ${r.reason}`);

  section(
    lines,
    'Warehouse',
    plan.warehouse.flatMap((step) => {
      const text = describeStep(step);
      return text === null ? [] : [text];
    }),
  );
  section(
    lines,
    'Catalog jobs',
    plan.jobs.map((j) => (j.kind === 'enrich_columns' ? `enrich columns ${j.columns.join(', ')}` : `hash the rows of PII column ${j.column}`)),
  );
  return lines.join('\n');
}

function wrote(report: PlanReport): string {
  return report.wrote.length === 0 ? 'nothing was written.' : `only ${report.wrote.join(', ')} was written.`;
}

function section(lines: string[], title: string, items: readonly string[]): void {
  if (items.length === 0) return;
  lines.push('', `${title}:`);
  for (const item of items) lines.push(`  ${item}`);
}

function evidence(value: Record<string, unknown>): string {
  return Object.entries(value)
    .map(([key, v]) => `${key} ${typeof v === 'string' ? v : stringifyJson(v)}`)
    .join(', ');
}

function shown(value: unknown): string {
  const text = stringifyJson(value);
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

/** One warehouse step in words; null for one that would do nothing. */
function describeStep(step: WarehouseStep): string | null {
  switch (step.kind) {
    case 'create_table':
      return `create the table with ${step.columns.length} column${step.columns.length === 1 ? '' : 's'} (${step.columns.map((c) => `${c.physical} ${c.type}`).join(', ')}) and the metadata columns`;
    case 'ensure_metadata': {
      const missing = metadataColumnTypes(step.provenance).filter(([name]) => !step.present.has(name));
      return missing.length === 0 ? null : `add the metadata column${missing.length === 1 ? '' : 's'} ${missing.map(([name]) => name).join(', ')}`;
    }
    case 'change':
      return step.change.kind === 'add_column'
        ? `add column ${step.change.physical} ${step.change.type}`
        : `widen column ${step.change.physical} ${step.change.from} → ${step.change.to}`;
    default:
      return assertNever(step);
  }
}
