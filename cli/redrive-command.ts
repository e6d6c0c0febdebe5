// `boitata messages redrive`: land a tenant's stored messages of a time range again, after a schema or alias fix.
// Only marks them in the queue (processor/queue/redrive.ts); a running processor lands them, each row replacing its
// earlier version, so nothing is duplicated.
import type pg from 'pg';
import { planRedrive, redriveMessages, type RedrivePlan, type RedriveSelection } from '../processor/queue/redrive.ts';
import { controlCharacterProblem, parseTimeBound, yearProblem } from '../processor/queue/message-filter.ts';
import { isValidTableName } from '../shared/table-name.ts';
import { required, UsageError, type Values } from './arguments.ts';
import { recordCliAudit } from './cli-audit.ts';
import { table, type Output } from './output.ts';
import { progressBar } from './progress-bar.ts';
import { assertTenant } from './tenants.ts';

/**
 * `now`, or what `messages list` takes (parseTimeBound): a duration back from now (`90` seconds, `30m`, `2h`, `1d`,
 * `1w`), a date (midnight UTC) or an ISO 8601 time with its offset — so a `received_at` a list printed can be pasted
 * here as it is, microseconds and all. A time without an offset would be this machine's local time: refused.
 */
export function parseInstant(value: string, what: string, now: Date): string {
  const text = value.trim();
  const control = controlCharacterProblem(text);
  if (control !== null) throw new UsageError(`${what} ${control}`);
  const parsed = text === 'now' ? now.toISOString() : parseTimeBound(text, now);
  if (parsed === null) {
    throw new UsageError(
      `${what} ${JSON.stringify(text.slice(0, 64))}: ${
        yearProblem(text) ??
        'use now, a duration back from now (30m, 2h, 1d, 1w) or an ISO 8601 time with its offset (2026-06-12T08:00:00Z, or a date 2026-06-12)'
      }`,
    );
  }
  return parsed;
}

/** The options as a selection, or a usage error saying what to change. */
export function redriveSelection(values: Values, now = new Date()): RedriveSelection {
  const tenantId = required(values.tenant, '--tenant');
  const control = controlCharacterProblem(tenantId);
  if (control !== null) throw new UsageError(`--tenant ${control}`);
  const since = parseInstant(required(values.since, '--since'), '--since', now);
  const until = parseInstant(required(values.until, '--until'), '--until', now);
  if (Date.parse(since) >= Date.parse(until)) throw new UsageError(`--since (${since}) must be before --until (${until}): the range is [since, until)`);
  const name = values.table;
  if (name !== undefined && !isValidTableName(name)) throw new UsageError(`--table ${JSON.stringify(name)}: not a table name`);
  return { tenantId, since, until, table: name === undefined ? null : name.toLowerCase(), includeDeadOnArrival: values['include-dead-on-arrival'] };
}

/** `messages redrive --tenant T --since S --until U [--table X] [--include-dead-on-arrival] [--dry-run] [--json]`. */
export async function runRedrive(db: pg.Pool, out: Output, values: Values, progress: NodeJS.WriteStream = process.stderr): Promise<void> {
  const selection = redriveSelection(values);
  await assertTenant(db, selection.tenantId);
  const plan = await planRedrive(db, selection);
  const range = {
    tenant: selection.tenantId,
    since: selection.since,
    until: selection.until,
    table: selection.table,
    include_dead_on_arrival: selection.includeDeadOnArrival === true,
  };
  if (values['dry-run'] || plan.messages === 0) {
    return out.print({ ...range, dry_run: values['dry-run'], ...planJson(plan) }, () => describePlan(selection, plan, values['dry-run']));
  }
  const bar = progressBar(progress, plan.messages, 'messages re-driven');
  const result = await redriveMessages(db, selection, { onProgress: (done) => bar.update(done.messages) });
  bar.end();
  await recordCliAudit(db, values, 'message.redrive', selection.tenantId, {
    since: selection.since,
    until: selection.until,
    table: selection.table,
    include_dead_on_arrival: range.include_dead_on_arrival,
    messages: result.messages,
    rows: result.rows,
    dead_letters_replayed: result.deadLetters,
  });
  const json = {
    ...range,
    dry_run: false,
    messages: result.messages,
    rows: result.rows,
    by_status: result.byStatus,
    dead_letters_replayed: result.deadLetters,
    dead_on_arrival: plan.deadOnArrival,
    opaque_not_redriven: plan.opaque,
  };
  return out.print(json, () =>
    [
      `Re-drove ${result.messages} message(s) (${result.rows} row(s): ${result.byStatus.landed} landed, ${result.byStatus.dead} dead) of tenant ` +
        `${selection.tenantId}${result.deadLetters > 0 ? `; ${result.deadLetters} dead letter(s) marked replayed` : ''}.`,
      'A running processor lands them again now, each row replacing its earlier version (same message id and row id).',
      `Those not landed yet: boitata messages list --tenant ${selection.tenantId} --since ${selection.since} --until ${selection.until} --status queued,processing`,
      ...deadOnArrivalNote(selection, plan),
      ...retentionNote(selection, plan),
    ].join('\n'),
  );
}

function planJson(plan: RedrivePlan) {
  return {
    messages: plan.messages,
    rows: plan.rows,
    by_status: plan.byStatus,
    by_table: plan.byTable,
    in_flight: plan.inFlight,
    dead_on_arrival: plan.deadOnArrival,
    opaque_not_redriven: plan.opaque,
    oldest_stored: plan.oldestStored,
  };
}

function describePlan(selection: RedriveSelection, plan: RedrivePlan, dryRun: boolean): string {
  const what = `tenant ${selection.tenantId}'s messages received from ${selection.since} up to (not including) ${selection.until}${
    selection.table === null ? '' : ` that name table ${selection.table}`
  }`;
  const lines =
    plan.messages === 0
      ? [`Nothing to re-drive: no landed or dead message${plan.deadOnArrival > 0 ? ' (other than those dead on arrival, below)' : ''} among ${what}.`]
      : [
          `${dryRun ? 'Would re-drive' : 'Re-driving'} ${plan.messages} message(s), ${plan.rows} row(s) (${plan.byStatus.landed} landed, ${plan.byStatus.dead} dead): ${what}.`,
          table(plan.byTable as never, ['table', 'messages', 'rows']),
        ];
  if (plan.inFlight > 0) lines.push(`${plan.inFlight} message(s) of the range are still queued or being landed: they are not re-driven (they land anyway).`);
  lines.push(...deadOnArrivalNote(selection, plan), ...retentionNote(selection, plan));
  if (dryRun && plan.messages > 0) lines.push('Dry run: nothing changed. Run it again without --dry-run to re-drive.');
  return lines.join('\n');
}

/**
 * The messages the edge stored dead on arrival: a verified delivery that broke a content rule never landed, so it is
 * re-driven only when asked; a body kept as base64 (not JSON Postgres could store) never, as it can never land as data.
 */
function deadOnArrivalNote(selection: RedriveSelection, plan: RedrivePlan): string[] {
  const readable = plan.deadOnArrival - plan.opaque;
  const lines: string[] = [];
  if (readable > 0 && selection.includeDeadOnArrival !== true)
    lines.push(`${readable} dead on arrival, not re-driven; see --include-dead-on-arrival (check them first: boitata messages show <id>).`);
  if (readable > 0 && selection.includeDeadOnArrival === true) lines.push(`${readable} dead on arrival included (--include-dead-on-arrival).`);
  if (plan.opaque > 0)
    lines.push(
      `${plan.opaque} dead on arrival with a body the edge stored as base64 (not JSON Postgres could store): never re-driven, ` +
        'even with --include-dead-on-arrival: it can never land as data.',
    );
  return lines;
}

/** When the range starts before the oldest message still stored: the older ones were pruned and cannot be re-driven. */
function retentionNote(selection: RedriveSelection, plan: RedrivePlan): string[] {
  if (plan.oldestStored !== null && Date.parse(plan.oldestStored) <= Date.parse(selection.since)) return [];
  return [
    `The queue holds this tenant's messages received since ${plan.oldestStored ?? '(none stored)'}: a landed message is pruned ` +
      'QUEUE_RETENTION_HOURS (72 by default) after it landed, and cannot be re-driven after that.',
  ];
}
