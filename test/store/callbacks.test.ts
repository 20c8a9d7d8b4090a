/**
 * Stored callback requests: pending ones come back in the order they were
 * made with their tries and next retry; closed ones stay closed; a callback
 * request marks its call in the call log.
 */
import { expect, test } from 'vitest';
import { eachBackend } from './backends.ts';

const DEPT = '6f1c5b8e-4f1a-4c3b-9d7e-2a1b3c4d5e6f';
const at = (s: number) => new Date(Date.UTC(2026, 0, 5, 10, 0, s));

eachBackend('callback requests', (ctx) => {
  test('pending requests come back in the order they were made; closed ones do not', async () => {
    const { store } = ctx();
    const cb = store.callbacks;
    await cb.create({ callId: 'c2', departmentId: DEPT, number: '+4930222', arrivedAt: at(5) });
    await cb.create({ callId: 'c1', departmentId: DEPT, number: '+4930111', arrivedAt: at(1) });
    await cb.create({ callId: 'c3', departmentId: DEPT, number: '+4930333', arrivedAt: at(9) });
    // A repeated request is the same request.
    await cb.create({ callId: 'c2', departmentId: DEPT, number: '+4930999', arrivedAt: at(7) });
    await cb.retryScheduled('c1', 1, at(300));
    await cb.close('c3', 'failed');
    // Closed stays closed.
    await cb.close('c3', 'reached');
    await cb.retryScheduled('c3', 2, at(400));
    expect(await cb.pending()).toEqual([
      {
        callId: 'c2',
        departmentId: DEPT,
        number: '+4930222',
        arrivedAt: at(5),
        failedTries: 0,
        retryAt: null,
        attemptsMade: 0,
      },
      {
        callId: 'c1',
        departmentId: DEPT,
        number: '+4930111',
        arrivedAt: at(1),
        failedTries: 1,
        retryAt: at(300),
        attemptsMade: 0,
      },
    ]);
    const { rows } = await ctx().db.query<{ state: string }>(
      "SELECT state FROM callback_requests WHERE call_id = 'c3'",
    );
    expect(rows[0]?.state).toBe('failed');
  });

  test('a pending request names the highest ring attempt number its call has in the log', async () => {
    const { store } = ctx();
    const agent = await store.agents.create({ name: 'alice', sipUsername: '2001' });
    await store.callLog.appendMany([
      {
        type: 'call.arrived',
        callId: 'r1',
        at: at(0),
        payload: { caller: '+4915112345678', dialledNumber: '+4930200' },
      },
      ...[1, 2, 10].map((n) => ({
        type: 'call.ringing',
        callId: 'r1',
        agentId: agent.id,
        at: at(n),
        payload: { attemptId: `r1/${n}`, device: 'sip:2001@127.0.0.1' },
      })),
      { type: 'call.callback-requested', callId: 'r1', at: at(20), payload: { number: '+49151' } },
    ]);
    await store.callbacks.create({
      callId: 'r1',
      departmentId: DEPT,
      number: '+4915112345678',
      arrivedAt: at(0),
    });
    expect((await store.callbacks.pending()).map((p) => [p.callId, p.attemptsMade])).toEqual([
      ['r1', 10],
    ]);
  });

  test('a number that is not E.164 is refused by the database', async () => {
    const { store } = ctx();
    await expect(
      store.callbacks.create({
        callId: 'x',
        departmentId: DEPT,
        number: '0301234',
        arrivedAt: at(0),
      }),
    ).rejects.toThrow();
  });

  test('a call-log event marks the call as a callback; it ends as callback-failed', async () => {
    const { store } = ctx();
    const log = store.callLog;
    await log.appendMany([
      {
        type: 'call.arrived',
        callId: 'k1',
        at: at(0),
        payload: { caller: '+4915112345678', dialledNumber: '+4930200' },
      },
      { type: 'call.callback-requested', callId: 'k1', at: at(3), payload: { number: '+49151' } },
    ]);
    expect(await log.getCall('k1')).toMatchObject({ kind: 'callback', outcome: null });
    await log.appendMany([
      { type: 'call.ended', callId: 'k1', at: at(600), payload: { outcome: 'callback-failed' } },
    ]);
    expect(await log.getCall('k1')).toMatchObject({ kind: 'callback', outcome: 'callback-failed' });
    await log.appendMany([
      {
        type: 'call.arrived',
        callId: 'k2',
        at: at(0),
        payload: { caller: '+4915112345678', dialledNumber: '+4930200' },
      },
    ]);
    expect(await log.getCall('k2')).toMatchObject({ kind: 'inbound' });
  });
});
