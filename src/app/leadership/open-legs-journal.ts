/**
 * The open-legs journal of one instance, over the store's table: what the
 * call path writes before each agent INVITE (calls/takeover/journaled-uac.ts).
 *
 * Writes go in batches, one at a time: while one is out, the legs opened
 * and closed meanwhile wait and then go together in one statement. An idle
 * instance writes each leg at once; under load a round trip carries many
 * legs instead of one (at a few hundred calls per second the journal was
 * two statements per leg, each on the app's thread and the database's).
 *
 *   idle --write--> writing --done, nothing waiting--> idle
 *                   writing --done, legs waiting--> writing (the next batch)
 *
 * Reserved Call-IDs: a leg to a device (not a number) need not wait for its
 * row at all. The journal writes Call-IDs ahead of need (rows with an empty
 * target), a batch at a time whenever few are left, and such a leg takes one
 * that is already durable: its INVITE leaves without a database round trip.
 * A takeover ends every row of the dead instance, used or not (an unused one
 * names no dialog: the SIP server refuses its BYE). Legs to numbers still
 * wait for their own row, which names the number: a takeover must know which
 * numbers a lost INVITE may still ring (lost-dial-outs.ts). The reserve is
 * this instance's only while it leads: `dropReserved()` when it stops
 * deletes the unused ones (when the database answers; else the next leader
 * ends those rows).
 */
import type { LegJournal } from '../../calls/takeover/journaled-uac.ts';
import type { Db } from '../../store/db.ts';
import { OpenLegsRepo } from '../../store/open-legs.ts';

interface Waiter {
  resolve(): void;
  reject(err: unknown): void;
}

interface Batch {
  /** Legs to write, by SIP Call-ID, with the INVITEs waiting for them. */
  opened: Map<string, { target: string; waiters: Waiter[] }>;
  closed: Set<string>;
  closedWaiters: Waiter[];
  /** Call-IDs written ahead of need (empty target). */
  reserving: string[];
}

const emptyBatch = (): Batch => ({
  opened: new Map(),
  closed: new Set(),
  closedWaiters: [],
  reserving: [],
});

/** Call-IDs written per reserve batch; a new batch is asked for when fewer than half are left. */
export const RESERVE_BATCH = 64;

export interface OpenLegsJournal extends LegJournal {
  /**
   * This instance stopped leading: its reserved Call-IDs are no longer handed
   * out, and the unused ones are deleted (the next leader ends what is left).
   */
  dropReserved(): void;
}

export function openLegsJournal(
  db: Db,
  instance: string,
  newCallId: () => string = () => crypto.randomUUID(),
): OpenLegsJournal {
  const repo = new OpenLegsRepo(db);
  let next = emptyBatch();
  let state: 'idle' | 'writing' = 'idle';
  /** Durable Call-IDs no leg has taken yet. */
  let reserve: string[] = [];
  /** Bumped by dropReserved(): a reserve batch written for an earlier term is not used. */
  let term = 0;
  let reserving: 'no' | 'queued' = 'no';

  const settle = (waiters: readonly Waiter[], err: unknown) => {
    for (const w of waiters) {
      if (err === undefined) w.resolve();
      else w.reject(err);
    }
  };

  const write = () => {
    const batch = next;
    next = emptyBatch();
    state = 'writing';
    const opened = [...batch.opened].map(([sipCallId, o]) => ({ sipCallId, target: o.target }));
    for (const sipCallId of batch.reserving) opened.push({ sipCallId, target: '' });
    const writtenInTerm = term;
    repo.write(instance, opened, [...batch.closed]).then(
      () => {
        if (batch.reserving.length > 0) {
          reserving = 'no';
          if (writtenInTerm === term) reserve.push(...batch.reserving);
          else forget(batch.reserving);
        }
        finish(batch, undefined);
      },
      (err: unknown) => {
        if (batch.reserving.length > 0) reserving = 'no';
        finish(batch, err ?? new Error('open-legs journal write failed'));
      },
    );
  };

  const finish = (batch: Batch, err: unknown) => {
    settle(
      [...batch.opened.values()].flatMap((o) => o.waiters),
      err,
    );
    settle(batch.closedWaiters, err);
    state = 'idle';
    if (next.opened.size > 0 || next.closed.size > 0 || next.reserving.length > 0) write();
  };

  /** Deletes unused reserved rows (best effort: a takeover ends any left over). */
  const forget = (sipCallIds: readonly string[]) => {
    if (sipCallIds.length === 0) return;
    for (const id of sipCallIds) next.closed.add(id);
    if (state === 'idle') write();
  };

  const reserveMore = () => {
    if (reserving !== 'no') return;
    reserving = 'queued';
    for (let i = 0; i < RESERVE_BATCH; i++) next.reserving.push(newCallId());
    if (state === 'idle') write();
  };

  const queued = (add: (batch: Batch, waiter: Waiter) => void) =>
    new Promise<void>((resolve, reject) => {
      add(next, { resolve, reject });
      if (state === 'idle') write();
    });

  return {
    reserved: () => {
      const sipCallId = reserve.pop() ?? null;
      if (reserve.length < RESERVE_BATCH / 2) reserveMore();
      return sipCallId;
    },
    dropReserved: () => {
      term++;
      forget(reserve);
      reserve = [];
    },
    opened: (sipCallId, target) =>
      queued((batch, waiter) => {
        const leg = batch.opened.get(sipCallId);
        if (leg) leg.waiters.push(waiter);
        else batch.opened.set(sipCallId, { target, waiters: [waiter] });
      }),
    closed: (sipCallIds) => {
      // A leg whose row has not gone out yet (its INVITE stopped waiting for
      // it) need not be written at all.
      const written = sipCallIds.filter((id) => {
        const leg = next.opened.get(id);
        if (!leg) return true;
        next.opened.delete(id);
        settle(leg.waiters, undefined);
        return false;
      });
      if (written.length === 0) return Promise.resolve();
      return queued((batch, waiter) => {
        for (const id of written) batch.closed.add(id);
        batch.closedWaiters.push(waiter);
      });
    },
  };
}
