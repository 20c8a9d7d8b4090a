/**
 * `npm run bench:acd` — the whole product under call load, over loopback.
 *
 *   sipp callers (steady rate) ─▶ embedded SIP server ─▶ srf ─▶ call control
 *     + ACD engine (longest-idle) ─▶ INVITE ─▶ sipp agents (50 registered)
 *
 * The app is started exactly as `npm start` does (startApp + productionLayers,
 * in-memory PGlite, call log written), configured through its HTTP API. The
 * agents REGISTER with digest auth (one sipp run per agent, all from the same
 * port) and one sipp UAS answers for all of them on the
 * port they registered from: ringing, answer after 200-1000 ms, talk 1-3 s,
 * then the agent hangs up.
 *
 * Reported: calls handled per second, the time from the caller's INVITE
 * leaving sipp to the agent's INVITE arriving at sipp (p50/p99, from both
 * sipp message traces, matched by a per-call caller number), failed calls
 * (sipp's counts and call outcomes in the log), memory after the run, and
 * what is left afterwards (SIP dialogs/transactions/timers in the server,
 * calls/attempts/engine timer in call control).
 *
 * Usage: npm run bench:acd [-- --rate 10 --seconds 30 --agents 50]
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/app/config.ts';
import { productionLayers } from '../src/app/layers.ts';
import { createLogger } from '../src/app/logger.ts';
import { startApp } from '../src/app/start-app.ts';
import type { CallControlRuntime } from '../src/app/telephony/call-control-layer.ts';
import type { TelephonyWiring } from '../src/app/telephony/wiring.ts';
import { openPglite } from '../src/store/index.ts';
import { freePort } from '../test/support/ports.ts';
import { describeSipp, runSipp, startSipp } from '../test/support/sipp.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const scenario = (name: string) => path.join(HERE, 'scenarios', `${name}.xml`);
const PASSWORD = 'bench-agent-password';
const DID = '+4930100';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
  return v;
}

/** Per call: the time of the first INVITE of a caller number, sent or received. */
function inviteTimes(trace: string, direction: 'sent' | 'received'): Map<string, number> {
  const out = new Map<string, number>();
  for (const block of trace.split(/^-{20,} /m)) {
    const stamp = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)/.exec(block)?.[1];
    if (!stamp || !new RegExp(`message ${direction}`).test(block)) continue;
    if (!/^INVITE /m.test(block)) continue;
    const caller = /^From:[^\n]*<sip:(c\d+)@/m.exec(block)?.[1];
    if (!caller || out.has(caller)) continue;
    // sipp prints local time with microseconds; only differences matter here.
    const [date, time] = stamp.split(' ');
    const ms = Date.parse(`${date}T${time?.slice(0, 12)}Z`) + Number(`0.${time?.slice(13) ?? '0'}`);
    out.set(caller, ms);
  }
  return out;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return (
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN
  );
}

async function main(): Promise<void> {
  const rate = arg('rate', 10);
  const seconds = arg('seconds', 30);
  const agentCount = arg('agents', 50);
  const calls = Math.round(rate * seconds);
  const sipPort = await freePort();
  const config = loadConfig({
    env: {},
    overrides: {
      http: { host: '127.0.0.1', port: 0 },
      api: { token: 'bench-token-0123456789abcdef' },
      log: { level: 'warn' },
      sip: {
        host: '127.0.0.1',
        port: sipPort,
        registrar: { algorithms: ['MD5'] },
        trunk: { addresses: ['127.0.0.1'] },
      },
      drachtio: { port: 0 },
    },
  });
  let runtime: CallControlRuntime | null = null;
  let wiring: TelephonyWiring | null = null;
  const app = await startApp(config, {
    db: await openPglite(),
    logger: createLogger({ level: 'warn' }),
    defaultMetrics: false,
    layers: productionLayers(config, {
      optionsProbe: false,
      onCallControl: (rt) => {
        runtime = rt;
      },
      onWiring: (w) => {
        wiring = w;
      },
    }),
  });
  const stopSipps: Array<() => Promise<unknown>> = [];
  try {
    const api = async (method: string, p: string, body: unknown) => {
      const res = await fetch(`${app.httpUrl}/api${p}`, {
        method,
        headers: { authorization: `Bearer ${app.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
      return (await res.json()) as { id: string };
    };
    const dept = await api('POST', '/departments', {
      name: 'Sales',
      strategy: 'longest-idle',
      ringTimeoutS: 20,
      noAgentAction: { kind: 'hangup' },
    });
    await api('POST', '/dids', { number: DID, departmentId: dept.id });
    const usernames: string[] = [];
    for (let i = 0; i < agentCount; i++) {
      const username = String(2000 + i);
      usernames.push(username);
      const agent = await api('POST', '/agents', {
        name: `Agent ${username}`,
        sipUsername: username,
        password: PASSWORD,
        status: 'available',
      });
      await api('POST', '/memberships', { agentId: agent.id, departmentId: dept.id, priority: 1 });
    }

    const agentPort = await freePort();
    // One REGISTER (with digest) per agent, all from the port the agents' sipp will answer on.
    for (const username of usernames) {
      const reg = await runSipp({
        scenario: path.join(HERE, '../test/app/scenarios/agent-register.xml'),
        localPort: agentPort,
        remote: { host: '127.0.0.1', port: sipPort },
        service: username,
        extraArgs: ['-au', username, '-ap', PASSWORD],
        timeoutSeconds: 15,
      });
      if (reg.code !== 0) throw new Error(`REGISTER of ${username} failed: ${describeSipp(reg)}`);
    }
    const rt = runtime as CallControlRuntime | null;
    const registered = usernames.length;
    if (!rt) throw new Error('call control did not start');

    const uas = await startSipp({
      scenario: scenario('acd-agent-uas'),
      localPort: agentPort,
      calls,
      timeoutSeconds: seconds + 90,
      extraArgs: ['-timer_resol', '1'],
    });
    stopSipps.push(() => uas.stop());
    const started = performance.now();
    const caller = await runSipp({
      scenario: scenario('acd-caller'),
      localPort: await freePort(),
      remote: { host: '127.0.0.1', port: sipPort },
      service: DID.slice(1),
      calls,
      rate,
      timeoutSeconds: seconds + 90,
      extraArgs: ['-timer_resol', '1'],
    });
    const agents = await uas.finished;
    const elapsedS = (performance.now() - started) / 1000;
    await rt.callControl.settled();
    await rt.writer.flush();

    const sent = inviteTimes(caller.messages, 'sent');
    const got = inviteTimes(agents.messages, 'received');
    const lat: number[] = [];
    for (const [c, t0] of sent) {
      const t1 = got.get(c);
      if (t1 !== undefined) lat.push(t1 - t0);
    }
    lat.sort((a, b) => a - b);

    const summary = await app.store.db.query<{ outcome: string | null; n: string }>(
      'select outcome, count(*)::text as n from calls group by outcome order by outcome',
    );
    const outcomes = Object.fromEntries(
      summary.rows.map((r) => [r.outcome ?? 'open', Number(r.n)]),
    );
    const answered = outcomes.answered ?? 0;

    // Let the server's transaction timers (Timer K/J after the last BYEs) run out.
    const w = wiring as TelephonyWiring | null;
    const edge = w?.edge;
    const deadline = Date.now() + 40_000;
    while (edge && Date.now() < deadline) {
      const s = edge.stats();
      if (s.dialogs === 0 && s.transactions === 0 && s.timers === 0) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    global.gc?.();
    const mem = process.memoryUsage();
    const stats = edge?.stats();
    const rows: Array<[string, string]> = [
      ['agents registered (digest)', String(registered)],
      ['calls offered', `${calls} at ${rate}/s over ${seconds} s`],
      ['caller sipp exit code', String(caller.code)],
      ['agents sipp exit code', String(agents.code)],
      ['calls answered (call log)', String(answered)],
      ['other outcomes (call log)', JSON.stringify({ ...outcomes, answered: undefined })],
      ['calls handled per second', (answered / elapsedS).toFixed(1)],
      ['caller INVITE -> agent INVITE p50', `${percentile(lat, 50).toFixed(2)} ms`],
      ['caller INVITE -> agent INVITE p99', `${percentile(lat, 99).toFixed(2)} ms`],
      ['caller INVITE -> agent INVITE max', `${(lat.at(-1) ?? Number.NaN).toFixed(2)} ms`],
      ['failed calls', String(calls - answered)],
      [
        'rss / heap used after run',
        `${(mem.rss / 2 ** 20).toFixed(0)} MB / ${(mem.heapUsed / 2 ** 20).toFixed(0)} MB`,
      ],
      [
        'left: SIP dialogs / transactions / timers',
        stats ? `${stats.dialogs} / ${stats.transactions} / ${stats.timers}` : 'n/a',
      ],
      [
        'left: calls / attempts / engine timer',
        `${rt.callControl.sessions.size} / ${rt.callControl.attempts.size} / ${rt.callControl.driver.wakeAt === null ? 'none' : `next wake-up in ${((rt.callControl.driver.wakeAt - Date.now()) / 1000).toFixed(0)} s`}`,
      ],
      ['left: call-log events unwritten', String(rt.writer.queued)],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    process.stdout.write(`\nACD load test (${new Date().toISOString()})\n`);
    for (const [k, v] of rows) process.stdout.write(`  ${k.padEnd(width)}  ${v}\n`);
    const failed = calls - answered;
    if (failed > 0 || caller.code !== 0 || agents.code !== 0) {
      process.stdout.write(`\nFAILED: ${failed} calls not answered\n`);
      process.exitCode = 1;
    }
  } finally {
    for (const stop of stopSipps) await stop();
    await app.close();
  }
}

await main();
