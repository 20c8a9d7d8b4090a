/**
 * A crash must not leave calls "live" for ever. The product runs as a real
 * child process on a PGlite data folder; sipp is the caller and the trunk
 * that the agents' mobiles are reached through. With several calls up (and
 * one waiting), the process is killed with SIGKILL, so it writes nothing
 * more. Started again on the same folder, it must end every call the log
 * still shows as live (outcome failed, cause restart), say so in one log
 * line, and the agents must take calls again.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.ts';
import { assertSippPassed, runSipp, type SippProcess, startSipp } from '../support/sipp.ts';
import { type ChildProduct, startChildProduct, until } from './support/child-product.ts';
import { newDataDir, removeDataDirs } from './support/product.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const ownScenario = (name: string) => path.join(here, 'scenarios', `${name}.xml`);
// The call-flow suite's peers (the agent's scenario checks the caller ID "<caller> Sales").
const flowScenario = (name: string) => path.join(here, '../calls/flow/scenarios', `${name}.xml`);

const DID = '+4930100';
const children: ChildProduct[] = [];
const sipps: SippProcess[] = [];

afterEach(async () => {
  await Promise.all(sipps.splice(0).map((s) => s.stop()));
  await Promise.all(children.splice(0).map((c) => c.kill()));
});
afterAll(() => removeDataDirs());

interface CallRow {
  id: string;
  outcome: string | null;
  agentId: string | null;
  answeredAt: string | null;
}

async function start(dataDir: string, sipPort: number, trunkPort: number) {
  const p = await startChildProduct({
    dataDir,
    sipPort,
    env: { ACD_TRUNK_URI: `sip:127.0.0.1:${trunkPort}` },
  });
  children.push(p);
  return p;
}

async function calls(p: ChildProduct, query = ''): Promise<CallRow[]> {
  return (await p.api<{ items: CallRow[] }>('GET', `/calls?limit=200${query}`)).items;
}

describe('calls cut off by a crash', () => {
  it('after kill -9 with calls up, the restart ends each as failed (restart), logs them once, and frees the agents', async () => {
    const dataDir = await newDataDir();
    const sipPort = await freePort();
    const trunkPort = await freePort();
    const agentsN = 4;
    const first = await start(dataDir, sipPort, trunkPort);

    const dept = await first.api<{ id: string }>('POST', '/departments', {
      name: 'Sales',
      ringTimeoutS: 10,
    });
    await first.api('POST', '/dids', { number: DID, departmentId: dept.id });
    await first.api('POST', '/mobile-allow-list', { pattern: '+4917*' });
    const agentIds: string[] = [];
    for (let i = 0; i < agentsN; i++) {
      const a = await first.api<{ id: string }>('POST', '/agents', {
        name: `agent ${i}`,
        sipUsername: String(3001 + i),
        forwardingMode: 'mobile',
        mobileNumber: `+4917000000${i}`,
        status: 'available',
      });
      agentIds.push(a.id);
      await first.api('POST', '/memberships', { agentId: a.id, departmentId: dept.id });
    }

    // The trunk answers every mobile; the callers talk 30 s. One more caller than agents waits.
    const trunk = await startSipp({
      scenario: flowScenario('agent-answer'),
      localPort: trunkPort,
      calls: agentsN,
      timeoutSeconds: 120,
    });
    sipps.push(trunk);
    const callers = await startSipp({
      scenario: ownScenario('caller-long-talk'),
      localPort: await freePort(),
      remote: { host: '127.0.0.1', port: sipPort },
      service: DID.slice(1),
      calls: agentsN + 1,
      rate: 20,
      timeoutSeconds: 120,
    });
    sipps.push(callers);
    const live = await until(
      'every agent talks and one call waits',
      () => calls(first, '&outcome=live'),
      (rows) => rows.length === agentsN + 1 && rows.filter((r) => r.answeredAt).length === agentsN,
    );

    await first.kill();
    await Promise.all(sipps.splice(0).map((s) => s.stop()));

    const second = await start(dataDir, sipPort, trunkPort);
    const line = await second.waitForLine(
      (e) => e.msg === 'closed calls that no live dialog carries (outcome failed)',
      10_000,
    );
    expect(line).toMatchObject({ count: agentsN + 1, cause: 'restart' });
    expect([...(line.callIds as string[])].sort()).toEqual(live.map((c) => c.id).sort());
    expect([...(line.agentIds as string[])].sort()).toEqual([...agentIds].sort());
    expect(
      second
        .lines()
        .filter((e) => e.msg === 'closed calls that no live dialog carries (outcome failed)'),
    ).toHaveLength(1);

    expect(await calls(second, '&outcome=live')).toEqual([]);
    for (const c of live) {
      const detail = await second.api<{
        outcome: string;
        attempts: Array<{ result: string | null }>;
      }>('GET', `/calls/${c.id}`);
      expect(detail.outcome).toBe('failed');
      // No ring is left open either: the agents are not shown ringing or talking.
      for (const a of detail.attempts) expect(a.result).not.toBeNull();
    }

    // The agents are free: a new call is answered.
    const answering = await startSipp({
      scenario: flowScenario('agent-answer'),
      localPort: trunkPort,
      calls: 1,
      timeoutSeconds: 60,
    });
    sipps.push(answering);
    const caller = await runSipp({
      scenario: flowScenario('caller-talk-hangup'),
      localPort: await freePort(),
      remote: { host: '127.0.0.1', port: sipPort },
      service: DID.slice(1),
      timeoutSeconds: 60,
    });
    assertSippPassed(caller, 'caller after the restart');
    assertSippPassed(await answering.finished, 'agent after the restart');
    const after = await until(
      'the new call is logged',
      () => calls(second),
      (rows) => rows.some((r) => r.outcome === 'answered'),
    );
    expect(after.filter((r) => r.outcome === 'failed')).toHaveLength(agentsN + 1);

    // A clean restart finds nothing left to close.
    await second.stop();
    children.splice(children.indexOf(second), 1);
    const third = await start(dataDir, sipPort, trunkPort);
    expect(await calls(third, '&outcome=live')).toEqual([]);
    expect(
      third
        .lines()
        .filter((e) => e.msg === 'closed calls that no live dialog carries (outcome failed)'),
    ).toEqual([]);
  }, 400_000);
});
