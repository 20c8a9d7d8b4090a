/**
 * The minute sweep for calls this instance routed that the log shows live
 * while no call of this process carries them (an end whose write was lost),
 * on the real store (migrated in-memory PGlite). A call is closed only after
 * two sweeps in a row found it uncarried; carried calls, calls another
 * instance routed and calls that end between two sweeps are left alone.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { watchUncarriedCalls } from '../../src/app/telephony/uncarried-calls.ts';
import { orphanCallPortsFrom } from '../../src/calls/store-adapters.ts';
import { createStore, type Store } from '../../src/store/index.ts';
import { liveCallsRoutedBy, nameSession } from '../../src/store/instances.ts';
import { openMigratedPglite } from '../support/pglite.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

const ids = {
  lost: '11111111-1111-4111-8111-111111111111',
  carried: '22222222-2222-4222-8222-222222222222',
  endsLate: '33333333-3333-4333-8333-333333333333',
  elsewhere: '44444444-4444-4444-8444-444444444444',
};

async function arrive(s: Store, id: string) {
  await s.callLog.record([
    {
      type: 'call.arrived',
      callId: id,
      payload: { caller: '+4930555', dialledNumber: '+4930100' },
    },
    { type: 'call.queued', callId: id, payload: {} },
  ]);
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };

describe('uncarried calls', { timeout: 120_000 }, () => {
  it('closes a call found live and uncarried in two sweeps in a row, and nothing else', async () => {
    const db = await openMigratedPglite();
    cleanups.push(() => db.close());
    const s = createStore(db);
    await nameSession(db, 'other-node');
    await arrive(s, ids.elsewhere);
    await nameSession(db, 'this-node');
    for (const id of [ids.lost, ids.carried, ids.endsLate]) await arrive(s, id);

    let sweeps = 0;
    const published: Array<{ type: string; data: unknown }> = [];
    const stop = watchUncarriedCalls({
      everyMs: 100,
      liveRoutedHere: async () => {
        sweeps += 1;
        // After the first sweep, the late call's end reaches the log.
        if (sweeps === 2) {
          await s.callLog.record([
            { type: 'call.ended', callId: ids.endsLate, payload: { outcome: 'abandoned' } },
          ]);
        }
        return liveCallsRoutedBy(db, 'this-node');
      },
      carries: (id) => id === ids.carried,
      flush: async () => {},
      ports: orphanCallPortsFrom(s),
      logger: silent,
      publisher: { publish: (type, data) => void published.push({ type, data }) },
    });
    cleanups.push(stop);
    const deadline = Date.now() + 20_000;
    while (sweeps < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await stop();

    const byId = new Map((await s.callLog.liveCalls()).map((c) => [c.id, c]));
    expect([...byId.keys()].sort()).toEqual([ids.carried, ids.elsewhere].sort());
    const lost = await s.callLog.getCall(ids.lost);
    expect(lost?.outcome).toBe('failed');
    const late = await s.callLog.getCall(ids.endsLate);
    expect(late?.outcome).toBe('abandoned');
    expect(published.filter((p) => p.type === 'reconcile.fixed')).toEqual([
      {
        type: 'reconcile.fixed',
        data: expect.objectContaining({ what: 'call', callId: ids.lost }),
      },
    ]);
  });
});
