/**
 * What a new leader reads again on taking over, against a real store
 * (PGlite) and the real routing engine: registrations and agent statuses
 * changed in the store by another instance while this one stood by.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type AcdEngine, createAcd } from '../../src/acd/index.ts';
import {
  type CatchUpPorts,
  catchUpStatuses,
  reloadBindings,
} from '../../src/app/telephony/takeover-catch-up.ts';
import type { DriverEvent } from '../../src/calls/engine/engine-driver.ts';
import type { RegistrationBinding } from '../../src/calls/ports/index.ts';
import { liveBindingsByAgent } from '../../src/calls/store-adapters.ts';
import { createStore, type Db, loadAcdConfig, type Store } from '../../src/store/index.ts';
import { openMigratedPglite } from '../support/pglite.ts';

const dbs: Db[] = [];
afterEach(async () => {
  await Promise.all(dbs.splice(0).map((db) => db.close()));
});

async function newStore(): Promise<Store> {
  const db = await openMigratedPglite();
  dbs.push(db);
  return createStore(db);
}

/** The standby's engine as loaded from the store at its start. */
async function engineOf(store: Store): Promise<AcdEngine> {
  return createAcd(await loadAcdConfig(store, new Date()), { now: Date.now(), random: () => 0.5 });
}

function ports(
  store: Store,
  engine: AcdEngine,
  held: Map<string, RegistrationBinding[]>,
  sent: DriverEvent[],
): CatchUpPorts {
  return {
    liveBindings: () => liveBindingsByAgent(store, new Date()),
    withBindings: () => held.keys(),
    bindingsChanged: (agentId, bindings) => {
      if (bindings.length > 0) held.set(agentId, bindings);
      else held.delete(agentId);
    },
    agents: () => store.agents.list(),
    engine: () => engine.snapshot(),
    send: (e) => {
      sent.push(e);
      engine.handle({ ...e, at: Date.now() } as Parameters<AcdEngine['handle']>[0]);
    },
  };
}

describe('taking over: what the engine missed', () => {
  it('statuses changed in the store reach the engine; unchanged agents are left alone', async () => {
    const store = await newStore();
    const away = await store.agents.create({ name: 'a', sipUsername: '2001', status: 'away' });
    const same = await store.agents.create({ name: 'b', sipUsername: '2002', status: 'away' });
    const engine = await engineOf(store);
    // Another instance makes `away` available.
    await store.agentStatus.set(away.id, { status: 'available', source: 'admin' });
    const sent: DriverEvent[] = [];
    const p = ports(store, engine, new Map(), sent);
    expect(await catchUpStatuses(p)).toBe(1);
    expect(sent).toMatchObject([
      { type: 'agentStatusChanged', agentId: away.id, status: 'available', reason: 'takeover' },
    ]);
    const presence = new Map(engine.snapshot().agents.map((a) => [a.id, a.presence]));
    expect(presence.get(away.id)).toBe('available');
    expect(presence.get(same.id)).toBe('away');
    // A second read finds nothing more to do.
    expect(await catchUpStatuses(p)).toBe(0);
  });

  it('bindings registered elsewhere are taken; bindings gone from the store are forgotten', async () => {
    const store = await newStore();
    const engine = await engineOf(store);
    const fresh = await store.agents.create({ name: 'a', sipUsername: '2001' });
    const gone = await store.agents.create({ name: 'b', sipUsername: '2002' });
    await store.registrations.upsert({
      agentId: fresh.id,
      contactUri: 'sip:2001@127.0.0.1:5070',
      expiresAt: new Date(Date.now() + 3600_000),
      sourceAddress: '127.0.0.1',
      sourcePort: 5070,
      transport: 'udp',
    });
    // This instance still holds a binding that the leader has since removed.
    const held = new Map<string, RegistrationBinding[]>([
      [
        gone.id,
        [
          {
            agentId: gone.id,
            contactUri: 'sip:2002@127.0.0.1:5071',
            expiresAt: Date.now() + 3600_000,
            callId: 'x',
            cseq: 1,
            sourceAddress: '127.0.0.1',
            sourcePort: 5071,
            transport: 'udp',
            userAgent: null,
            updatedAt: Date.now(),
          },
        ],
      ],
    ]);
    await reloadBindings(ports(store, engine, held, []));
    expect([...held.keys()]).toEqual([fresh.id]);
    expect(held.get(fresh.id)?.map((b) => b.contactUri)).toEqual(['sip:2001@127.0.0.1:5070']);
  });
});
