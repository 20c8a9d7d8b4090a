/**
 * `closeOrphanCalls` on the real store (migrated in-memory PGlite): calls the
 * log shows as live and no dialog carries are ended as failed with the cause,
 * their open rings closed, one log line written; carried calls are left
 * alone; a call that ends meanwhile does not keep the others open.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { closeOrphanCalls, type OrphanCallPorts } from '../../src/calls/orphan-calls.ts';
import { orphanCallPortsFrom } from '../../src/calls/store-adapters.ts';
import { createStore, type Store } from '../../src/store/index.ts';
import { openMigratedPglite } from '../support/pglite.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function store(): Promise<Store> {
  const db = await openMigratedPglite();
  cleanups.push(() => db.close());
  return createStore(db);
}

function capture() {
  const lines: Array<{ level: string; obj: Record<string, unknown>; msg: string }> = [];
  const at =
    (level: string) =>
    (obj: object, msg: string): void =>
      void lines.push({ level, obj: obj as Record<string, unknown>, msg });
  return {
    lines,
    logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
  };
}

/** A call that arrived and is ringing an agent (attempt open), as a crash leaves it. */
async function ringingCall(s: Store, id: string, agentId: string) {
  await s.callLog.record([
    {
      type: 'call.arrived',
      callId: id,
      payload: { caller: '+4930555', dialledNumber: '+4930100' },
    },
    { type: 'call.queued', callId: id, payload: {} },
    {
      type: 'call.ringing',
      callId: id,
      agentId,
      payload: { attemptId: `${id}/1`, device: 'sip:a@x' },
    },
  ]);
}

// The first test may build the migrated PGlite template (seconds to a minute on a loaded machine).
describe('closing calls no live dialog carries', { timeout: 120_000 }, () => {
  it('ends them as failed with the cause, closes their rings, and logs one line with the ids', async () => {
    const s = await store();
    const agent = await s.agents.create({ name: 'A', sipUsername: '1001' });
    const ids = [
      '11111111-1111-4111-8111-111111111111',
      '22222222-2222-4222-8222-222222222222',
      '33333333-3333-4333-8333-333333333333',
    ];
    for (const id of ids) await ringingCall(s, id, agent.id);
    const published: unknown[] = [];
    const { lines, logger } = capture();
    const result = await closeOrphanCalls({
      ports: orphanCallPortsFrom(s),
      carried: (id) => id === ids[2],
      cause: 'restart',
      logger,
      publisher: { publish: (type, data) => void published.push({ type, data }) },
    });
    expect(result).toEqual({ closed: [ids[0], ids[1]], failed: [] });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'warn',
      obj: { count: 2, callIds: [ids[0], ids[1]], cause: 'restart' },
    });
    expect(published).toEqual([
      {
        type: 'call.ended',
        data: expect.objectContaining({ callId: ids[0], outcome: 'failed', reason: 'restart' }),
      },
      {
        type: 'call.ended',
        data: expect.objectContaining({ callId: ids[1], outcome: 'failed', reason: 'restart' }),
      },
    ]);
    for (const id of [ids[0], ids[1]]) {
      const call = await s.callLog.getCall(id ?? '');
      expect(call?.outcome).toBe('failed');
      expect(call?.attempts.map((a) => a.result)).toEqual(['cancelled']);
      const ended = await s.callLog.listEvents({ callId: id ?? '', type: 'call.ended' });
      expect(ended[0]?.payload).toEqual({ outcome: 'failed', reason: 'restart' });
    }
    // The carried call is left alone.
    expect((await s.callLog.liveCalls()).map((c) => c.id)).toEqual([ids[2]]);
    // Nothing left: a second run closes nothing and logs nothing.
    const again = await closeOrphanCalls({
      ports: orphanCallPortsFrom(s),
      carried: (id) => id === ids[2],
      cause: 'restart',
      logger,
    });
    expect(again.closed).toEqual([]);
    expect(lines).toHaveLength(1);
  });

  it('a call that ended meanwhile does not keep the others open', async () => {
    const s = await store();
    const agent = await s.agents.create({ name: 'A', sipUsername: '1001' });
    const a = '44444444-4444-4444-8444-444444444444';
    const b = '55555555-5555-4555-8555-555555555555';
    await ringingCall(s, a, agent.id);
    await ringingCall(s, b, agent.id);
    const real = orphanCallPortsFrom(s);
    const ports: OrphanCallPorts = {
      async openCalls() {
        const open = await real.openCalls();
        // Call a ends on its own between the read and the write.
        await s.callLog.record([
          { type: 'call.ended', callId: a, payload: { outcome: 'abandoned' } },
        ]);
        return open;
      },
      write: real.write,
    };
    const { lines, logger } = capture();
    const result = await closeOrphanCalls({
      ports,
      carried: () => false,
      cause: 'restart',
      logger,
    });
    expect(result).toEqual({ closed: [b], failed: [a] });
    expect((await s.callLog.getCall(a))?.outcome).toBe('abandoned');
    expect((await s.callLog.getCall(b))?.outcome).toBe('failed');
    expect(lines.map((l) => l.level)).toEqual(['error', 'warn']);
  });
});
