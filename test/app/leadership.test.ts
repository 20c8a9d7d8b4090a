/**
 * The routing lease against a real Postgres server: one leader at a time,
 * a standby takes over when the leader stops or dies, and a leader whose
 * database connection is cut (a frozen TCP relay: no FIN, no RST) stops
 * routing before the standby starts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { Leadership, type RoleChange } from '../../src/app/leadership/leadership.ts';
import { PostgresLease } from '../../src/app/leadership/lease-store.ts';
import { openPostgres } from '../../src/store/index.ts';
import { startPostgres, type TestPostgres } from '../support/postgres.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';

let pg: TestPostgres;
beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(async () => {
  await pg?.stop();
});

// The leader stops routing one renewal period (600 ms) before its lease can
// pass on: a margin that a busy test machine's timer delays stay within.
const LEASE_MS = 2400;
const RENEW_MS = 600;

interface Node {
  id: string;
  leadership: Leadership;
  /** Every role change with its time (performance.now()). */
  changes: { at: number; change: RoleChange }[];
}

const nodes: Node[] = [];
const proxies: TcpProxy[] = [];
afterEach(async () => {
  for (const n of nodes.splice(0)) await n.leadership.close();
  for (const p of proxies.splice(0)) await p.close();
});

function node(id: string, url: string): Node {
  const changes: Node['changes'] = [];
  const leadership = new Leadership({
    instanceId: id,
    lease: new PostgresLease({ url, timeoutMs: RENEW_MS, instance: { id, host: 'test', pid: 1 } }),
    leaseMs: LEASE_MS,
    renewMs: RENEW_MS,
    onChange: (change) => changes.push({ at: performance.now(), change }),
  });
  const n = { id, leadership, changes };
  nodes.push(n);
  return n;
}

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function firstAt(n: Node, kind: string): number | undefined {
  return n.changes.find((c) => c.change.role.kind === kind)?.at;
}

describe('routing lease', () => {
  test('the first instance leads, the second waits; a graceful stop hands over at once', async () => {
    const url = await pg.createMigratedDatabase();
    const a = node('a', url);
    const b = node('b', url);
    await a.leadership.start();
    await b.leadership.start();
    expect(a.leadership.role.kind).toBe('leader');
    expect(b.leadership.role.kind).toBe('standby');
    // Several renewals later, still one leader.
    await new Promise((r) => setTimeout(r, RENEW_MS * 4));
    expect(a.leadership.isLeader()).toBe(true);
    expect(b.leadership.isLeader()).toBe(false);

    await a.leadership.close();
    nodes.splice(nodes.indexOf(a), 1);
    await until(() => b.leadership.isLeader(), 'b to lead');
    const taken = b.changes.find((c) => c.change.role.kind === 'leader')?.change;
    expect(taken?.previousHolder).toBe('a');
  });

  test('a leader that stops renewing (killed) is replaced after its lease', async () => {
    const url = await pg.createMigratedDatabase();
    const proxy = await startTcpProxy(pg.host, pg.port);
    proxies.push(proxy);
    const a = node('a', url.replace(`:${pg.port}/`, `:${proxy.port}/`));
    const b = node('b', url);
    await a.leadership.start();
    await b.leadership.start();
    expect(a.leadership.isLeader()).toBe(true);
    // Like kill -9: the connection closes, nothing is released.
    await proxy.close();
    proxies.length = 0;
    await until(() => b.leadership.isLeader(), 'b to lead');
    // a cannot renew either, so it fenced itself, and did so before b started.
    await until(() => a.leadership.role.kind === 'fenced', 'a to stop routing');
    expect(firstAt(a, 'fenced')).toBeLessThan(firstAt(b, 'leader')!);
  });

  test('a leader cut off from the database stops routing before the standby starts', async () => {
    const url = await pg.createMigratedDatabase();
    const proxy = await startTcpProxy(pg.host, pg.port);
    proxies.push(proxy);
    const a = node('a', url.replace(`:${pg.port}/`, `:${proxy.port}/`));
    const b = node('b', url);
    await a.leadership.start();
    await b.leadership.start();
    expect(a.leadership.isLeader()).toBe(true);

    proxy.freeze(); // no FIN, no RST: Postgres still sees a's session as alive
    await until(() => b.leadership.isLeader(), 'b to lead');
    const fenced = firstAt(a, 'fenced');
    const led = firstAt(b, 'leader');
    expect(fenced, 'a stopped routing').toBeDefined();
    expect(fenced!).toBeLessThan(led!);
    const role = a.leadership.role;
    expect(role.kind === 'fenced' && role.reason).toMatch(/could not renew/);

    // The cable is back: a finds the lease taken and stays a standby.
    proxy.thaw();
    await until(() => a.leadership.role.kind === 'standby', 'a to become a standby');
    expect(b.leadership.isLeader()).toBe(true);
  });

  test('the lease row names the holder and a new epoch on every change of holder', async () => {
    const url = await pg.createMigratedDatabase();
    const a = node('a', url);
    await a.leadership.start();
    const db = openPostgres(url);
    try {
      const r1 = await db.query<{ holder: string; epoch: string }>(
        'SELECT holder, epoch FROM routing_lease',
      );
      expect(r1.rows[0]?.holder).toBe('a');
      const b = node('b', url);
      await a.leadership.close();
      nodes.splice(nodes.indexOf(a), 1);
      await b.leadership.start();
      expect(b.leadership.isLeader()).toBe(true);
      const r2 = await db.query<{ holder: string; epoch: string }>(
        'SELECT holder, epoch FROM routing_lease',
      );
      expect(r2.rows[0]?.holder).toBe('b');
      expect(Number(r2.rows[0]?.epoch)).toBeGreaterThan(Number(r1.rows[0]?.epoch));
      const inst = await db.query<{ id: string }>('SELECT id FROM instances ORDER BY id');
      expect(inst.rows.map((r) => r.id)).toEqual(['a', 'b']);
    } finally {
      await db.close();
    }
  });
});
