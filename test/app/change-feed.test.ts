/**
 * Changes made elsewhere reach the app as events at once, through
 * LISTEN/NOTIFY on a real Postgres server: by hand in SQL (strategy,
 * membership, status) and by another instance; this instance's own writes
 * are not repeated (the API already published them).
 */
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { createEventBus } from '../../src/api/events/api-events.ts';
import { createMetrics } from '../../src/api/metrics.ts';
import { AgentStatusService } from '../../src/app/runtime/agent-status.ts';
import { loadConfig } from '../../src/app/settings/config.ts';
import { urlNamingInstance } from '../../src/app/database.ts';
import { changeFeed } from '../../src/app/leadership/change-feed.ts';
import type { RunningLayer } from '../../src/app/runtime/layer.ts';
import { createStore, openPostgres, type Db } from '../../src/store/index.ts';
import { startPostgres, type TestPostgres } from '../support/postgres.ts';

let pg: TestPostgres;
beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(async () => {
  await pg?.stop();
});

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

async function setup() {
  const url = await pg.createMigratedDatabase();
  const config = loadConfig({
    env: {},
    overrides: {
      database: { url },
      api: { token: 'x'.repeat(32) },
      leadership: { instanceId: 'me' },
    },
  });
  // The app's own pool names its sessions 'me'; the other "instance" and psql are separate.
  const mine = openPostgres(urlNamingInstance(url, 'me'));
  const other = openPostgres(urlNamingInstance(url, 'other'));
  const byHand = openPostgres(url);
  open.push(mine, other, byHand);
  const store = createStore(mine);
  const events = createEventBus();
  const seen: { type: string; data: Record<string, unknown> }[] = [];
  for (const type of [
    'department.updated',
    'agent.updated',
    'membership.created',
    'membership.deleted',
  ] as const) {
    events.on(type, (e) => seen.push({ type, data: e.data as unknown as Record<string, unknown> }));
  }
  const logger = pino({ level: 'silent' });
  const layer: RunningLayer = await changeFeed()({
    config,
    logger,
    store,
    events,
    metrics: createMetrics({ defaultMetrics: false }),
    agentStatus: new AgentStatusService(store, events, logger),
  });
  open.push(layer);
  return { store, other, byHand, seen };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('change feed (LISTEN/NOTIFY)', () => {
  test('strategy, membership and status changed by hand in SQL become events', async () => {
    const { store, byHand, seen } = await setup();
    const d = await store.departments.create({ name: 'Support' });
    const a = await store.agents.create({ name: 'Ann', sipUsername: 'ann' });
    expect(seen).toEqual([]); // our own writes: the API publishes those itself

    await byHand.query(`UPDATE departments SET strategy = 'round-robin' WHERE id = $1`, [d.id]);
    await until(() => seen.some((e) => e.type === 'department.updated'), 'department.updated');
    expect(seen.find((e) => e.type === 'department.updated')?.data.strategy).toBe('round-robin');

    await byHand.query('INSERT INTO memberships (agent_id, department_id) VALUES ($1, $2)', [
      a.id,
      d.id,
    ]);
    await until(() => seen.some((e) => e.type === 'membership.created'), 'membership.created');
    expect(seen.find((e) => e.type === 'membership.created')?.data.agentId).toBe(a.id);

    await byHand.query(`UPDATE agents SET status = 'away' WHERE id = $1`, [a.id]);
    await until(() => seen.some((e) => e.type === 'agent.updated'), 'agent.updated');
    expect(seen.find((e) => e.type === 'agent.updated')?.data.status).toBe('away');

    await byHand.query('DELETE FROM memberships WHERE agent_id = $1', [a.id]);
    await until(() => seen.some((e) => e.type === 'membership.deleted'), 'membership.deleted');
  });

  test("another instance's change becomes an event, ours does not", async () => {
    const { store, other, seen } = await setup();
    const d = await store.departments.create({ name: 'Sales' });
    await createStore(other as Db).departments.update(d.id, { name: 'Sales EU' });
    await until(() => seen.length > 0, 'an event');
    expect(seen).toEqual([
      { type: 'department.updated', data: expect.objectContaining({ name: 'Sales EU' }) },
    ]);
    await store.departments.update(d.id, { name: 'Sales DE' });
    // A marker change by the other instance: once it arrives, ours would have too.
    await createStore(other as Db).departments.update(d.id, { name: 'Sales AT' });
    await until(() => seen.length > 1, 'the marker');
    expect(seen.map((e) => e.data.name)).toEqual(['Sales EU', 'Sales AT']);
  });
});
