/**
 * The call-log events call control writes, through the
 * CallLogWriter into the real store on PGlite: the projections (calls,
 * call_attempts) must come out right. SIP is stood in (see sip-standins.ts);
 * the engine, the writer and the database are real.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CallLogWriter } from '../../../src/calls/recorder/call-log-writer.ts';
import type { CallLogEvent } from '../../../src/calls/recorder/call-events.ts';
import { callLogSinkFrom } from '../../../src/calls/store-adapters.ts';
import {
  createStore,
  type Db,
  type LogEventInput,
  migrate,
  openPglite,
  type Store,
} from '../../../src/store/index.ts';
import { flush } from './support/manual-scheduler.ts';
import { world } from './support/world.ts';

// One database for the file (migrating PGlite takes seconds); each test has its own call ids.
let db: Db;
let store: Store;
const writers: CallLogWriter<LogEventInput>[] = [];

beforeAll(async () => {
  db = await openPglite();
  await migrate(db);
  store = createStore(db);
});
afterEach(async () => {
  for (const w of writers.splice(0)) await w.close();
});
afterAll(async () => {
  await db?.close();
});

async function storeWorld(agentCount: number, department = {}) {
  const writer = new CallLogWriter<LogEventInput>({ sink: callLogSinkFrom(store) });
  writers.push(writer);
  const ids = Array.from({ length: agentCount }, () => randomUUID());
  const prefix = randomUUID();
  const departmentId = randomUUID();
  const w = world({
    callIdPrefix: prefix,
    departmentId,
    agents: ids.map((id) => ({ id })),
    department,
    callLog: { append: (e: CallLogEvent) => writer.write(e) },
  });
  return { w, store, writer, ids, departmentId, callId: `${prefix}-1` };
}

describe('call-log rows in the store', () => {
  it('an answered call after a rollover: the call row and both attempts', async () => {
    const { w, writer, ids, callId } = await storeWorld(2);
    const inbound = await w.call();
    await flush();
    w.uac.invites[0]?.fail(486);
    await flush();
    w.clock.advance(2000);
    const agent = w.uac.invites[1]?.answer();
    await flush();
    w.clock.advance(30_000);
    agent?.peerBye();
    await flush();
    expect(inbound.answered).not.toBeNull();
    await writer.flush();
    const call = await store.callLog.getCall(callId);
    expect(call).toMatchObject({ outcome: 'answered', agentId: ids[1], caller: '+4917012345' });
    expect(call?.talkS).toBeCloseTo(30, 0);
    expect(call?.routing).not.toBeNull();
    const attempts = (call?.attempts ?? []).map((a) => [a.agentId, a.result, a.ringS]);
    expect(attempts).toEqual([
      [ids[0], 'busy', 0],
      [ids[1], 'answered', 2],
    ]);
    expect(call?.attempts[0]?.device).toContain('@192.0.2.11:5062');
    await w.cc.close();
  });

  it('an abandoned call with its cancelled attempt', async () => {
    const { w, writer, callId } = await storeWorld(1);
    const inbound = await w.call();
    await flush();
    w.clock.advance(5000);
    inbound.cancel();
    await flush();
    w.uac.invites[0]?.fail(487);
    await flush();
    await writer.flush();
    const call = await store.callLog.getCall(callId);
    expect(call?.outcome).toBe('abandoned');
    expect(call?.waitS).toBeCloseTo(5, 0);
    expect(call?.attempts.map((a) => a.result)).toEqual(['cancelled']);
    await w.cc.close();
  });

  it('an out-of-hours call, counted in the department it dialled', async () => {
    const { w, writer, departmentId, callId } = await storeWorld(1, { businessHours: [] });
    await w.call();
    await flush();
    await writer.flush();
    const call = await store.callLog.getCall(callId);
    expect(call?.outcome).toBe('out-of-hours');
    expect(call?.departmentId).toBe(departmentId);
    expect(call?.attempts).toEqual([]);
    expect(writer.queued).toBe(0);
    await w.cc.close();
  });
});
