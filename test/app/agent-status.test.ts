/**
 * The status writer against a row another instance stored while this
 * process writes the same agent's status (real PGlite store). The engine
 * pauses an agent itself and stores the pause after; a change-feed row read
 * before that write commits must not carry the old status back into the
 * engine, since the database ends with this process's write.
 */
import pino from 'pino';
import { afterEach, describe, expect, test } from 'vitest';
import { createEventBus } from '../../src/api/events/api-events.ts';
import { AgentStatusService } from '../../src/app/runtime/agent-status.ts';
import { type Agent, createStore, type Db } from '../../src/store/index.ts';
import { openMigratedPglite } from '../support/pglite.ts';

const open: Db[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((db) => db.close()));
});

/** `afterRead` runs once a row has been read for the writer, before it gets it. */
async function setUp(afterRead: () => void = () => {}) {
  const db = await openMigratedPglite();
  open.push(db);
  const store = createStore(db);
  const agent = await store.agents.create({ name: 'Ann', sipUsername: 'ann', status: 'available' });
  const agents = Object.create(store.agents) as typeof store.agents;
  agents.get = async (id) => {
    const row = await store.agents.get(id);
    afterRead();
    return row;
  };
  const service = new AgentStatusService(
    { agentStatus: store.agentStatus, agents },
    createEventBus(),
    pino({ level: 'silent' }),
  );
  const heard: Agent['status'][] = [];
  service.follow({ changed: () => {}, storedElsewhere: (a) => heard.push(a.status) });
  return { store, agent, service, heard };
}

describe('agent status writer and rows stored elsewhere', () => {
  test('a row arriving while its own pause is being stored is read after the write', async () => {
    const { agent, service, heard } = await setUp();
    const pause = service.record(agent.id, { status: 'away', reason: 'missed', source: 'system' });
    await service.storedElsewhere(agent.id);
    await pause;
    expect(heard).toEqual(['away']);
  });

  test('a row read just before its own pause began is dropped', async () => {
    let pause: Promise<unknown> | null = null;
    const { agent, service, heard } = await setUp(() => {
      // The engine pauses the agent between the read and its delivery.
      pause ??= service.record(agent.id, { status: 'away', reason: 'missed', source: 'system' });
    });
    await service.storedElsewhere(agent.id);
    await pause;
    expect(pause).not.toBeNull();
    expect(heard).toEqual([]);
  });

  test('a row stored elsewhere with no write of this process in flight reaches the engine', async () => {
    const { store, agent, service, heard } = await setUp();
    await service.record(agent.id, { status: 'away', reason: 'missed', source: 'system' });
    await store.agentStatus.set(agent.id, { status: 'available', source: 'admin' });
    await service.storedElsewhere(agent.id);
    expect(heard).toEqual(['available']);
  });
});
