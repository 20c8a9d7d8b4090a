/**
 * Two app instances on one Postgres server and one SIP server (the embedded
 * one, which hands new requests round-robin to the apps that routed the
 * method, like drachtio-server): only the leader is handed REGISTERs; when
 * it stops, the standby takes over and is handed them.
 *
 * Which instance handled a REGISTER is counted by wrapping each instance's
 * registrar handler (the handler itself runs unchanged).
 */
import dgram from 'node:dgram';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { AcdApp } from '../../src/app/start-app.ts';
import { type EmbeddedSipServer, startSipServer } from '../../src/edge/index.ts';
import { urlNamingInstance } from '../../src/app/database.ts';
import { createStore, openPostgres } from '../../src/store/index.ts';
import { startPostgres, type TestPostgres } from '../support/postgres.ts';
import { startProduct, stopProducts, TOKEN } from './support/product.ts';

let pg: TestPostgres;
let sip: EmbeddedSipServer;
const SECRET = 'two-instances-secret';
beforeAll(async () => {
  pg = await startPostgres();
  sip = await startSipServer({
    listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }],
    control: { host: '127.0.0.1', port: 0 },
    secret: SECRET,
  });
});
afterAll(async () => {
  await sip?.close();
  await pg?.stop();
});

afterEach(() => stopProducts());

interface Instance {
  app: AcdApp;
  handled: () => number;
}

async function instance(id: string, url: string): Promise<Instance> {
  const { app, telephony } = await startProduct({
    sipPort: sip.sipAddresses[0]!.port,
    databaseUrl: url,
    logLevel: 'silent',
    overrides: {
      drachtio: { host: '127.0.0.1', port: sip.controlAddress.port, secret: SECRET },
      leadership: { instanceId: id, leaseMs: 1500, renewMs: 250 },
    },
  });
  let count = 0;
  const registrar = telephony.calls.registrar;
  const original = registrar.handler;
  (registrar as { handler: typeof original }).handler = (req, res) => {
    count++;
    original(req, res);
  };
  return { app, handled: () => count };
}

/** Sends `n` REGISTERs one after another; returns each answer's status code. */
async function registers(n: number): Promise<number[]> {
  const target = sip.sipAddresses[0]!;
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  const port = socket.address().port;
  const codes: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const msg = [
        'REGISTER sip:acd.local SIP/2.0',
        `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK-two-${i}-${Date.now()}`,
        'Max-Forwards: 70',
        'From: <sip:nobody@acd.local>;tag=t1',
        'To: <sip:nobody@acd.local>',
        `Call-ID: two-instances-${i}-${Date.now()}`,
        `CSeq: ${i + 1} REGISTER`,
        `Contact: <sip:nobody@127.0.0.1:${port}>`,
        'Expires: 600',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      const answer = new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no answer to REGISTER')), 5000);
        socket.once('message', (m) => {
          clearTimeout(timer);
          resolve(Number(m.toString().split(' ')[1]));
        });
      });
      socket.send(msg, target.port, target.host);
      codes.push(await answer);
    }
  } finally {
    socket.close();
  }
  return codes;
}

async function until(cond: () => Promise<boolean> | boolean, what: string): Promise<void> {
  const end = Date.now() + 15_000;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('two instances on one SIP server and one database', () => {
  test('only the leader is handed REGISTERs; after it stops, the standby is', async () => {
    const url = await pg.createMigratedDatabase();
    const a = await instance('a', url);
    const b = await instance('b', url);

    const first = await registers(6);
    // Every REGISTER was answered by a registrar (a challenge), none by a standby's 503.
    expect(first.every((c) => c === 401 || c === 403 || c === 404)).toBe(true);
    expect(a.handled()).toBe(6);
    expect(b.handled()).toBe(0);

    // A call live in the log, routed by an instance that is gone.
    const ghostDb = openPostgres(urlNamingInstance(url, 'ghost'));
    try {
      await createStore(ghostDb).callLog.record([
        {
          type: 'call.arrived',
          callId: 'ghost-1',
          payload: { caller: '+491', dialledNumber: '+4930' },
        },
      ]);
    } finally {
      await ghostDb.close();
    }
    const fixed: unknown[] = [];
    (b.app.events as unknown as { on(t: string, f: (e: { data: unknown }) => void): void }).on(
      'reconcile.fixed',
      (e) => fixed.push(e.data),
    );

    await a.app.close();
    // b takes the lease and adds its routes.
    await until(async () => {
      const codes = await registers(1).catch(() => [503]);
      return codes[0] !== 503;
    }, 'b to take REGISTERs');
    const before = b.handled();
    await registers(4);
    expect(b.handled() - before).toBe(4);

    // b closed the lost instance's call: failed, reason node-lost, and said so.
    await until(
      async () => (await b.app.store.callLog.getCall('ghost-1'))?.outcome === 'failed',
      'the lost call to be closed',
    );
    const ended = await b.app.store.db.query<{ payload: { reason?: string }; routed_by: string }>(
      `SELECT e.payload, c.routed_by FROM event_log e JOIN calls c ON c.id = e.call_id
        WHERE e.call_id = 'ghost-1' AND e.type = 'call.ended'`,
    );
    expect(ended.rows[0]?.payload.reason).toBe('node-lost');
    expect(ended.rows[0]?.routed_by).toBe('ghost');
    expect(fixed).toEqual([expect.objectContaining({ what: 'call', callId: 'ghost-1' })]);

    // The lease says so too.
    const ready = await fetch(`${b.app.httpUrl}/readyz`);
    expect(ready.status).toBe(200);
  });

  test("a starting standby leaves the leader's live calls alone; a restarted instance closes its own earlier run's", async () => {
    const url = await pg.createMigratedDatabase();
    // A call that an earlier run of 'a' left live when it crashed.
    await logArrivalAs(url, 'a', 'crashed-1');
    const a = await instance('a', url);
    await until(
      async () => (await a.app.store.callLog.getCall('crashed-1'))?.outcome === 'failed',
      "the earlier run's call to be closed",
    );
    const ended = await a.app.store.db.query<{ payload: { reason?: string } }>(
      `SELECT payload FROM event_log WHERE call_id = 'crashed-1' AND type = 'call.ended'`,
    );
    expect(ended.rows[0]?.payload.reason).toBe('restart');

    // A call the leader routes now: a standby that starts must not end it.
    await logArrivalAs(url, 'a', 'live-1');
    const b = await instance('b', url);
    expect(await registers(1)).not.toEqual([503]); // b is up and a still leads
    expect(b.handled()).toBe(0);
    expect((await a.app.store.callLog.getCall('live-1'))?.outcome).toBeNull();
  });

  test("a status set through the standby's API or by hand in SQL reaches the leader's routing engine", async () => {
    const url = await pg.createMigratedDatabase();
    const a = await instance('a', url);
    const b = await instance('b', url);
    const api = (app: AcdApp, path: string, init: RequestInit = {}) =>
      fetch(`${app.httpUrl}/api${path}`, {
        ...init,
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      });
    const created = await api(a.app, '/agents', {
      method: 'POST',
      body: JSON.stringify({ name: 'Ann', sipUsername: 'ann', password: 'ann-secret-123' }),
    });
    expect(created.status).toBe(201);
    const agent = (await created.json()) as { id: string };
    // The leader's picture: its routing engine's view of the agent.
    const inLeader = async () => {
      const live = (await (await api(a.app, '/live')).json()) as {
        agents: { id: string; state: string; presenceReason: string | null }[];
      };
      return live.agents.find((x) => x.id === agent.id);
    };
    await until(async () => (await inLeader()) !== undefined, 'the leader to know the agent');
    const before = await inLeader();
    expect(before?.state).not.toBe('away');

    const set = await api(b.app, `/agents/${agent.id}/status`, {
      method: 'PUT',
      body: JSON.stringify({ status: 'away', reason: 'meeting' }),
    });
    expect(set.status).toBe(200);
    await until(
      async () => (await inLeader())?.state === 'away',
      "the leader's engine to hear 'away'",
    );
    expect((await inLeader())?.presenceReason).toBe('changed elsewhere');

    const byHand = openPostgres(url);
    try {
      await byHand.query(`UPDATE agents SET status = 'available' WHERE id = $1`, [agent.id]);
    } finally {
      await byHand.close();
    }
    await until(
      async () => (await inLeader())?.state !== 'away',
      "the leader's engine to hear 'available' from SQL",
    );
    expect((await inLeader())?.presenceReason).toBe('changed elsewhere');
  });
});

/** Logs a call's arrival as the instance named `routedBy` would. */
async function logArrivalAs(url: string, routedBy: string, callId: string): Promise<void> {
  const db = openPostgres(urlNamingInstance(url, routedBy));
  try {
    await createStore(db).callLog.record([
      { type: 'call.arrived', callId, payload: { caller: '+491', dialledNumber: '+4930' } },
    ]);
  } finally {
    await db.close();
  }
}
