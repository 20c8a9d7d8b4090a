/**
 * Call control on the real store: migrations on PGlite (the embedded default),
 * agents with digest hashes, the registrar writing the store's registrations
 * table, the allow-list and the call-log sink.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DigestAuthenticator } from '../../src/calls/digest/index.ts';
import { Registrar } from '../../src/calls/registrar/index.ts';
import {
  callLogSinkFrom,
  credentialsFrom,
  loadAllowList,
  registrationStoreFrom,
} from '../../src/calls/store-adapters.ts';
import {
  createStore,
  migrate,
  openPglite,
  openPostgres,
  type Store,
} from '../../src/store/index.ts';
import { startPostgres } from '../support/postgres.ts';
import { authorization, challengeParam, ha1 } from './digest-client.ts';
import { RecordingResponse, request } from './support/srf-standins.ts';

const realm = 'acd.local';
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function openStore(dataDir?: string): Promise<Store> {
  const db = await openPglite(dataDir);
  cleanups.push(() => db.close());
  await migrate(db);
  return createStore(db);
}

async function addAgent(store: Store, user: string, password: string) {
  return store.agents.create({
    name: `Agent ${user}`,
    sipUsername: user,
    ha1Md5: ha1('MD5', user, realm, password),
    ha1Sha256: ha1('SHA-256', user, realm, password),
  });
}

function registrarOn(store: Store, now: () => number) {
  const registrar = new Registrar({
    authenticator: new DigestAuthenticator({
      realm,
      credentials: credentialsFrom(store),
      algorithms: ['SHA-256', 'MD5'],
      now,
    }),
    store: registrationStoreFrom(store),
    minExpiresS: 60,
    maxExpiresS: 3600,
    now,
  });
  cleanups.push(() => registrar.close());
  return registrar;
}

/** REGISTER, answer the challenge, REGISTER again: returns the final reply. */
async function register(
  registrar: Registrar,
  user: string,
  password: string,
  headers: Record<string, string>,
) {
  const base = {
    To: `<sip:${user}@${realm}>`,
    From: `<sip:${user}@${realm}>;tag=1`,
    'Call-ID': `reg-${user}`,
  };
  const first = new RecordingResponse();
  await registrar.handle(request({ headers: { ...base, CSeq: '1 REGISTER', ...headers } }), first);
  if (first.final.status !== 401) return first.final;
  const challenge = (first.final.headers['WWW-Authenticate'] as string).split('\r\n')[0] as string;
  const nonce = challengeParam(challenge, 'nonce') as string;
  const second = new RecordingResponse();
  const auth = authorization({
    algo: 'SHA-256',
    user,
    realm,
    password,
    nonce,
    method: 'REGISTER',
    uri: 'sip:acd.local',
  });
  await registrar.handle(
    request({
      headers: { ...base, CSeq: '2 REGISTER', Authorization: auth, ...headers },
      sourcePort: 40123,
      protocol: 'tcp',
    }),
    second,
  );
  return second.final;
}

describe('call control on the store (PGlite)', () => {
  it('registers an agent stored with digest hashes into the registrations table', async () => {
    const store = await openStore();
    const agent = await addAgent(store, '1001', 'pw-1001');
    const registrar = registrarOn(store, Date.now);
    const reply = await register(registrar, '1001', 'pw-1001', {
      Contact: '<sip:1001@10.0.0.5:5062>',
      Expires: '600',
    });
    expect(reply.status).toBe(200);
    const rows = await store.registrations.list({ agentId: agent.id });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      contactUri: 'sip:1001@10.0.0.5:5062',
      sourcePort: 40123,
      transport: 'tcp',
      sipCallId: 'reg-1001',
      cseq: 2,
    });
    expect(await register(registrar, '1001', 'wrong', { Contact: '<sip:1001@x>' })).toMatchObject({
      status: 403,
    });
  });

  it('keeps bindings across a restart and purges them once expired', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'acd-calls-store-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    let now = Date.now();
    const first = await openStore(dir);
    const agent = await addAgent(first, '1002', 'pw');
    await register(
      registrarOn(first, () => now),
      '1002',
      'pw',
      { Contact: '<sip:1002@h>', Expires: '60' },
    );
    while (cleanups.length > 1) await cleanups.pop()?.(); // close registrar and database, keep the folder

    const second = await openStore(dir);
    const registrar = registrarOn(second, () => now);
    expect((await registrar.bindings(agent.id)).map((b) => b.contactUri)).toEqual(['sip:1002@h']);
    now += 61_000;
    await registrar.purgeNow();
    expect(await second.registrations.list()).toEqual([]);
  });

  it('loads the allow-list and writes call-log batches through the sink', async () => {
    const store = await openStore();
    await store.mobileAllowList.create({ pattern: '+4930*' });
    const list = await loadAllowList(store, () => {
      throw new Error('no bad pattern expected');
    });
    expect(list.allows('+49301234')).toBe(true);
    expect(list.allows('+49401234')).toBe(false);
    await callLogSinkFrom(store).append([
      { type: 'call.arrived', callId: 'c-1', payload: { caller: '+1', dialledNumber: '+2' } },
      { type: 'call.ended', callId: 'c-1', payload: { outcome: 'abandoned' } },
    ]);
    expect(await store.callLog.getCall('c-1')).toMatchObject({ outcome: 'abandoned' });
  });
});

describe('registrar on a Postgres server', () => {
  it('keeps bindings when the app reconnects with a new pool (a restart of the app)', async () => {
    const pg = await startPostgres();
    cleanups.push(() => pg.stop());
    const url = await pg.createDatabase();
    const db1 = openPostgres(url);
    await migrate(db1);
    const store1 = createStore(db1);
    const agent = await addAgent(store1, '1003', 'pw');
    const registrar1 = registrarOn(store1, Date.now);
    expect(
      await register(registrar1, '1003', 'pw', { Contact: '<sip:1003@10.0.0.7>', Expires: '300' }),
    ).toMatchObject({ status: 200 });
    await registrar1.close();
    await db1.close();

    const db2 = openPostgres(url);
    cleanups.push(() => db2.close());
    const registrar2 = registrarOn(createStore(db2), Date.now);
    const bindings = await registrar2.bindings(agent.id);
    expect(bindings.map((b) => [b.contactUri, b.sourcePort, b.transport])).toEqual([
      ['sip:1003@10.0.0.7', 40123, 'tcp'],
    ]);
  });
});
