/**
 * CRUD of every configuration resource over real HTTP, against PGlite and a
 * real Postgres server: what is created can be read, listed, changed and
 * deleted; duplicates answer 409 naming the field; unknown references 400.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BACKENDS, type ErrorReply, unique, uniqueNumber, useApp } from './support/harness.ts';

interface Row {
  id: string;
  [key: string]: unknown;
}
interface List {
  items: Row[];
}

describe.each(BACKENDS)('admin API resources on %s', (backend) => {
  const h = useApp(backend);

  const createDepartment = async (extra: Record<string, unknown> = {}) => {
    const r = await h.call<Row>('POST', '/api/departments', { name: `Dept ${unique()}`, ...extra });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body;
  };
  const createAgent = async (extra: Record<string, unknown> = {}) => {
    const r = await h.call<Row>('POST', '/api/agents', {
      name: 'Agent',
      sipUsername: `agent${unique()}`,
      ...extra,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body;
  };

  describe('departments', () => {
    it('creates a department with the schema defaults, reads, lists, changes and deletes it', async () => {
      const name = `Support ${unique()}`;
      const created = await h.call<Row>('POST', '/api/departments', { name, strategy: 'priority' });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        name,
        strategy: 'priority',
        ringTimeoutS: 20,
        maxCallDurationS: 14_400,
        maxWaitAction: { kind: 'voicemail' },
        businessHours: null,
        holidays: [],
      });
      const id = created.body.id;
      expect((await h.call<Row>('GET', `/api/departments/${id}`)).body.name).toBe(name);
      const list = await h.call<List>('GET', '/api/departments');
      expect(list.body.items.map((d) => d.id)).toContain(id);

      const patched = await h.call<Row>('PATCH', `/api/departments/${id}`, {
        strategy: 'ring-all',
        timeZone: 'Europe/Berlin',
        businessHours: [{ day: 1, open: '09:00', close: '17:30' }],
        holidays: ['2026-12-25'],
        maxWaitS: 300,
        maxWaitAction: { kind: 'forward', number: '+4930999' },
      });
      expect(patched.status, JSON.stringify(patched.body)).toBe(200);
      expect(patched.body).toMatchObject({
        strategy: 'ring-all',
        timeZone: 'Europe/Berlin',
        businessHours: [{ day: 1, open: '09:00', close: '17:30' }],
        holidays: ['2026-12-25'],
        maxWaitS: 300,
        maxWaitAction: { kind: 'forward', number: '+4930999' },
        name,
      });

      expect((await h.call('DELETE', `/api/departments/${id}`)).status).toBe(204);
      expect((await h.call('GET', `/api/departments/${id}`)).status).toBe(404);
      expect((await h.call('DELETE', `/api/departments/${id}`)).status).toBe(404);
      expect((await h.call('PATCH', `/api/departments/${id}`, { wrapUpS: 5 })).status).toBe(404);
    });

    it('takes a maximum call duration of 60 s to 7 days, or null for none', async () => {
      const d = await createDepartment();
      const short = await h.call<ErrorReply>('PATCH', `/api/departments/${d.id}`, {
        maxCallDurationS: 59,
      });
      expect(short.status).toBe(400);
      expect(short.body.error.field).toBe('maxCallDurationS');
      const none = await h.call<Row>('PATCH', `/api/departments/${d.id}`, {
        maxCallDurationS: null,
      });
      expect(none.status).toBe(200);
      expect(none.body.maxCallDurationS).toBeNull();
      const hour = await h.call<Row>('PATCH', `/api/departments/${d.id}`, {
        maxCallDurationS: 3600,
      });
      expect(hour.body.maxCallDurationS).toBe(3600);
    });

    it('answers 404 for an id that is not a uuid', async () => {
      const r = await h.call<ErrorReply>('GET', '/api/departments/not-a-uuid');
      expect(r.status).toBe(404);
      expect(r.body.error.code).toBe('not_found');
    });

    it('refuses a duplicate name with 409 naming the field', async () => {
      const d = await createDepartment();
      const r = await h.call<ErrorReply>('POST', '/api/departments', { name: d.name });
      expect(r.status).toBe(409);
      expect(r.body.error).toMatchObject({ code: 'conflict', field: 'name' });
    });

    it('overflows to another department, which then cannot be deleted (409)', async () => {
      const target = await createDepartment();
      const d = await createDepartment({
        maxWaitS: 60,
        maxWaitAction: { kind: 'overflow', departmentId: target.id },
      });
      expect(d.maxWaitAction).toEqual({ kind: 'overflow', departmentId: target.id });
      const del = await h.call<ErrorReply>('DELETE', `/api/departments/${target.id}`);
      expect(del.status).toBe(409);
      expect((await h.call('GET', `/api/departments/${target.id}`)).status).toBe(200);
    });

    it('refuses an overflow to a department that does not exist, writing nothing', async () => {
      const name = `Ghost overflow ${unique()}`;
      const r = await h.call<ErrorReply>('POST', '/api/departments', {
        name,
        noAgentAction: { kind: 'overflow', departmentId: '00000000-0000-4000-8000-000000000000' },
      });
      expect(r.status).toBe(400);
      expect(r.body.error.field).toBe('noAgentAction');
      const list = await h.call<List>('GET', '/api/departments');
      expect(list.body.items.some((d) => d.name === name)).toBe(false);
    });
  });

  describe('dialled numbers', () => {
    it('routes a number to a department; CRUD and filter by department', async () => {
      const d = await createDepartment();
      const other = await createDepartment();
      const number = uniqueNumber();
      const created = await h.call<Row>('POST', '/api/dids', {
        number,
        departmentId: d.id,
        description: 'main line',
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ number, departmentId: d.id, description: 'main line' });
      const id = created.body.id;
      const byDept = await h.call<List>('GET', `/api/dids?departmentId=${d.id}`);
      expect(byDept.body.items.map((x) => x.id)).toEqual([id]);
      const moved = await h.call<Row>('PATCH', `/api/dids/${id}`, { departmentId: other.id });
      expect(moved.body.departmentId).toBe(other.id);
      expect((await h.call<List>('GET', `/api/dids?departmentId=${d.id}`)).body.items).toEqual([]);
      expect((await h.call('DELETE', `/api/dids/${id}`)).status).toBe(204);
      expect((await h.call('GET', `/api/dids/${id}`)).status).toBe(404);
    });

    it('refuses a duplicate number with 409 on field number', async () => {
      const d = await createDepartment();
      const number = uniqueNumber();
      expect((await h.call('POST', '/api/dids', { number, departmentId: d.id })).status).toBe(201);
      const r = await h.call<ErrorReply>('POST', '/api/dids', { number, departmentId: d.id });
      expect(r.status).toBe(409);
      expect(r.body.error).toMatchObject({ code: 'conflict', field: 'number' });
    });

    it('refuses an unknown department with 400 on field departmentId', async () => {
      const r = await h.call<ErrorReply>('POST', '/api/dids', {
        number: uniqueNumber(),
        departmentId: '00000000-0000-4000-8000-000000000000',
      });
      expect(r.status).toBe(400);
      expect(r.body.error.field).toBe('departmentId');
    });

    it('keeps a department with numbers from being deleted (409)', async () => {
      const d = await createDepartment();
      await h.call('POST', '/api/dids', { number: uniqueNumber(), departmentId: d.id });
      expect((await h.call('DELETE', `/api/departments/${d.id}`)).status).toBe(409);
    });
  });

  describe('agents', () => {
    it('stores the SIP password only as MD5 and SHA-256 digest hashes and never returns it', async () => {
      const sipUsername = `alice${unique()}`;
      const password = 'correct horse battery';
      const r = await h.call<Row>('POST', '/api/agents', {
        name: 'Alice',
        sipUsername,
        password,
        mobileNumber: '+4917012345',
        forwardingMode: 'both',
      });
      expect(r.status).toBe(201);
      const realm = h.app.config.sip.realm;
      const md5 = createHash('md5').update(`${sipUsername}:${realm}:${password}`).digest('hex');
      const sha = createHash('sha256').update(`${sipUsername}:${realm}:${password}`).digest('hex');
      const creds = await h.app.store.agents.getCredentials(sipUsername);
      expect(creds).toMatchObject({ ha1Md5: md5, ha1Sha256: sha, agentId: r.body.id });

      const texts = [
        JSON.stringify(r.body),
        JSON.stringify((await h.call('GET', `/api/agents/${r.body.id}`)).body),
        JSON.stringify((await h.call('GET', '/api/agents')).body),
      ];
      for (const text of texts) {
        expect(text).not.toContain(password);
        expect(text).not.toContain(md5);
        expect(text).not.toContain(sha);
        expect(text).not.toMatch(/ha1|"password"/i);
      }
      expect(r.body).toMatchObject({
        name: 'Alice',
        sipUsername,
        hasSipPassword: true,
        forwardingMode: 'both',
        status: 'offline',
      });
      expect(h.logs.join('\n')).not.toContain(password);
    });

    it('refuses a duplicate SIP username with 409 and writes nothing', async () => {
      const a = await createAgent();
      const before = (await h.call<List>('GET', '/api/agents')).body.items.length;
      const r = await h.call<ErrorReply>('POST', '/api/agents', {
        name: 'Copy',
        sipUsername: a.sipUsername,
        password: 'another-password',
      });
      expect(r.status).toBe(409);
      expect(r.body.error).toMatchObject({ code: 'conflict', field: 'sipUsername' });
      expect((await h.call<List>('GET', '/api/agents')).body.items.length).toBe(before);
    });

    it('needs the password again when the SIP username changes, and rehashes with the new name', async () => {
      const a = await createAgent({ password: 'first-password' });
      const newName = `renamed${unique()}`;
      const refused = await h.call<ErrorReply>('PATCH', `/api/agents/${a.id}`, {
        sipUsername: newName,
      });
      expect(refused.status).toBe(400);
      expect(refused.body.error.field).toBe('password');
      const ok = await h.call<Row>('PATCH', `/api/agents/${a.id}`, {
        sipUsername: newName,
        password: 'second-password',
      });
      expect(ok.status).toBe(200);
      const realm = h.app.config.sip.realm;
      const creds = await h.app.store.agents.getCredentials(newName);
      expect(creds?.ha1Md5).toBe(
        createHash('md5').update(`${newName}:${realm}:second-password`).digest('hex'),
      );
      const cleared = await h.call<Row>('PATCH', `/api/agents/${a.id}`, { password: null });
      expect(cleared.body.hasSipPassword).toBe(false);
      expect(await h.app.store.agents.getCredentials(newName)).toBeNull();
    });

    it('requires a mobile number for mobile forwarding (400 on mobileNumber)', async () => {
      const r = await h.call<ErrorReply>('POST', '/api/agents', {
        name: 'No mobile',
        sipUsername: `nomobile${unique()}`,
        forwardingMode: 'mobile',
      });
      expect(r.status).toBe(400);
      expect(r.body.error.field).toBe('mobileNumber');
    });

    it('lists by status, updates and deletes an agent', async () => {
      const a = await createAgent({ status: 'available', maxConcurrentCalls: 2 });
      const available = await h.call<List>('GET', '/api/agents?status=available');
      expect(available.body.items.map((x) => x.id)).toContain(a.id);
      const offline = await h.call<List>('GET', '/api/agents?status=offline');
      expect(offline.body.items.map((x) => x.id)).not.toContain(a.id);
      const u = await h.call<Row>('PATCH', `/api/agents/${a.id}`, { name: 'Bob', mobileDelayS: 5 });
      expect(u.body).toMatchObject({ name: 'Bob', mobileDelayS: 5, maxConcurrentCalls: 2 });
      expect((await h.call('DELETE', `/api/agents/${a.id}`)).status).toBe(204);
      expect((await h.call('GET', `/api/agents/${a.id}`)).status).toBe(404);
    });
  });

  describe('agent status', () => {
    it('puts an agent on a break until a time, records history, then away and offline', async () => {
      const a = await createAgent({ status: 'available' });
      const until = new Date(Date.now() + 15 * 60_000).toISOString();
      const r = await h.call<{ agent: Row; change: Row }>('PUT', `/api/agents/${a.id}/status`, {
        status: 'break',
        until,
        reason: 'lunch',
      });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.agent).toMatchObject({
        status: 'break',
        statusUntil: until,
        statusReason: 'lunch',
      });
      expect(r.body.change).toMatchObject({
        agentId: a.id,
        fromStatus: 'available',
        toStatus: 'break',
        source: 'admin',
      });
      await h.call('PUT', `/api/agents/${a.id}/status`, { status: 'away' });
      await h.call('PUT', `/api/agents/${a.id}/status`, { status: 'offline' });
      expect((await h.call<Row>('GET', `/api/agents/${a.id}`)).body.status).toBe('offline');
      const history = await h.call<List>('GET', `/api/agents/${a.id}/status-history`);
      expect(history.body.items.map((c) => c.toStatus)).toEqual(['offline', 'away', 'break']);
    });

    it('refuses a break without an end, an end in the past, and an end on other statuses', async () => {
      const a = await createAgent();
      const noUntil = await h.call<ErrorReply>('PUT', `/api/agents/${a.id}/status`, {
        status: 'break',
      });
      expect(noUntil.status).toBe(400);
      expect(noUntil.body.error.field).toBe('until');
      const past = await h.call<ErrorReply>('PUT', `/api/agents/${a.id}/status`, {
        status: 'break',
        until: '2020-01-01T00:00:00Z',
      });
      expect(past.status).toBe(400);
      expect(past.body.error).toMatchObject({ field: 'until', reason: 'must be in the future' });
      const awayUntil = await h.call<ErrorReply>('PUT', `/api/agents/${a.id}/status`, {
        status: 'away',
        until: new Date(Date.now() + 60_000).toISOString(),
      });
      expect(awayUntil.status).toBe(400);
      const bad = await h.call<ErrorReply>('PUT', `/api/agents/${a.id}/status`, { status: 'busy' });
      expect(bad.body.error.field).toBe('status');
      expect((await h.call<Row>('GET', `/api/agents/${a.id}`)).body.status).toBe('offline');
    });

    it('answers 404 for an unknown agent', async () => {
      const id = '00000000-0000-4000-8000-000000000001';
      expect((await h.call('PUT', `/api/agents/${id}/status`, { status: 'away' })).status).toBe(
        404,
      );
      expect((await h.call('GET', `/api/agents/${id}/status-history`)).status).toBe(404);
    });
  });

  describe('memberships', () => {
    it('adds an agent to a department with a priority, toggles calls, lists and removes', async () => {
      const d = await createDepartment();
      const a = await createAgent();
      const m = await h.call<Row>('POST', '/api/memberships', {
        agentId: a.id,
        departmentId: d.id,
        priority: 10,
      });
      expect(m.status).toBe(201);
      expect(m.body).toMatchObject({
        agentId: a.id,
        departmentId: d.id,
        priority: 10,
        callsEnabled: true,
      });
      const off = await h.call<Row>('PATCH', `/api/memberships/${m.body.id}`, {
        callsEnabled: false,
      });
      expect(off.body).toMatchObject({ callsEnabled: false, priority: 10 });
      const byDept = await h.call<List>(`GET`, `/api/memberships?departmentId=${d.id}`);
      expect(byDept.body.items.map((x) => x.id)).toEqual([m.body.id]);
      const byAgent = await h.call<List>(`GET`, `/api/memberships?agentId=${a.id}`);
      expect(byAgent.body.items.map((x) => x.id)).toEqual([m.body.id]);
      expect((await h.call('DELETE', `/api/memberships/${m.body.id}`)).status).toBe(204);
      expect((await h.call<List>(`GET`, `/api/memberships?agentId=${a.id}`)).body.items).toEqual(
        [],
      );
    });

    it('refuses a second membership of the same pair (409), a priority outside 1-100 and unknown ids (400)', async () => {
      const d = await createDepartment();
      const a = await createAgent();
      await h.call('POST', '/api/memberships', { agentId: a.id, departmentId: d.id });
      const dup = await h.call<ErrorReply>('POST', '/api/memberships', {
        agentId: a.id,
        departmentId: d.id,
      });
      expect(dup.status).toBe(409);
      const prio = await h.call<ErrorReply>('POST', '/api/memberships', {
        agentId: a.id,
        departmentId: d.id,
        priority: 101,
      });
      expect(prio.status).toBe(400);
      expect(prio.body.error.field).toBe('priority');
      const ghost = await h.call<ErrorReply>('POST', '/api/memberships', {
        agentId: '00000000-0000-4000-8000-000000000002',
        departmentId: d.id,
      });
      expect(ghost.status).toBe(400);
      expect(ghost.body.error.field).toBe('agentId');
    });

    it('disappear with their agent', async () => {
      const d = await createDepartment();
      const a = await createAgent();
      await h.call('POST', '/api/memberships', { agentId: a.id, departmentId: d.id });
      await h.call('DELETE', `/api/agents/${a.id}`);
      expect(
        (await h.call<List>('GET', `/api/memberships?departmentId=${d.id}`)).body.items,
      ).toEqual([]);
    });
  });

  describe('VIP callers', () => {
    it('lists a VIP caller with a dedicated agent; duplicate 409; bad number 400', async () => {
      const a = await createAgent();
      const callerNumber = uniqueNumber('+4989');
      const v = await h.call<Row>('POST', '/api/vip-callers', {
        callerNumber,
        dedicatedAgentId: a.id,
        note: 'key account',
      });
      expect(v.status).toBe(201);
      expect(v.body).toMatchObject({ callerNumber, dedicatedAgentId: a.id, note: 'key account' });
      const dup = await h.call<ErrorReply>('POST', '/api/vip-callers', { callerNumber });
      expect(dup.status).toBe(409);
      expect(dup.body.error.field).toBe('callerNumber');
      const bad = await h.call<ErrorReply>('POST', '/api/vip-callers', { callerNumber: '0049 89' });
      expect(bad.status).toBe(400);
      expect(bad.body.error.field).toBe('callerNumber');
      const p = await h.call<Row>('PATCH', `/api/vip-callers/${v.body.id}`, {
        dedicatedAgentId: null,
      });
      expect(p.body.dedicatedAgentId).toBeNull();
      expect((await h.call<List>('GET', '/api/vip-callers')).body.items.map((x) => x.id)).toContain(
        v.body.id,
      );
      expect((await h.call('DELETE', `/api/vip-callers/${v.body.id}`)).status).toBe(204);
    });
  });

  describe('mobile allow-list', () => {
    it('accepts exact numbers and prefixes, refuses other patterns and duplicates', async () => {
      const prefix = `${uniqueNumber('+491').slice(0, 8)}*`;
      const e = await h.call<Row>('POST', '/api/mobile-allow-list', {
        pattern: prefix,
        description: 'German mobiles',
      });
      expect(e.status, JSON.stringify(e.body)).toBe(201);
      expect(e.body.pattern).toBe(prefix);
      expect((await h.call('POST', '/api/mobile-allow-list', { pattern: prefix })).status).toBe(
        409,
      );
      const bad = await h.call<ErrorReply>('POST', '/api/mobile-allow-list', { pattern: '+49.*' });
      expect(bad.status).toBe(400);
      expect(bad.body.error.field).toBe('pattern');
      expect(await h.app.store.mobileAllowList.allows(`${prefix.slice(0, -1)}123`)).toBe(true);
      const changed = await h.call<Row>('PATCH', `/api/mobile-allow-list/${e.body.id}`, {
        description: null,
      });
      expect(changed.body.description).toBeNull();
      expect((await h.call('DELETE', `/api/mobile-allow-list/${e.body.id}`)).status).toBe(204);
    });
  });

  describe('registrations', () => {
    it('shows the active bindings the registrar stored, and expired ones on request', async () => {
      const a = await createAgent({ password: 'registering' });
      const base = {
        agentId: a.id,
        sourceAddress: '192.0.2.10',
        sourcePort: 5062,
        transport: 'udp' as const,
        userAgent: 'Linphone',
      };
      await h.app.store.registrations.upsert({
        ...base,
        contactUri: 'sip:alice@192.0.2.10:5062',
        expiresAt: new Date(Date.now() + 3600_000),
      });
      await h.app.store.registrations.upsert({
        ...base,
        contactUri: 'sip:alice@192.0.2.10:5064',
        expiresAt: new Date(Date.now() - 1000),
      });
      const active = await h.call<List>('GET', `/api/registrations?agentId=${a.id}`);
      expect(active.body.items.map((r) => r.contactUri)).toEqual(['sip:alice@192.0.2.10:5062']);
      const all = await h.call<List>('GET', `/api/registrations?agentId=${a.id}&active=false`);
      expect(all.body.items).toHaveLength(2);
      const bad = await h.call<ErrorReply>('GET', '/api/registrations?active=yes');
      expect(bad.status).toBe(400);
      expect(bad.body.error.field).toBe('active');
    });
  });
});
