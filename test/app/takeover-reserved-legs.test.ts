/**
 * A softphone leg sent with a reserved Call-ID (written to the open-legs
 * journal ahead of need, so its INVITE left without a database round trip)
 * is still ended by the instance that takes over. Real parts: two product
 * processes on the throwaway Postgres server, one embedded SIP server, sipp
 * as the agent's softphone and as the callers. The leader is killed with
 * SIGKILL while the agent talks on the second call (the first one warms the
 * reserve); the new leader must BYE that leg inside its dialog, forget the
 * reserved Call-IDs no leg took, and leave no row of the dead leader behind.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RESERVE_BATCH } from '../../src/app/leadership/open-legs-journal.ts';
import { freePort } from '../support/ports.ts';
import { assertSippPassed, runSipp, startSipp } from '../support/sipp.ts';
import { type ChildProduct, until } from './support/child-product.ts';
import {
  instancesFixture,
  registerSoftphone,
  sqlOnce as sql,
  startInstance,
} from './support/instances.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const scenario = (name: string) => path.join(here, 'scenarios', `${name}.xml`);
const flowScenario = (name: string) => path.join(here, '../calls/flow/scenarios', `${name}.xml`);

const DID = '+4930300';
const SECRET = 'reserved-legs-secret';
const AGENT = { sipUsername: '5001', password: 'agent-secret-5001' };

const f = instancesFixture(SECRET);

const sipAddress = () => f.sip.sipAddresses[0] as { host: string; port: number };

async function instance(id: string, url: string): Promise<ChildProduct> {
  const p = await startInstance({
    id,
    databaseUrl: url,
    sip: f.sip,
    secret: SECRET,
    trunkPort: await freePort(),
  });
  f.children.push(p);
  return p;
}

function caller(talkMs: number) {
  return {
    scenario: scenario('caller-talk-then-bye'),
    remote: sipAddress(),
    service: DID.slice(1),
    timeoutSeconds: 60,
    extraArgs: ['-d', String(talkMs)],
  };
}

describe('takeover of legs sent with reserved Call-IDs', () => {
  it('the new leader ends the dead leader’s softphone leg and forgets the unused reserve', async () => {
    const url = await f.pg.createMigratedDatabase();
    const a = await instance('a', url);
    await a.waitForLine((e) => e.msg === 'this instance now routes (leader)', 20_000);
    const b = await instance('b', url);
    await b.waitForLine((e) => e.msg === 'standby: another instance routes', 20_000);

    const dept = await a.api<{ id: string }>('POST', '/departments', { name: 'Sales' });
    await a.api('POST', '/dids', { number: DID, departmentId: dept.id });
    const agent = await a.api<{ id: string }>('POST', '/agents', {
      name: 'Soft Phone',
      sipUsername: AGENT.sipUsername,
      password: AGENT.password,
      status: 'available',
    });
    await a.api('POST', '/memberships', { agentId: agent.id, departmentId: dept.id });

    const agentPort = await freePort();
    await registerSoftphone(f.sip, agentPort, AGENT);
    // The softphone answers both calls and hangs up on nothing: the second
    // call's leg stays up until somebody sends it a BYE.
    const phone = await startSipp({
      scenario: flowScenario('agent-answer'),
      localPort: agentPort,
      calls: 2,
      timeoutSeconds: 60,
    });
    f.sipps.push(phone);

    // The first call waits for its own row and starts the reserve.
    assertSippPassed(await runSipp({ ...caller(300), localPort: await freePort() }), 'first call');
    await until(
      'the reserve is written',
      () =>
        sql<{ n: number }>(
          url,
          `SELECT count(*)::int AS n FROM open_legs WHERE instance = 'a' AND target = ''`,
        ),
      (rows) => (rows[0]?.n ?? 0) >= RESERVE_BATCH,
    );
    const reserve = await sql<{ sip_call_id: string }>(
      url,
      `SELECT sip_call_id FROM open_legs WHERE instance = 'a' AND target = ''`,
    );

    // The second call's leg takes a reserved Call-ID.
    const second = await startSipp({ ...caller(60_000), localPort: await freePort() });
    f.sipps.push(second);
    await until(
      'the agent talks on the second call',
      () => a.api<{ agents: { id: string; state: string }[] }>('GET', '/live'),
      (live) => live.agents.some((x) => x.id === agent.id && x.state === 'onCall'),
    );
    await a.kill();
    await b.waitForLine((e) => e.msg === 'this instance now routes (leader)', 10_000);

    // The softphone got the BYE of its second call and answered it: its run is complete.
    const phoneRun = await phone.finished;
    f.sipps.splice(f.sipps.indexOf(phone), 1);
    assertSippPassed(phoneRun, 'softphone');
    const byes = [
      ...phoneRun.messages.matchAll(/^BYE sip:[^\n]*\n(?:[^\n]+\n)*?Call-ID: *([^\s]+)/gim),
    ].map((m) => m[1]);
    expect(byes).toHaveLength(2);
    expect(reserve.map((r) => r.sip_call_id)).toContain(byes[1]);

    const ended = await b.waitForLine((e) => e.msg === 'reconcile: ended a lost agent leg', 10_000);
    expect(ended).toMatchObject({ sipCallId: byes[1], fix: 'BYE answered 200' });
    const forgotten = await b.waitForLine(
      (e) =>
        typeof e.msg === 'string' &&
        e.msg.startsWith('reconcile: reserved Call-IDs of a lost instance'),
      10_000,
    );
    expect(forgotten.count).toBeGreaterThanOrEqual(RESERVE_BATCH / 2);
    expect(b.lines().filter((e) => e.msg === 'reconcile: ended a lost agent leg')).toHaveLength(1);
    expect(await sql(url, `SELECT 1 FROM open_legs WHERE instance = 'a'`)).toEqual([]);
  });
});
