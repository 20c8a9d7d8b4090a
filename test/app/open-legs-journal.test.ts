/**
 * The open-legs journal's batches (src/app/leadership/open-legs-journal.ts)
 * over a real database: while one write is out, the legs opened and closed
 * meanwhile go together in the next statement. The database is wrapped to
 * count the statements and to hold one back while the test queues more.
 */
import { expect, test } from 'vitest';
import { openLegsJournal, RESERVE_BATCH } from '../../src/app/leadership/open-legs-journal.ts';
import type { Db } from '../../src/store/index.ts';
import { eachBackend } from '../store/backends.ts';

/** `db` with its open_legs statements counted, and held while `hold` is pending. */
function watched(db: Db) {
  const statements: unknown[][] = [];
  let hold: Promise<void> = Promise.resolve();
  let failNext = false;
  const wrapped: Db = {
    ...db,
    kind: db.kind,
    query: async (sql, params) => {
      if (sql.includes('open_legs')) {
        statements.push([...(params ?? [])]);
        await hold;
        if (failNext) {
          failNext = false;
          throw new Error('connection lost');
        }
      }
      return db.query(sql, params);
    },
  };
  const holdWrites = () => {
    let release = () => {};
    hold = new Promise((r) => {
      release = r;
    });
    return release;
  };
  return { db: wrapped, statements, holdWrites, failNextWrite: () => (failNext = true) };
}

async function legs(db: Db): Promise<string[]> {
  const { rows } = await db.query<{ sip_call_id: string }>(
    'SELECT sip_call_id FROM open_legs ORDER BY sip_call_id',
  );
  return rows.map((r) => r.sip_call_id);
}

eachBackend('open-legs journal', (ctx) => {
  test('an idle journal writes a leg at once; legs opened during a write go in one statement', async () => {
    const w = watched(ctx().db);
    const journal = openLegsJournal(w.db, 'acd-a');
    await journal.opened('first', 'sip:1@h');
    expect(w.statements).toHaveLength(1);
    expect(await legs(ctx().db)).toEqual(['first']);

    const release = w.holdWrites();
    const held = journal.opened('held', 'sip:2@h');
    const many = Array.from({ length: 40 }, (_, i) => journal.opened(`leg-${i}`, `sip:${i}@h`));
    const closing = journal.closed(['first']);
    release();
    await Promise.all([held, ...many, closing]);
    // The held write, then one for everything queued behind it.
    expect(w.statements).toHaveLength(3);
    expect(await legs(ctx().db)).toHaveLength(41);
    expect(await legs(ctx().db)).not.toContain('first');
  });

  test('a leg closed before its row went out is never written', async () => {
    const w = watched(ctx().db);
    const journal = openLegsJournal(w.db, 'acd-a');
    const release = w.holdWrites();
    const busy = journal.opened('busy', 'sip:1@h');
    const late = journal.opened('late', 'sip:2@h');
    // Its INVITE stopped waiting for the row, went out, and the leg ended:
    // the leg needs no row any more, so its opening is settled at once.
    const closing = journal.closed(['late']);
    await late;
    release();
    await Promise.all([busy, closing]);
    await journal.closed(['busy']);
    expect(await legs(ctx().db)).toEqual([]);
    expect(w.statements.flat(2)).not.toContain('late');
  });

  test('a failed write fails the legs it carried; the next batch is written', async () => {
    const w = watched(ctx().db);
    const journal = openLegsJournal(w.db, 'acd-a');
    const release = w.holdWrites();
    w.failNextWrite();
    const lost = journal.opened('lost', 'sip:1@h');
    const next = journal.opened('next', 'sip:2@h');
    release();
    await expect(lost).rejects.toThrow('connection lost');
    await next;
    expect(await legs(ctx().db)).toEqual(['next']);
  });

  test('reserved Call-IDs are rows before they are handed out, refilled when half are gone, dropped when leading ends', async () => {
    const w = watched(ctx().db);
    const journal = openLegsJournal(w.db, 'acd-a');
    // None yet: asking starts the first batch.
    expect(journal.reserved()).toBeNull();
    await until(() => reserveWrites(w) === 1 && rowsWritten(w) === RESERVE_BATCH);
    await settled(journal);
    const handedOut: string[] = [];
    const take = () => {
      const id = journal.reserved();
      if (id !== null) handedOut.push(id);
      return id;
    };
    const taken: string[] = [];
    for (let i = 0; i <= RESERVE_BATCH / 2; i++) taken.push(take() as string);
    expect(taken.every((id) => typeof id === 'string')).toBe(true);
    const { rows } = await ctx().db.query<{ target: string }>(
      'SELECT target FROM open_legs WHERE sip_call_id = ANY($1::text[])',
      [taken],
    );
    expect(rows.map((r) => r.target)).toEqual(taken.map(() => ''));
    // Fewer than half left: one more batch, not one per leg.
    await until(() => reserveWrites(w) === 2);
    take();
    await settled(journal);
    expect(reserveWrites(w)).toBe(2);

    // Leading ended while a batch is out: neither the old nor the new ones are handed out.
    const release = w.holdWrites();
    for (let i = 0; i < RESERVE_BATCH; i++) take();
    journal.dropReserved();
    release();
    await until(() => reserveWrites(w) === 3);
    await settled(journal);
    // Unused reserved rows are deleted; the legs that took one keep theirs.
    const left = await ctx().db.query<{ sip_call_id: string }>(
      `SELECT sip_call_id FROM open_legs WHERE target = ''`,
    );
    expect(left.rows.map((r) => r.sip_call_id).sort()).toEqual([...handedOut].sort());
    // (Asked after the count: asking starts the next term's first batch.)
    expect(journal.reserved()).toBeNull();
  });
});

/** Statements that opened legs (their second parameter lists the Call-IDs). */
function reserveWrites(w: ReturnType<typeof watched>): number {
  return w.statements.filter((p) => (p[1] as string[]).length > 0).length;
}

/** Rows the first statement carried. */
function rowsWritten(w: ReturnType<typeof watched>): number {
  return (w.statements[0]?.[1] as string[] | undefined)?.length ?? 0;
}

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Waits for the journal's write in flight: a close of nothing queues behind it. */
async function settled(journal: ReturnType<typeof openLegsJournal>): Promise<void> {
  await journal.closed(['none']);
}
