/**
 * On Postgres and PGlite: a call's routing explanation is stored once, in
 * its call.routed event, and every reader takes the latest one from there;
 * the call's latest event id is read the same way.
 */
import { expect, test } from 'vitest';
import type { JsonValue, LogEventInput } from '../../src/store/index.ts';
import { eachBackend } from './backends.ts';

const arrived = (callId: string): LogEventInput => ({
  type: 'call.arrived',
  callId,
  payload: { caller: '+4930111', dialledNumber: '+4930999' },
});
const routed = (callId: string, explanation: { [k: string]: JsonValue }): LogEventInput => ({
  type: 'call.routed',
  callId,
  payload: { explanation },
});

eachBackend('routing explanation stored once', (ctx) => {
  test('each call reads its latest explanation from its events; the row holds no copy', async () => {
    const { db, store } = ctx();
    await store.callLog.record([
      arrived('rolled-over'),
      routed('rolled-over', { chosen: 'ann', n: 1 }),
      routed('rolled-over', { chosen: 'bob', n: 2 }),
      arrived('never-routed'),
    ]);
    expect((await store.callLog.getCall('rolled-over'))?.routing).toEqual({
      chosen: 'bob',
      n: 2,
    });
    expect((await store.callLog.getCall('never-routed'))?.routing).toBeNull();

    await store.callLog.record([arrived('new'), routed('new', { chosen: 'cy', n: 3 })]);
    const [routedEvent] = await store.callLog.listEvents({ callId: 'new', type: 'call.routed' });
    const call = await store.callLog.getCall('new');
    expect(call?.routing).toEqual({ chosen: 'cy', n: 3 });
    expect(call?.lastEventId).toBe(routedEvent?.id);
    // The list and the live view read it the same way.
    const page = await store.callLog.listCalls({});
    expect(page.items.find((c) => c.id === 'rolled-over')?.routing).toEqual({
      chosen: 'bob',
      n: 2,
    });
    expect((await store.callLog.liveCalls()).find((c) => c.id === 'new')?.routing).toEqual({
      chosen: 'cy',
      n: 3,
    });
    // Not a copy: the row holds neither the explanation nor a pointer to it.
    const { rows } = await db.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns
          WHERE table_name = 'calls' AND column_name LIKE 'routing%'`,
    );
    expect(rows).toEqual([]);
  });

  test('answering closes the ring attempt and leaves the answer as the call’s latest event', async () => {
    const { store } = ctx();
    const agent = await store.agents.create({ name: 'Ann', sipUsername: 'ann' });
    await store.callLog.record([
      arrived('c1'),
      {
        type: 'call.ringing',
        callId: 'c1',
        agentId: agent.id,
        payload: { attemptId: 'a1', device: 'sip:ann@192.0.2.1' },
      },
      { type: 'call.answered', callId: 'c1', agentId: agent.id, payload: { attemptId: 'a1' } },
    ]);
    const [answered] = await store.callLog.listEvents({ callId: 'c1', type: 'call.answered' });
    const call = await store.callLog.getCall('c1');
    expect(call?.lastEventId).toBe(answered?.id);
    expect(call?.agentId).toBe(agent.id);
    expect(call?.attempts.map((a) => a.result)).toEqual(['answered']);
    // Ending the answered attempt again is refused.
    await expect(
      store.callLog.record([
        { type: 'attempt.ended', callId: 'c1', payload: { attemptId: 'a1', result: 'busy' } },
      ]),
    ).rejects.toThrow(/already ended/);
  });
});
