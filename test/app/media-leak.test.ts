/**
 * A thousand callers through the embedded media server, as `npm start` runs
 * it: each caller is answered into a media endpoint (welcome, music), an
 * agent answers, the caller is re-INVITEd to the agent and the endpoint
 * released, the agent hangs up. Afterwards nothing of any call may be left:
 * endpoints, the media server's channels, RTP ports, SIP dialogs and
 * timers, event-socket connections, call sessions and ring attempts, the
 * SIP server's dialogs, transactions and timers. Callers and agents are
 * sipp (the load benchmark's scenarios), 10 digest-registered agents
 * answered by one sipp.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { openMigratedPglite } from '../support/pglite.ts';
import { freePort } from '../support/ports.ts';
import { assertSippPassed, runSipp, type SippProcess, startSipp } from '../support/sipp.ts';
import { type Product, startProduct, stopProducts } from './support/product.ts';
import { untilWithin } from '../support/wait.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const benchScenario = (name: string) => path.join(here, '../../bench/scenarios', `${name}.xml`);
const DID = '+4930300';
const CALLS = 1000;
const RATE = 25;
const AGENTS = 10;

const sipps = new Set<SippProcess>();
afterEach(async () => {
  await Promise.all([...sipps].map((s) => s.stop()));
  sipps.clear();
  await stopProducts();
});

const until = untilWithin(15_000);

async function answeredCalls(r: Product): Promise<number> {
  const rows = await r.app.store.db.query<{ n: string }>(
    "select count(*)::text as n from calls where outcome = 'answered'",
  );
  return Number(rows.rows[0]?.n ?? 0);
}

describe('caller media: a thousand calls leave nothing behind', () => {
  it(`${CALLS} callers answered into media, bridged to agents, hung up: every resource released`, async () => {
    const rtpBase = 36000 + 2 * Math.floor(Math.random() * 1000);
    const r = await startProduct({
      sipPort: await freePort(),
      db: await openMigratedPglite(),
      overrides: {
        // sipp agents expect only INVITEs: no OPTIONS probes.
        sip: { registrar: { probeIntervalS: 0 } },
        media: {
          callers: 'answer',
          rtpPortMin: rtpBase,
          rtpPortMax: rtpBase + 399,
          embedded: { eslPort: 0, sipPort: 0 },
        },
      },
    });
    const dept = await r.api<{ id: string }>('POST', '/departments', {
      name: 'Support',
      strategy: 'longest-idle',
      ringTimeoutS: 20,
      announceIntervalS: 0,
      noAgentAction: { kind: 'hangup' },
    });
    await r.api('POST', '/dids', { number: DID, departmentId: dept.id });
    const agentPort = await freePort();
    for (let i = 0; i < AGENTS; i++) {
      const username = String(3000 + i);
      const agent = await r.api<{ id: string }>('POST', '/agents', {
        name: `Agent ${username}`,
        sipUsername: username,
        password: 'leak-test-agent-pw',
        status: 'available',
      });
      await r.api('POST', '/memberships', {
        agentId: agent.id,
        departmentId: dept.id,
        priority: 1,
      });
      assertSippPassed(
        await runSipp({
          scenario: path.join(here, 'scenarios/agent-register.xml'),
          localPort: agentPort,
          remote: { host: '127.0.0.1', port: r.sipPort },
          service: username,
          extraArgs: ['-au', username, '-ap', 'leak-test-agent-pw'],
          timeoutSeconds: 15,
        }),
        `REGISTER ${username}`,
      );
    }
    const media = r.telephony.media?.embedded;
    const before = media?.counts();
    expect(before).toMatchObject({ channels: 0, rtpPorts: 0, sipDialogs: 0, eslInbound: 1 });

    const agents = await startSipp({
      scenario: benchScenario('acd-agent-uas-short'),
      localPort: agentPort,
      calls: CALLS,
      timeoutSeconds: CALLS / RATE + 120,
      traceMessages: false,
    });
    sipps.add(agents);
    const callers = await runSipp({
      scenario: benchScenario('acd-caller-media'),
      localPort: await freePort(),
      remote: { host: '127.0.0.1', port: r.sipPort },
      service: DID.slice(1),
      calls: CALLS,
      rate: RATE,
      limit: 100,
      timeoutSeconds: CALLS / RATE + 120,
      traceMessages: false,
    });
    assertSippPassed(callers, 'callers');
    assertSippPassed(await agents.finished, 'agents');
    sipps.delete(agents);

    const rt = r.telephony.calls;
    await rt.callControl.settled();
    await rt.writer.flush();
    expect(await answeredCalls(r)).toBe(CALLS);
    await until(
      'media released',
      () => rt.media?.openEndpoints === 0 && media?.counts().channels === 0,
      20_000,
    );
    expect(media?.counts()).toEqual(before);
    expect(rt.callControl.sessions.size).toBe(0);
    expect(rt.callControl.attempts.size).toBe(0);
    // The SIP server's BYE transactions linger for Timer J (64*T1 = 32 s) after the last call.
    const edge = r.telephony.edge;
    await until(
      'SIP dialogs, transactions and timers gone',
      () => {
        const s = edge?.stats();
        return s !== undefined && s.dialogs === 0 && s.transactions === 0 && s.timers === 0;
      },
      60_000,
    );
  }, 240_000);
});
