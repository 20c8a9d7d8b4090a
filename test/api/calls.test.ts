/**
 * The call log over HTTP: calls written through the store's event log (as
 * call control will write them) are found by time range, department, agent,
 * outcome and caller, page by page; one call shows its attempts and routing.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, type ErrorReply, unique, uniqueNumber, useApp } from './support/harness.ts';

interface CallRow {
  id: string;
  caller: string;
  outcome: string | null;
  agentId: string | null;
  departmentId: string | null;
  [key: string]: unknown;
}
interface CallPage {
  items: CallRow[];
  nextCursor: string | null;
}

describe.each(BACKENDS)('call log queries on %s', (backend) => {
  const h = useApp(backend);
  const t0 = new Date('2026-03-02T10:00:00Z');
  const at = (s: number) => new Date(t0.getTime() + s * 1000);
  let departmentId: string;
  let otherDepartmentId: string;
  let agentId: string;
  let callerA: string;
  let callerB: string;
  const ids = { answered: '', abandoned: '', other: '' };

  beforeAll(async () => {
    const d = await h.app.store.departments.create({ name: `Calls ${unique()}` });
    const o = await h.app.store.departments.create({ name: `Calls other ${unique()}` });
    const a = await h.app.store.agents.create({ name: 'Ann', sipUsername: `ann${unique()}` });
    departmentId = d.id;
    otherDepartmentId = o.id;
    agentId = a.id;
    callerA = uniqueNumber('+4940');
    callerB = uniqueNumber('+4941');
    ids.answered = `call-${unique()}`;
    ids.abandoned = `call-${unique()}`;
    ids.other = `call-${unique()}`;
    const log = h.app.store.callLog;
    await log.appendMany([
      {
        type: 'call.arrived',
        at: at(0),
        callId: ids.answered,
        payload: { caller: callerA, dialledNumber: '+49301' },
      },
      { type: 'call.queued', at: at(0), callId: ids.answered, departmentId },
      {
        type: 'call.routed',
        at: at(1),
        callId: ids.answered,
        payload: { explanation: { strategy: 'priority', chosen: agentId, skipped: [] } },
      },
      {
        type: 'call.ringing',
        at: at(1),
        callId: ids.answered,
        agentId,
        payload: { attemptId: `${ids.answered}-1`, device: 'sip:ann@192.0.2.1' },
      },
      {
        type: 'attempt.ended',
        at: at(21),
        callId: ids.answered,
        payload: { attemptId: `${ids.answered}-1`, result: 'no-answer' },
      },
      {
        type: 'call.ringing',
        at: at(22),
        callId: ids.answered,
        agentId,
        payload: { attemptId: `${ids.answered}-2`, device: 'sip:ann@192.0.2.1' },
      },
      {
        type: 'call.answered',
        at: at(25),
        callId: ids.answered,
        agentId,
        payload: { attemptId: `${ids.answered}-2` },
      },
      { type: 'call.ended', at: at(85), callId: ids.answered, payload: { outcome: 'answered' } },
      {
        type: 'call.arrived',
        at: at(100),
        callId: ids.abandoned,
        payload: { caller: callerB, dialledNumber: '+49301' },
      },
      { type: 'call.queued', at: at(100), callId: ids.abandoned, departmentId },
      { type: 'call.ended', at: at(130), callId: ids.abandoned, payload: { outcome: 'abandoned' } },
      {
        type: 'call.arrived',
        at: at(200),
        callId: ids.other,
        payload: { caller: callerA, dialledNumber: '+49302' },
      },
      { type: 'call.queued', at: at(200), callId: ids.other, departmentId: otherDepartmentId },
    ]);
  });

  const query = (qs: string) => h.call<CallPage>('GET', `/api/calls?${qs}`);

  it('finds the calls of a department newest first', async () => {
    const r = await query(`departmentId=${departmentId}`);
    expect(r.status).toBe(200);
    expect(r.body.items.map((c) => c.id)).toEqual([ids.abandoned, ids.answered]);
    expect(r.body.nextCursor).toBeNull();
  });

  it('filters by outcome, answering agent, caller and live calls', async () => {
    expect(
      (await query(`outcome=answered&departmentId=${departmentId}`)).body.items.map((c) => c.id),
    ).toEqual([ids.answered]);
    expect((await query(`agentId=${agentId}`)).body.items.map((c) => c.id)).toEqual([ids.answered]);
    const byCaller = await query(`caller=${encodeURIComponent(callerA)}`);
    expect(byCaller.body.items.map((c) => c.id)).toEqual([ids.other, ids.answered]);
    const live = await query(`outcome=live&departmentId=${otherDepartmentId}`);
    expect(live.body.items.map((c) => c.id)).toEqual([ids.other]);
    expect(live.body.items[0]?.outcome).toBeNull();
  });

  it('filters by a time range (from inclusive, to exclusive)', async () => {
    const from = encodeURIComponent(at(100).toISOString());
    const to = encodeURIComponent(at(200).toISOString());
    const r = await query(`from=${from}&to=${to}`);
    expect(r.body.items.map((c) => c.id)).toEqual([ids.abandoned]);
  });

  it('pages with a cursor until the last page', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 5; i++) {
      const qs: string = `caller=${encodeURIComponent(callerA)}&limit=1${cursor ? `&cursor=${cursor}` : ''}`;
      const r = await query(qs);
      expect(r.status).toBe(200);
      seen.push(...r.body.items.map((c) => c.id));
      cursor = r.body.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toEqual([ids.other, ids.answered]);
  });

  it('shows one call with its attempts, times and routing explanation', async () => {
    const r = await h.call<CallRow & { attempts: Array<Record<string, unknown>> }>(
      'GET',
      `/api/calls/${ids.answered}`,
    );
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      id: ids.answered,
      caller: callerA,
      departmentId,
      agentId,
      outcome: 'answered',
      waitS: 25,
      talkS: 60,
      arrivedAt: at(0).toISOString(),
      routing: { strategy: 'priority', chosen: agentId },
    });
    expect(r.body.attempts.map((a) => a.result)).toEqual(['no-answer', 'answered']);
    expect(r.body.attempts[0]).toMatchObject({ agentId, device: 'sip:ann@192.0.2.1', ringS: 20 });
  });

  it('lists ring attempts of a call and of an agent', async () => {
    const r = await h.call<{ items: Array<Record<string, unknown>> }>(
      'GET',
      `/api/call-attempts?callId=${ids.answered}`,
    );
    expect(r.body.items.map((a) => a.id)).toEqual([`${ids.answered}-2`, `${ids.answered}-1`]);
    const noAnswer = await h.call<{ items: Array<Record<string, unknown>> }>(
      'GET',
      `/api/call-attempts?agentId=${agentId}&result=no-answer`,
    );
    expect(noAnswer.body.items.map((a) => a.id)).toEqual([`${ids.answered}-1`]);
  });

  it('exports the matching calls as CSV with a header row, newest first', async () => {
    const r = await h.call<string>('GET', `/api/calls.csv?departmentId=${departmentId}`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/csv');
    expect(r.headers.get('content-disposition')).toContain('calls.csv');
    const lines = r.body.trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'id,caller,dialledNumber,departmentId,arrivedAt,answeredAt,endedAt,agentId,outcome,waitS,talkS',
    );
    expect(lines).toHaveLength(3);
    expect(lines[1]?.startsWith(`${ids.abandoned},${callerB},+49301,${departmentId},`)).toBe(true);
    expect(lines[2]).toBe(
      [
        ids.answered,
        callerA,
        '+49301',
        departmentId,
        at(0).toISOString(),
        at(25).toISOString(),
        at(85).toISOString(),
        agentId,
        'answered',
        '25',
        '60',
      ].join(','),
    );
    const bad = await h.call<ErrorReply>('GET', '/api/calls.csv?limit=5');
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('limit');
  });

  it('defuses spreadsheet formulas in caller ids in the CSV export', async () => {
    const callId = `formula-${unique()}`;
    const dialled = uniqueNumber('+4939');
    await h.app.store.callLog.appendMany([
      {
        type: 'call.arrived',
        at: at(300),
        callId,
        payload: { caller: '=HYPERLINK("http://x","a,b")', dialledNumber: dialled },
      },
      { type: 'call.ended', at: at(301), callId, payload: { outcome: 'rejected' } },
    ]);
    const r = await h.call<string>(
      'GET',
      `/api/calls.csv?from=${encodeURIComponent(at(300).toISOString())}&to=${encodeURIComponent(at(301).toISOString())}`,
    );
    const row = r.body.trimEnd().split('\r\n')[1];
    expect(row).toBe(
      `${callId},"'=HYPERLINK(""http://x"",""a,b"")",${dialled},,${at(300).toISOString()},,${at(301).toISOString()},,rejected,1,`,
    );
  });

  it('answers 404 for an unknown call and 400 naming the bad query field', async () => {
    expect((await h.call('GET', '/api/calls/no-such-call')).status).toBe(404);
    const cases: Array<[string, string]> = [
      ['outcome=won', 'outcome'],
      ['from=yesterday', 'from'],
      [`from=${at(10).toISOString()}&to=${at(5).toISOString()}`, 'to'],
      ['limit=0', 'limit'],
      ['limit=5000', 'limit'],
      ['cursor=garbage', 'cursor'],
      ['agentId=42', 'agentId'],
      ['colour=red', 'colour'],
    ];
    for (const [qs, field] of cases) {
      const r = await h.call<ErrorReply>('GET', `/api/calls?${qs}`);
      expect(r.status, qs).toBe(400);
      expect(r.body.error.field, qs).toBe(field);
    }
  });
});
