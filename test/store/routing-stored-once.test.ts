/**
 * Migrations 0004 and 0005 on Postgres and PGlite: a call's routing
 * explanation is stored once, in its call.routed event, and read from there.
 * A database written before them (explanations copied into calls.routing)
 * keeps every explanation through the upgrade.
 */
import { expect, test } from 'vitest';
import {
  createStore,
  type JsonValue,
  type LogEventInput,
  loadMigrations,
  migrate,
} from '../../src/store/index.ts';
import { eachBackend } from './backends.ts';

const before0004 = () => loadMigrations().filter((m) => m.number < 4);

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

eachBackend(
  'routing explanation stored once',
  (ctx) => {
    test('an upgraded database keeps each call’s latest explanation; new calls read theirs from their event', async () => {
      const { db } = ctx();
      await migrate(db, { migrations: before0004() });
      const old = createStore(db);
      await old.callLog.record([
        arrived('rolled-over'),
        routed('rolled-over', { chosen: 'ann', n: 1 }),
        routed('rolled-over', { chosen: 'bob', n: 2 }),
        arrived('never-routed'),
      ]);

      // 0004 and 0005 first (later files, e.g. department media, after them).
      expect((await migrate(db)).applied.slice(0, 2)).toEqual([
        '0004_routing_stored_once.sql',
        '0005_project_by_statement.sql',
      ]);
      const store = createStore(db);
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
      const { db } = ctx();
      await migrate(db);
      const store = createStore(db);
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
      // A second answer of the same attempt is refused, as before.
      await expect(
        store.callLog.record([
          { type: 'attempt.ended', callId: 'c1', payload: { attemptId: 'a1', result: 'busy' } },
        ]),
      ).rejects.toThrow(/already ended/);
    });
  },
  { migrate: false },
);
