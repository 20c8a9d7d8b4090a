/**
 * Repositories against a real Postgres server and PGlite: the same test
 * bodies run on both (see backends.ts).
 */
import { expect, test } from 'vitest';
import { createAcd } from '../../src/acd/index.ts';
import {
  ConflictError,
  ConstraintError,
  loadAcdConfig,
  matchesPattern,
  NotFoundError,
} from '../../src/store/index.ts';
import { eachBackend } from './backends.ts';

const MD5 = 'a'.repeat(32);
const SHA = 'b'.repeat(64);

/** Runs `fn`, expects it to throw an instance of `kind`, and returns the error. */
async function caught<E extends Error>(
  kind: abstract new (...args: never[]) => E,
  fn: () => Promise<unknown>,
): Promise<E> {
  let error: unknown;
  try {
    await fn();
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(kind);
  return error as E;
}

eachBackend('departments', (ctx) => {
  test('a new department gets the schema defaults and reads back by id, name and list', async () => {
    const { departments } = ctx().store;
    const d = await departments.create({ name: 'Support' });
    expect(d).toMatchObject({
      name: 'Support',
      strategy: 'longest-idle',
      ringTimeoutS: 20,
      wrapUpS: 0,
      maxWaitS: null,
      maxQueueLength: null,
      maxWaitAction: { kind: 'voicemail' },
      timeZone: 'UTC',
      businessHours: null,
      holidays: [],
    });
    expect(d.createdAt).toBeInstanceOf(Date);
    expect(await departments.get(d.id)).toEqual(d);
    expect(await departments.getByName('Support')).toEqual(d);
    expect(await departments.list()).toEqual([d]);
  });

  test('queue exits, business hours and holidays round-trip', async () => {
    const { departments } = ctx().store;
    const backup = await departments.create({ name: 'Backup' });
    const d = await departments.create({
      name: 'Sales',
      strategy: 'ring-all',
      maxWaitS: 120,
      maxWaitAction: { kind: 'overflow', departmentId: backup.id },
      maxQueueLength: 10,
      queueFullAction: { kind: 'forward', number: '+493012345' },
      noAgentAction: { kind: 'hangup' },
      outOfHoursAction: { kind: 'voicemail' },
      timeZone: 'Europe/Berlin',
      businessHours: [
        { day: 1, open: '09:00', close: '17:00' },
        { day: 2, open: '09:00', close: '12:30' },
      ],
      holidays: ['2026-12-25', '2026-12-26'],
    });
    const again = await departments.get(d.id);
    expect(again).toMatchObject({
      strategy: 'ring-all',
      maxWaitAction: { kind: 'overflow', departmentId: backup.id },
      queueFullAction: { kind: 'forward', number: '+493012345' },
      noAgentAction: { kind: 'hangup' },
      businessHours: [
        { day: 1, open: '09:00', close: '17:00' },
        { day: 2, open: '09:00', close: '12:30' },
      ],
      holidays: ['2026-12-25', '2026-12-26'],
    });
  });

  test('an unknown strategy is refused by the database, naming the field', async () => {
    const { db, store } = ctx();
    const err = await caught(ConstraintError, () =>
      store.departments.create({ name: 'X', strategy: 'fastest' as never }),
    );
    expect(err.field).toBe('strategy');
    expect(err.reason).toContain('longest-idle');
    const { rows } = await db.query('SELECT * FROM departments');
    expect(rows).toHaveLength(0);
  });

  test('a duplicate name is a ConflictError on name', async () => {
    const { departments } = ctx().store;
    await departments.create({ name: 'Support' });
    const err = await caught(ConflictError, () => departments.create({ name: 'Support' }));
    expect(err.field).toBe('name');
  });

  test('out-of-range timers and a non-E.164 forward number are refused', async () => {
    const { departments } = ctx().store;
    const range = await caught(ConstraintError, () =>
      departments.create({ name: 'A', ringTimeoutS: 0 }),
    );
    expect(range).toMatchObject({ field: 'ringTimeoutS', reason: 'must be 1-600 seconds' });
    const err = await caught(ConstraintError, () =>
      departments.create({ name: 'B', maxWaitAction: { kind: 'forward', number: '030 1234' } }),
    );
    expect(err.field).toBe('maxWaitAction');
    expect(err.reason).toContain('E.164');
    const missing = await caught(ConstraintError, () =>
      departments.create({
        name: 'C',
        noAgentAction: { kind: 'overflow', departmentId: '00000000-0000-4000-8000-000000000000' },
      }),
    );
    expect(missing.field).toBe('noAgentAction');
  });

  test('update changes only the given fields; unknown ids are NotFoundError', async () => {
    const { departments } = ctx().store;
    const d = await departments.create({ name: 'Support', ringTimeoutS: 15 });
    const u = await departments.update(d.id, {
      wrapUpS: 30,
      maxWaitS: null,
      holidays: ['2027-01-01'],
    });
    expect(u).toMatchObject({
      name: 'Support',
      ringTimeoutS: 15,
      wrapUpS: 30,
      holidays: ['2027-01-01'],
    });
    expect(u.updatedAt.getTime()).toBeGreaterThanOrEqual(d.updatedAt.getTime());
    const gone = '00000000-0000-4000-8000-000000000000';
    expect(
      (await caught(NotFoundError, () => departments.update(gone, { wrapUpS: 1 }))).entity,
    ).toBe('department');
    await caught(NotFoundError, () => departments.update('not-a-uuid', { wrapUpS: 1 }));
    await caught(NotFoundError, () => departments.remove(gone));
    expect(await departments.get('not-a-uuid')).toBeNull();
  });

  test('a department in use by a DID cannot be removed; an unused one can', async () => {
    const { departments, dids } = ctx().store;
    const d = await departments.create({ name: 'Support' });
    const did = await dids.create({ number: '+4930111', departmentId: d.id });
    const err = await caught(ConflictError, () => departments.remove(d.id));
    expect(err.reason).toContain('dids');
    await dids.remove(did.id);
    await departments.remove(d.id);
    expect(await departments.get(d.id)).toBeNull();
  });
});

eachBackend('dids', (ctx) => {
  test('a DID maps a number to a department and is found by number', async () => {
    const { departments, dids } = ctx().store;
    const d = await departments.create({ name: 'Support' });
    const e = await departments.create({ name: 'Sales' });
    const did = await dids.create({ number: '+4930111', departmentId: d.id, description: 'main' });
    await dids.create({ number: '+4930222', departmentId: e.id });
    expect(await dids.getByNumber('+4930111')).toEqual(did);
    expect(await dids.getByNumber('+4930999')).toBeNull();
    expect((await dids.list({ departmentId: e.id })).map((x) => x.number)).toEqual(['+4930222']);
    expect(await dids.list()).toHaveLength(2);
    const moved = await dids.update(did.id, { departmentId: e.id });
    expect(moved.departmentId).toBe(e.id);
  });

  test('duplicate, malformed and dangling numbers are refused with the field', async () => {
    const { departments, dids } = ctx().store;
    const d = await departments.create({ name: 'Support' });
    await dids.create({ number: '+4930111', departmentId: d.id });
    expect(
      (await caught(ConflictError, () => dids.create({ number: '+4930111', departmentId: d.id })))
        .field,
    ).toBe('number');
    for (const bad of ['4930111', '+0301', '+1', '+1234567890123456', '+49 30']) {
      const err = await caught(ConstraintError, () =>
        dids.create({ number: bad, departmentId: d.id }),
      );
      expect(err.field).toBe('number');
    }
    const dangling = await caught(ConstraintError, () =>
      dids.create({ number: '+4930333', departmentId: '00000000-0000-4000-8000-000000000000' }),
    );
    expect(dangling.field).toBe('departmentId');
  });
});

eachBackend('agents', (ctx) => {
  test('an agent reads back without its digest hashes; getCredentials returns them', async () => {
    const { agents } = ctx().store;
    const a = await agents.create({
      name: 'Ann',
      sipUsername: 'ann',
      ha1Md5: MD5,
      ha1Sha256: SHA,
      mobileNumber: '+491701234567',
      forwardingMode: 'softphone-then-mobile',
    });
    expect(a).toMatchObject({
      name: 'Ann',
      sipUsername: 'ann',
      hasSipPassword: true,
      forwardingMode: 'softphone-then-mobile',
      maxConcurrentCalls: 1,
      status: 'offline',
      mayChangeOwnStatus: true,
    });
    for (const row of [a, await agents.get(a.id), ...(await agents.list())]) {
      expect(JSON.stringify(row)).not.toContain(MD5);
      expect(JSON.stringify(row)).not.toContain(SHA);
    }
    expect(await agents.getCredentials('ann')).toEqual({
      agentId: a.id,
      sipUsername: 'ann',
      ha1Md5: MD5,
      ha1Sha256: SHA,
    });
    expect(await agents.getCredentials('bob')).toBeNull();
    const noPassword = await agents.create({ name: 'Mo', sipUsername: 'mo' });
    expect(noPassword.hasSipPassword).toBe(false);
    expect(await agents.getCredentials('mo')).toBeNull();
  });

  test('a taken SIP username is a ConflictError naming sipUsername', async () => {
    const { agents } = ctx().store;
    await agents.create({ name: 'Ann', sipUsername: 'ann' });
    const err = await caught(ConflictError, () =>
      agents.create({ name: 'Other', sipUsername: 'ann' }),
    );
    expect(err.field).toBe('sipUsername');
    const b = await agents.create({ name: 'Bob', sipUsername: 'bob' });
    expect(
      (await caught(ConflictError, () => agents.update(b.id, { sipUsername: 'ann' }))).field,
    ).toBe('sipUsername');
  });

  test('agent constraints: E.164 mobile, mobile needed for mobile forwarding, both hashes, limits', async () => {
    const { agents } = ctx().store;
    const cases: [Parameters<typeof agents.create>[0], string][] = [
      [{ name: 'A', sipUsername: 'a1', mobileNumber: '0170123' }, 'mobileNumber'],
      [{ name: 'A', sipUsername: 'a2', forwardingMode: 'mobile' }, 'mobileNumber'],
      [{ name: 'A', sipUsername: 'a3', ha1Md5: MD5 }, 'sipPassword'],
      [{ name: 'A', sipUsername: 'a4', ha1Md5: 'xyz', ha1Sha256: SHA }, 'ha1Md5'],
      [{ name: 'A', sipUsername: 'a5', maxConcurrentCalls: 0 }, 'maxConcurrentCalls'],
      [{ name: 'A', sipUsername: 'with space' }, 'sipUsername'],
      [{ name: ' ', sipUsername: 'a7' }, 'name'],
      [
        { name: 'A', sipUsername: 'a8', status: 'available', statusUntil: new Date() },
        'statusUntil',
      ],
    ];
    for (const [input, field] of cases) {
      const err = await caught(ConstraintError, () => agents.create(input));
      expect(err.field, JSON.stringify(input)).toBe(field);
    }
    expect(await agents.list()).toEqual([]);
  });

  test('update patches settings and ignores status (which goes through agentStatus)', async () => {
    const { agents } = ctx().store;
    const a = await agents.create({ name: 'Ann', sipUsername: 'ann' });
    const u = await agents.update(a.id, {
      name: 'Ann B.',
      maxConcurrentCalls: 2,
      mayChangeOwnStatus: false,
      ...({ status: 'available' } as object),
    });
    expect(u).toMatchObject({
      name: 'Ann B.',
      maxConcurrentCalls: 2,
      mayChangeOwnStatus: false,
      status: 'offline',
    });
    const withPassword = await agents.update(a.id, { ha1Md5: MD5, ha1Sha256: SHA });
    expect(withPassword.hasSipPassword).toBe(true);
    // Same username: the hashes stay. A new username without new hashes clears them.
    expect((await agents.update(a.id, { sipUsername: 'ann' })).hasSipPassword).toBe(true);
    const renamed = await agents.update(a.id, { sipUsername: 'ann2' });
    expect(renamed.hasSipPassword).toBe(false);
    expect(await agents.getCredentials('ann2')).toBeNull();
    const rehashed = await agents.update(a.id, {
      sipUsername: 'ann3',
      ha1Md5: MD5,
      ha1Sha256: SHA,
    });
    expect(rehashed.hasSipPassword).toBe(true);
  });

  test('removing an agent removes its memberships and registrations', async () => {
    const { agents, departments, memberships, registrations } = ctx().store;
    const a = await agents.create({ name: 'Ann', sipUsername: 'ann' });
    const d = await departments.create({ name: 'Support' });
    await memberships.create({ agentId: a.id, departmentId: d.id });
    await registrations.upsert({
      agentId: a.id,
      contactUri: 'sip:ann@127.0.0.1:5070',
      expiresAt: new Date(Date.now() + 60_000),
      sourceAddress: '127.0.0.1',
      sourcePort: 5070,
      transport: 'udp',
    });
    await agents.remove(a.id);
    expect(await agents.get(a.id)).toBeNull();
    expect(await memberships.list()).toEqual([]);
    expect(await registrations.list()).toEqual([]);
    await caught(NotFoundError, () => agents.remove(a.id));
  });
});

eachBackend('memberships', (ctx) => {
  async function agentAndDepartment() {
    const { agents, departments } = ctx().store;
    const a = await agents.create({ name: 'Ann', sipUsername: 'ann' });
    const d = await departments.create({ name: 'Support' });
    return { a, d };
  }

  test('priority must be 1-100: the bounds pass, 0 and 101 are refused', async () => {
    const { memberships, departments } = ctx().store;
    const { a, d } = await agentAndDepartment();
    const e = await departments.create({ name: 'Sales' });
    expect(
      (await memberships.create({ agentId: a.id, departmentId: d.id, priority: 1 })).priority,
    ).toBe(1);
    const m = await memberships.create({ agentId: a.id, departmentId: e.id, priority: 100 });
    expect(m.priority).toBe(100);
    for (const priority of [0, 101, -5]) {
      const err = await caught(ConstraintError, () => memberships.update(m.id, { priority }));
      expect(err.field).toBe('priority');
      expect(err.reason).toContain('1');
    }
    expect((await memberships.get(m.id))?.priority).toBe(100);
  });

  test('an agent joins a department once; unknown agents and departments are refused', async () => {
    const { memberships } = ctx().store;
    const { a, d } = await agentAndDepartment();
    const m = await memberships.create({ agentId: a.id, departmentId: d.id });
    expect(m).toMatchObject({ priority: 50, callsEnabled: true });
    expect(
      (await caught(ConflictError, () => memberships.create({ agentId: a.id, departmentId: d.id })))
        .field,
    ).toBe('departmentId');
    const nobody = '00000000-0000-4000-8000-000000000000';
    expect(
      (
        await caught(ConstraintError, () =>
          memberships.create({ agentId: nobody, departmentId: d.id }),
        )
      ).field,
    ).toBe('agentId');
    expect(
      (
        await caught(ConstraintError, () =>
          memberships.create({ agentId: a.id, departmentId: nobody }),
        )
      ).field,
    ).toBe('departmentId');
  });

  test('memberships list by agent or department, toggle calls, and go with their department', async () => {
    const { memberships, agents, departments } = ctx().store;
    const { a, d } = await agentAndDepartment();
    const b = await agents.create({ name: 'Bob', sipUsername: 'bob' });
    const e = await departments.create({ name: 'Sales' });
    const m1 = await memberships.create({ agentId: a.id, departmentId: d.id, priority: 10 });
    await memberships.create({ agentId: b.id, departmentId: d.id, priority: 5 });
    await memberships.create({ agentId: a.id, departmentId: e.id });
    expect((await memberships.list({ departmentId: d.id })).map((m) => m.agentId)).toEqual([
      b.id,
      a.id,
    ]);
    expect(await memberships.list({ agentId: a.id })).toHaveLength(2);
    expect(await memberships.list({ agentId: a.id, departmentId: e.id })).toHaveLength(1);
    expect((await memberships.update(m1.id, { callsEnabled: false })).callsEnabled).toBe(false);
    expect((await memberships.getByPair(a.id, d.id))?.callsEnabled).toBe(false);
    await departments.remove(d.id);
    expect(await memberships.list()).toHaveLength(1);
    await memberships.remove((await memberships.list())[0]?.id ?? '');
    expect(await memberships.list()).toEqual([]);
  });
});

eachBackend('VIP callers and the mobile allow-list', (ctx) => {
  test('VIP callers: unique E.164 numbers, an optional dedicated agent that may leave', async () => {
    const { vipCallers, agents } = ctx().store;
    const a = await agents.create({ name: 'Ann', sipUsername: 'ann' });
    const v = await vipCallers.create({
      callerNumber: '+4930555',
      dedicatedAgentId: a.id,
      note: 'CEO',
    });
    expect(await vipCallers.getByNumber('+4930555')).toEqual(v);
    expect(
      (await caught(ConflictError, () => vipCallers.create({ callerNumber: '+4930555' }))).field,
    ).toBe('callerNumber');
    expect(
      (await caught(ConstraintError, () => vipCallers.create({ callerNumber: 'anonymous' }))).field,
    ).toBe('callerNumber');
    await agents.remove(a.id);
    expect((await vipCallers.get(v.id))?.dedicatedAgentId).toBeNull();
    expect((await vipCallers.update(v.id, { note: null })).note).toBeNull();
    await vipCallers.remove(v.id);
    expect(await vipCallers.list()).toEqual([]);
  });

  test('allow-list patterns are exact numbers or prefixes; allows() matches them', async () => {
    const { mobileAllowList } = ctx().store;
    await mobileAllowList.create({ pattern: '+4917*', description: 'German mobiles' });
    await mobileAllowList.create({ pattern: '+441234567890' });
    for (const bad of ['4917*', '+49.*', '+49[0-9]*', '+*49', '+49 17*', '']) {
      const err = await caught(ConstraintError, () => mobileAllowList.create({ pattern: bad }));
      expect(err.field, bad).toBe('pattern');
    }
    expect(
      (await caught(ConflictError, () => mobileAllowList.create({ pattern: '+4917*' }))).field,
    ).toBe('pattern');
    expect(await mobileAllowList.allows('+491701234567')).toBe(true);
    expect(await mobileAllowList.allows('+441234567890')).toBe(true);
    expect(await mobileAllowList.allows('+4412345678901')).toBe(false);
    expect(await mobileAllowList.allows('+4930123')).toBe(false);
    expect((await mobileAllowList.list()).map((e) => e.pattern)).toEqual([
      '+441234567890',
      '+4917*',
    ]);
  });
});

test('matchesPattern: a trailing * is a prefix, anything else must match exactly', () => {
  expect(matchesPattern('+4930*', '+4930123')).toBe(true);
  expect(matchesPattern('+4930*', '+4931123')).toBe(false);
  expect(matchesPattern('+*', '+1555')).toBe(true);
  expect(matchesPattern('+4930123', '+4930123')).toBe(true);
  expect(matchesPattern('+4930123', '+49301234')).toBe(false);
});

eachBackend('registrations', (ctx) => {
  test('a REGISTER inserts a binding, a refresh updates the same row, expiry sweeps it', async () => {
    const { agents, registrations } = ctx().store;
    const a = await agents.create({ name: 'Ann', sipUsername: 'ann' });
    const now = new Date('2026-01-05T10:00:00Z');
    const base = {
      agentId: a.id,
      sourceAddress: '127.0.0.1',
      sourcePort: 5070,
      transport: 'udp' as const,
      userAgent: 'baresip',
    };
    const r1 = await registrations.upsert({
      ...base,
      contactUri: 'sip:ann@127.0.0.1:5070',
      expiresAt: new Date(now.getTime() + 60_000),
      sipCallId: 'x',
      cseq: 1,
    });
    const r2 = await registrations.upsert({
      ...base,
      contactUri: 'sip:ann@127.0.0.1:5070',
      expiresAt: new Date(now.getTime() + 120_000),
      sipCallId: 'x',
      cseq: 2,
    });
    expect(r2.id).toBe(r1.id);
    expect(r2.expiresAt.toISOString()).toBe('2026-01-05T10:02:00.000Z');
    expect(r2.cseq).toBe(2);
    await registrations.upsert({
      ...base,
      contactUri: 'sip:ann@10.0.0.2:5060',
      transport: 'tcp',
      expiresAt: new Date(now.getTime() + 10_000),
    });
    expect(await registrations.list({ agentId: a.id })).toHaveLength(2);
    const later = new Date(now.getTime() + 30_000);
    expect((await registrations.list({ activeAt: later })).map((r) => r.contactUri)).toEqual([
      'sip:ann@127.0.0.1:5070',
    ]);
    expect(await registrations.removeExpired(later)).toBe(1);
    expect(await registrations.takeExpired(new Date(now.getTime() + 3_600_000))).toMatchObject([
      { agentId: a.id, contactUri: 'sip:ann@127.0.0.1:5070' },
    ]);
    await registrations.upsert({
      ...base,
      contactUri: 'sip:ann@127.0.0.1:5070',
      expiresAt: new Date(now.getTime() + 60_000),
    });
    expect(await registrations.remove(a.id, 'sip:ann@127.0.0.1:5070')).toBe(true);
    expect(await registrations.remove(a.id, 'sip:ann@127.0.0.1:5070')).toBe(false);
    expect(await registrations.list()).toEqual([]);
  });

  test('bad transports and ports are refused; removeAllForAgent clears an agent', async () => {
    const { agents, registrations } = ctx().store;
    const a = await agents.create({ name: 'Ann', sipUsername: 'ann' });
    const base = {
      agentId: a.id,
      sourceAddress: '127.0.0.1',
      expiresAt: new Date(Date.now() + 60_000),
    };
    const badTransport = await caught(ConstraintError, () =>
      registrations.upsert({
        ...base,
        contactUri: 'sip:a@h',
        sourcePort: 5060,
        transport: 'sctp' as never,
      }),
    );
    expect(badTransport.field).toBe('transport');
    const badPort = await caught(ConstraintError, () =>
      registrations.upsert({ ...base, contactUri: 'sip:a@h', sourcePort: 0, transport: 'udp' }),
    );
    expect(badPort.field).toBe('sourcePort');
    await registrations.upsert({
      ...base,
      contactUri: 'sip:a@h1',
      sourcePort: 5060,
      transport: 'udp',
    });
    await registrations.upsert({
      ...base,
      contactUri: 'sip:a@h2',
      sourcePort: 5060,
      transport: 'wss',
    });
    expect(await registrations.removeAllForAgent(a.id)).toBe(2);
  });
});

eachBackend('transactions', (ctx) => {
  test('store.transaction commits every write together', async () => {
    const { store } = ctx();
    const did = await store.transaction(async (tx) => {
      const d = await tx.departments.create({ name: 'Support' });
      return tx.dids.create({ number: '+4930111', departmentId: d.id });
    });
    expect(await store.dids.get(did.id)).toEqual(did);
  });

  test('a failing write rolls back the whole transaction: nothing is half-written', async () => {
    const { store } = ctx();
    const err = await caught(ConstraintError, () =>
      store.transaction(async (tx) => {
        const d = await tx.departments.create({ name: 'Support' });
        await tx.dids.create({ number: 'not-a-number', departmentId: d.id });
      }),
    );
    expect(err.field).toBe('number');
    expect(await store.departments.list()).toEqual([]);
    // The connection is usable afterwards (PGlite has only one).
    expect((await store.departments.create({ name: 'After' })).name).toBe('After');
  });

  test('a nested transaction that fails undoes only its own work', async () => {
    const { store } = ctx();
    await store.transaction(async (tx) => {
      await tx.departments.create({ name: 'Kept' });
      await expect(
        tx.transaction(async (inner) => {
          await inner.departments.create({ name: 'Dropped' });
          throw new Error('inner failure');
        }),
      ).rejects.toThrow('inner failure');
      await tx.departments.create({ name: 'Also kept' });
    });
    expect((await store.departments.list()).map((d) => d.name)).toEqual(['Also kept', 'Kept']);
  });

  test('a thrown application error rolls back and is rethrown unchanged', async () => {
    const { store, db } = ctx();
    const boom = new Error('boom');
    await expect(
      db.transaction(async (tx) => {
        await tx.query(`INSERT INTO departments (name) VALUES ('Gone')`);
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(await store.departments.list()).toEqual([]);
  });
});

eachBackend('engine configuration from the store', (ctx) => {
  test('loadAcdConfig maps stored rows onto the engine config, counting live devices', async () => {
    const { store } = ctx();
    const now = new Date('2026-01-05T10:00:00Z');
    const backup = await store.departments.create({ name: 'Backup' });
    const d = await store.departments.create({
      name: 'Support',
      strategy: 'priority',
      maxWaitS: 60,
      maxWaitAction: { kind: 'overflow', departmentId: backup.id },
    });
    const a = await store.agents.create({
      name: 'Ann',
      sipUsername: 'ann',
      mobileNumber: '+491701234567',
      forwardingMode: 'both',
      status: 'break',
      statusUntil: new Date(now.getTime() + 600_000),
    });
    await store.memberships.create({ agentId: a.id, departmentId: d.id, priority: 3 });
    const reg = {
      agentId: a.id,
      sourceAddress: '127.0.0.1',
      sourcePort: 5070,
      transport: 'udp' as const,
    };
    await store.registrations.upsert({
      ...reg,
      contactUri: 'sip:ann@a',
      expiresAt: new Date(now.getTime() + 60_000),
    });
    await store.registrations.upsert({
      ...reg,
      contactUri: 'sip:ann@b',
      expiresAt: new Date(now.getTime() - 1),
    });
    const config = await loadAcdConfig(store, now);
    expect(config.agents).toEqual([
      {
        id: a.id,
        name: 'Ann',
        maxConcurrentCalls: 1,
        status: 'break',
        statusUntil: now.getTime() + 600_000,
        forwarding: 'both',
        mobileNumber: '+491701234567',
        registeredDevices: 1,
      },
    ]);
    expect(config.memberships).toEqual([
      { agentId: a.id, departmentId: d.id, priority: 3, callsEnabled: true },
    ]);
    const support = config.departments.find((x) => x.id === d.id);
    expect(support).toMatchObject({
      strategy: 'priority',
      maxWaitS: 60,
      maxWaitAction: { kind: 'overflow', departmentId: backup.id },
    });
    expect(support).not.toHaveProperty('createdAt');
    // The real engine accepts it.
    expect(() => createAcd(config, { now: now.getTime(), random: () => 0.5 })).not.toThrow();
  });
});

eachBackend('concurrency', (ctx) => {
  test('a query from outside never sees the uncommitted writes of an open transaction', async () => {
    const { store } = ctx();
    let inside!: () => void;
    const written = new Promise<void>((resolve) => {
      inside = resolve;
    });
    const tx = store
      .transaction(async (t) => {
        await t.departments.create({ name: 'Uncommitted' });
        inside();
        await new Promise((r) => setTimeout(r, 100));
        throw new Error('roll back');
      })
      .catch((err: unknown) => err);
    await written;
    // PGlite has one connection: this waits for the transaction to end
    // instead of running inside it; Postgres answers from another connection.
    expect(await store.departments.list()).toEqual([]);
    expect(await tx).toBeInstanceOf(Error);
    expect(await store.departments.list()).toEqual([]);
  });

  test('concurrent transactions and appends all complete, none lost', async () => {
    const { store } = ctx();
    const { id: departmentId } = await store.departments.create({ name: 'Support' });
    await Promise.all([
      ...Array.from({ length: 10 }, (_, i) =>
        store.transaction(async (t) => {
          const a = await t.agents.create({ name: `A${i}`, sipUsername: `a${i}` });
          await t.memberships.create({ agentId: a.id, departmentId, priority: i + 1 });
        }),
      ),
      ...Array.from({ length: 10 }, (_, i) =>
        store.callLog.append({
          type: 'call.arrived',
          callId: `c${i}`,
          departmentId,
          payload: { caller: '+4930111', dialledNumber: '+4930222' },
        }),
      ),
    ]);
    expect(await store.memberships.list({ departmentId })).toHaveLength(10);
    expect((await store.callLog.listCalls()).items).toHaveLength(10);
  });
});
