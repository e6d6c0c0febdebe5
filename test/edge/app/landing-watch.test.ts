// The landing watch's batching and bounds, with a reader that answers from a table the test fills: one poll for every
// waiting request, none while no request waits, a bounded number of waiters, and a failing poll that only delays.
import { describe, expect, it } from 'vitest';
import { LandingWatch } from '../../../edge/gate/landing-watch.ts';
import type { SettledMessage } from '../../../edge/queue/settled-messages.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What a processor settled so far, and every poll the watch made (the ids it asked for). */
function settledTable() {
  const settled = new Map<string, SettledMessage>();
  const polls: string[][] = [];
  let failing = false;
  const read = async (ids: readonly string[]) => {
    polls.push([...ids]);
    if (failing) throw new Error('database down');
    return ids.flatMap((id) => settled.get(id) ?? []);
  };
  const land = (id: string) => settled.set(id, { messageId: id, state: 'landed', landedAt: '2026-01-01T00:00:00.000Z', landed: [{ table: 't', rows: 1 }] });
  return { settled, polls, read, land, fail: (value: boolean) => (failing = value) };
}

describe('LandingWatch', () => {
  it('asks once per interval for every waiting message, and answers each when it lands', async () => {
    const table = settledTable();
    const watch = new LandingWatch(table.read, { pollIntervalMs: 20 });
    const ids = Array.from({ length: 50 }, (_, i) => `m${i}`);
    const waits = ids.map((id) => watch.wait(id, 5_000));
    await sleep(5);
    ids.forEach((id) => table.land(id));
    const outcomes = await Promise.all(waits);
    expect(outcomes.every((outcome) => outcome.kind === 'landed')).toBe(true);
    // Every poll asked for all fifty at once: a request costs no query of its own.
    expect(table.polls.length).toBeLessThanOrEqual(3);
    expect(table.polls.every((poll) => poll.length === 50)).toBe(true);
    expect(watch.size).toBe(0);
  });

  it('stops polling when no request waits, and starts again for the next', async () => {
    const table = settledTable();
    const watch = new LandingWatch(table.read, { pollIntervalMs: 10 });
    table.land('a');
    expect(await watch.wait('a', 1_000)).toMatchObject({ kind: 'landed', landed: [{ table: 't', rows: 1 }] });
    const after = table.polls.length;
    await sleep(60);
    expect(table.polls.length).toBe(after);
    table.land('b');
    expect((await watch.wait('b', 1_000)).kind).toBe('landed');
  });

  it('answers timeout after the wait, dead for a message that died, and several waiters of one message together', async () => {
    const table = settledTable();
    const watch = new LandingWatch(table.read, { pollIntervalMs: 10 });
    const started = Date.now();
    expect(await watch.wait('never', 80)).toEqual({ kind: 'timeout' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(70);
    table.settled.set('d', { messageId: 'd', state: 'dead', code: 'item_key_unusable', reason: 'its value is "‹redacted›"' });
    const [first, second] = await Promise.all([watch.wait('d', 1_000), watch.wait('d', 1_000)]);
    expect(first).toEqual({ kind: 'dead', code: 'item_key_unusable', reason: 'its value is "‹redacted›"' });
    expect(second).toEqual(first);
  });

  it('holds at most maxWaiters: the next request is told busy at once', async () => {
    const table = settledTable();
    const watch = new LandingWatch(table.read, { pollIntervalMs: 10, maxWaiters: 3 });
    const held = ['a', 'b', 'c'].map((id) => watch.wait(id, 200));
    expect(await watch.wait('d', 200)).toEqual({ kind: 'busy' });
    expect(watch.size).toBe(3);
    await Promise.all(held);
    expect(watch.size).toBe(0);
  });

  it('a failing poll keeps the requests waiting, reports once per streak, and the next good poll answers them', async () => {
    const table = settledTable();
    const failures: unknown[] = [];
    const watch = new LandingWatch(table.read, { pollIntervalMs: 10, onPollFailure: (error) => failures.push(error) });
    table.fail(true);
    const waiting = watch.wait('x', 2_000);
    await sleep(60);
    expect(table.polls.length).toBeGreaterThan(2);
    expect(failures).toHaveLength(1);
    table.land('x');
    table.fail(false);
    expect((await waiting).kind).toBe('landed');
  });

  it('caps a wait at MAX_WAIT_SECONDS instead of letting a huge one overflow the timer into an instant timeout', async () => {
    const table = settledTable();
    const watch = new LandingWatch(table.read, { pollIntervalMs: 10 });
    const waiting = watch.wait('x', Number.MAX_SAFE_INTEGER);
    await sleep(30);
    table.land('x');
    expect((await waiting).kind).toBe('landed');
  });
});
