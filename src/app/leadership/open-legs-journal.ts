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
}

const emptyBatch = (): Batch => ({ opened: new Map(), closed: new Set(), closedWaiters: [] });

export function openLegsJournal(db: Db, instance: string): LegJournal {
  const repo = new OpenLegsRepo(db);
  let next = emptyBatch();
  let state: 'idle' | 'writing' = 'idle';

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
    repo.write(instance, opened, [...batch.closed]).then(
      () => finish(batch, undefined),
      (err: unknown) => finish(batch, err ?? new Error('open-legs journal write failed')),
    );
  };

  const finish = (batch: Batch, err: unknown) => {
    settle(
      [...batch.opened.values()].flatMap((o) => o.waiters),
      err,
    );
    settle(batch.closedWaiters, err);
    state = 'idle';
    if (next.opened.size > 0 || next.closed.size > 0) write();
  };

  const queued = (add: (batch: Batch, waiter: Waiter) => void) =>
    new Promise<void>((resolve, reject) => {
      add(next, { resolve, reject });
      if (state === 'idle') write();
    });

  return {
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
