/**
 * One run of `npm run bench:acd` in one configuration (see acd-load.ts):
 * the product started as `npm start` starts it, 50 digest-registered sipp
 * agents, then steady load, the step ladder, half rate, bursts and (PGlite,
 * media off) a soak of many calls before memory is read.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/app/settings/config.ts';
import { productionLayers } from '../../src/app/layers.ts';
import { createLogger } from '../../src/app/runtime/logger.ts';
import { startApp } from '../../src/app/start-app.ts';
import type { SipServerThread } from '../../src/edge/thread/sip-edge-thread.ts';
import { type EmbeddedSipServer, monotonicMs } from '../../src/edge/index.ts';
import type { PgliteThreadDb } from '../../src/store/pglite-thread.ts';
import { startPostgres, type TestPostgres } from '../../test/support/postgres.ts';
import { freePort } from '../../test/support/ports.ts';
import { describeSipp, runSipp, type SippProcess, startSipp } from '../../test/support/sipp.ts';
import { observeRingLatency } from '../ring-latency.ts';
import { ladderRates, realtimePriorityArg, type Variant } from './options.ts';
import { residentParts } from './resident.ts';
import { inviteTimes, percentile } from './sipp-trace.ts';

const BENCH = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const scenario = (name: string) => path.join(BENCH, 'scenarios', `${name}.xml`);
const PASSWORD = 'bench-agent-password';
const DID = '+4930100';
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;

/** How the kernel schedules the SIP server's thread (thread-scheduling.ts), for the report. */
function describeScheduling(edge: EmbeddedSipServer | null | undefined): string {
  const scheduling = edge && 'scheduling' in edge ? (edge as SipServerThread).scheduling : null;
  if (!scheduling) return 'the app thread (--sip-in-app-thread)';
  if (scheduling.got === 'realtime') return `SCHED_RR, priority ${scheduling.priority}`;
  const refused = scheduling.realtimeRefused
    ? `; SCHED_RR refused: ${scheduling.realtimeRefused}`
    : '';
  if (scheduling.got === 'short-slices')
    return `${scheduling.sliceNs / 1e6} ms time slices${refused}`;
  return `default (${scheduling.reason}${refused})`;
}

export interface RunOptions {
  rate: number;
  seconds: number;
  agentCount: number;
  stepSeconds: number;
  maxRate: number;
  noLadder: boolean;
  sipInAppThread: boolean;
  /** Calls run after the ladder before memory is read (0 = none); PGlite, media off only. */
  soakCalls: number;
  /** Calls/s of the soak; null = half the highest clean rate. */
  soakRate: number | null;
  kamailioCps: { offered: number; achieved: number } | null;
}

export interface VariantResult {
  rows: Array<[string, string]>;
  /** Calls not answered in the steady and half-rate steps (the run fails). */
  failed: number;
}

/** One whole run of the product in one configuration: steady load, ladder, half rate, bursts. */
export async function runVariant(variant: Variant, o: RunOptions): Promise<VariantResult> {
  const { rate, seconds, agentCount, stepSeconds, maxRate, noLadder, kamailioCps } = o;
  const mediaOn = variant === 'pglite-media';
  const say = (line: string) => process.stdout.write(`[${variant}] ${line}\n`);
  const sipPort = await freePort();
  const pgServer: TestPostgres | null = variant === 'postgres' ? await startPostgres() : null;
  const pgUrl = pgServer ? await pgServer.createMigratedDatabase() : null;
  // PGlite as `npm start` opens it: a data folder on disk.
  const dataDir = pgUrl ? null : fs.mkdtempSync(path.join(os.tmpdir(), 'acd-bench-'));
  const config = loadConfig({
    env: {},
    overrides: {
      http: { host: '127.0.0.1', port: 0 },
      api: { token: 'bench-token-0123456789abcdef' },
      log: { level: 'warn' },
      sip: {
        host: '127.0.0.1',
        port: sipPort,
        trunk: { addresses: ['127.0.0.1'] },
        // sipp agents expect only INVITEs: no OPTIONS probes.
        registrar: { probeIntervalS: 0 },
        workerThread: !o.sipInAppThread,
        ...realtimePriorityArg(),
      },
      drachtio: { port: 0 },
      database: pgUrl ? { url: pgUrl } : { dataDir: dataDir as string },
      // Media off (default): callers hear ringback, the signalling path alone is measured.
      // --media: callers are answered into the embedded media server (welcome, music) and
      // re-INVITEd towards the agent who answers.
      media: mediaOn
        ? {
            callers: 'answer',
            rtpPortMin: 40000,
            rtpPortMax: 49999,
            embedded: { eslPort: 0, sipPort: 0 },
          }
        : { callers: 'ringback' },
    },
  });
  const app = await startApp(config, {
    logger: createLogger({ level: 'warn' }),
    defaultMetrics: false,
    telephony: true,
    layers: productionLayers(),
  });
  const telephony = app.telephony;
  const stopSipps = new Set<() => Promise<unknown>>();
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
    const answeredCount = async () => {
      const r = await app.store.db.query<{ n: string }>(
        "select count(*)::text as n from calls where outcome = 'answered'",
      );
      return Number(r.rows[0]?.n ?? 0);
    };
    const totalCalls = async () => {
      const r = await app.store.db.query<{ n: string }>('select count(*)::text as n from calls');
      return Number(r.rows[0]?.n ?? 0);
    };
    /** What the media layer holds (all zero after a clean run). */
    const mediaLeft = () => {
      const c = telephony?.media?.embedded?.counts();
      const endpoints = telephony?.calls.media?.openEndpoints ?? 'n/a';
      if (!c) return `endpoints ${endpoints}`;
      return `endpoints ${endpoints}, media-server channels ${c.channels}, RTP ports ${c.rtpPorts}, SIP dialogs ${c.sipDialogs}, timers ${c.timers}, ESL connections ${c.eslInbound + c.eslOutbound}`;
    };
    /** `calls` short calls at `rate`, in runs of at most 10,000, without message traces. */
    const soakRun = async (calls: number, soakRate: number) => {
      const started = performance.now();
      const before = await answeredCount();
      for (let done = 0; done < calls; ) {
        const n = Math.min(10_000, calls - done);
        await settle();
        const uas = await startSipp({
          scenario: scenario('acd-agent-uas-short'),
          localPort: agentPort,
          calls: n,
          timeoutSeconds: n / soakRate + 120,
          traceMessages: false,
        });
        const stopUas = () => uas.stop();
        stopSipps.add(stopUas);
        await runSipp({
          scenario: scenario('acd-caller'),
          localPort: await freePort(),
          remote: { host: '127.0.0.1', port: sipPort },
          service: DID.slice(1),
          calls: n,
          rate: soakRate,
          limit: Math.max(200, soakRate * 4),
          timeoutSeconds: n / soakRate + 120,
          traceMessages: false,
        });
        await uas.finished;
        stopSipps.delete(stopUas);
        await rt.callControl.settled();
        await rt.writer.flush();
        done += n;
        say(`soak: ${done} of ${calls} calls, rss ${mb(process.memoryUsage().rss)}`);
      }
      return {
        calls,
        answered: (await answeredCount()) - before,
        seconds: (performance.now() - started) / 1000,
      };
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
        scenario: path.join(BENCH, '../test/app/scenarios/agent-register.xml'),
        localPort: agentPort,
        remote: { host: '127.0.0.1', port: sipPort },
        service: username,
        extraArgs: ['-au', username, '-ap', PASSWORD],
        timeoutSeconds: 15,
      });
      if (reg.code !== 0) throw new Error(`REGISTER of ${username} failed: ${describeSipp(reg)}`);
    }
    if (!telephony) throw new Error('telephony did not start');
    const rt = telephony.calls;
    const registered = usernames.length;

    const edge = telephony.edge;
    let ringLat: number[] = [];
    let toSrf: number[] = [];
    // Agents' INVITEs as the SIP server hands them to the socket, by caller
    // number, on the monotonic clock every thread shares (the server may run
    // on its own thread; its reports may arrive after srf's).
    const invitesOut = new Map<string, number[]>();
    const stopWatchingWire = edge?.observeSent(
      (message, sentAt) => {
        const caller = /^From:[^\r\n]*<sip:([^@>;]+)@/im.exec(message.toString('utf8'))?.[1];
        if (caller) invitesOut.set(caller, [...(invitesOut.get(caller) ?? []), sentAt]);
      },
      ['INVITE'],
    );
    let rings: Array<{ caller: string; at: number }> = [];
    const stopObserving = observeRingLatency(app.events, telephony.srf, (l) => {
      ringLat.push(l.sentMs);
      toSrf.push(l.toSrfMs);
      rings.push({ caller: l.caller, at: l.startedAt + (monotonicMs() - performance.now()) });
    });
    /** Ring -> that agent's INVITE leaving: each ring takes the caller's first INVITE sent after it. */
    const ringToWire = (): number[] => {
      const out: number[] = [];
      for (const r of rings) {
        const times = invitesOut.get(r.caller) ?? [];
        const i = times.findIndex((t) => t >= r.at);
        if (i < 0) continue;
        out.push((times[i] as number) - r.at);
        times.splice(i, 1);
      }
      return out;
    };

    /** One bounded run at a fixed rate: answered and failed calls, both latencies. */
    const runStep = async (stepRate: number, stepSeconds: number, agentScenario: string) => {
      const stepCalls = Math.round(stepRate * stepSeconds);
      ringLat = [];
      toSrf = [];
      rings = [];
      invitesOut.clear();
      const loop = monitorEventLoopDelay({ resolution: 1 });
      loop.enable();
      const before = await answeredCount();
      const loggedBefore = rt.writer.written;
      const uas = await startAgentsSipp({
        scenario: scenario(agentScenario),
        localPort: agentPort,
        calls: stepCalls,
        timeoutSeconds: stepSeconds + 60,
        extraArgs: ['-timer_resol', '1'],
      });
      // Only while it runs: a finished sipp's result holds its whole message trace.
      const stopUas = () => uas.stop();
      stopSipps.add(stopUas);
      const started = performance.now();
      const caller = await runSipp({
        scenario: scenario(mediaOn ? 'acd-caller-media' : 'acd-caller'),
        localPort: await freePort(),
        remote: { host: '127.0.0.1', port: sipPort },
        service: DID.slice(1),
        calls: stepCalls,
        rate: stepRate,
        limit: Math.max(200, stepRate * 4),
        timeoutSeconds: stepSeconds + 60,
        extraArgs: ['-timer_resol', '1'],
      });
      const agents = await uas.finished;
      stopSipps.delete(stopUas);
      // Why a sipp failed (its unexpected messages, aborted calls), to stderr.
      for (const [who, r] of [
        ['caller', caller],
        ['agents', agents],
      ] as const) {
        if (r.code !== 0) {
          process.stderr.write(
            `${stepRate} cps: ${who} sipp exit ${r.code}\n${r.errors.slice(0, 4000)}\n`,
          );
        }
      }
      loop.disable();
      const elapsedS = (performance.now() - started) / 1000;
      await rt.callControl.settled();
      // What the call log had written by the time the step's calls were over,
      // and what it still had to write: a database that keeps falling behind
      // would fill the writer's bounded queue and drop call logs.
      const logged = rt.writer.written - loggedBefore;
      const logBacklog = rt.writer.queued;
      const flushStarted = performance.now();
      await rt.writer.flush();
      const catchUpS = (performance.now() - flushStarted) / 1000;
      // The server thread's last reports of INVITEs sent are behind srf's.
      await new Promise((r) => setTimeout(r, 100));
      const onWire = ringToWire();
      const ringCount = rings.length;
      const answered = (await answeredCount()) - before;
      const sent = inviteTimes(caller.messages, 'sent');
      const got = inviteTimes(agents.messages, 'received');
      const wire: number[] = [];
      for (const [c, t0] of sent) {
        const t1 = got.get(c);
        if (t1 !== undefined) wire.push(t1 - t0);
      }
      wire.sort((a, b) => a - b);
      const internal = [...ringLat].sort((a, b) => a - b);
      const handed = [...toSrf].sort((a, b) => a - b);
      const leaving = [...onWire].sort((a, b) => a - b);
      const failed = stepCalls - answered;
      // Clean: no failed call, the calls were handled at the offered rate
      // (queued calls are never failed, they just wait: a falling-behind step
      // is not clean), and so were their call-log events: a rate the call log
      // cannot keep up with is a burst the writer's queue absorbs, not a rate
      // the product sustains (at 1000 calls/s the queue grew ~4000 events/s).
      const cps = answered / elapsedS;
      const logKeptUp = logged >= (logged + logBacklog) * 0.85;
      const callsKeptUp = cps >= stepRate * 0.85;
      const ok = failed === 0 && caller.code === 0 && agents.code === 0 && callsKeptUp && logKeptUp;
      return {
        rate: stepRate,
        calls: stepCalls,
        answered,
        failed,
        ok,
        cps,
        callsKeptUp,
        logged,
        logBacklog,
        catchUpS,
        callerCode: caller.code,
        agentsCode: agents.code,
        internal,
        handed,
        leaving,
        ringCount,
        wire,
        loopP99: loop.percentile(99) / 1e6,
        loopMax: loop.max / 1e6,
      };
    };
    type Step = Awaited<ReturnType<typeof runStep>>;
    const fmt = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(2));
    const verdict = (st: Step) => {
      if (st.ok) return 'kept up     ';
      if (st.callerCode !== 0 || st.agentsCode !== 0) {
        return `sipp exit ${st.callerCode}/${st.agentsCode} `;
      }
      return st.callsKeptUp ? 'log behind  ' : 'fell behind ';
    };
    const stepLine = (label: string, st: Step) =>
      `${label} ${String(st.rate).padStart(4)} cps: ${st.failed === 0 ? 'ok  ' : 'FAIL'} ${verdict(st)} answered ${st.answered}/${st.calls}, ${st.cps.toFixed(1)} calls/s, ring->INVITE on the wire p50 ${fmt(percentile(st.leaving, 50))} p99 ${fmt(percentile(st.leaving, 99))} max ${fmt(st.leaving.at(-1))} ms (${st.leaving.length} of ${st.ringCount} rings; handed to srf p99 ${fmt(percentile(st.handed, 99))}, srf told sent p99 ${fmt(percentile(st.internal, 99))}), sipp->sipp p99 ${fmt(percentile(st.wire, 99))} ms, event loop delay p99 ${fmt(st.loopP99)} max ${fmt(st.loopMax)} ms, call log ${st.logged} events written and ${st.logBacklog} behind at the end (caught up ${st.catchUpS.toFixed(1)} s later)`;
    /**
     * Between steps only the dialogs must be gone (the BYEs' UDP transactions
     * linger for Timer J, 32 s, without load); at the end everything must be.
     */
    const settle = async (all = false) => {
      const deadline = Date.now() + 40_000;
      while (edge && Date.now() < deadline) {
        const s = edge.stats();
        if (s.dialogs === 0 && (!all || (s.transactions === 0 && s.timers === 0))) break;
        await new Promise((r) => setTimeout(r, 250));
      }
    };

    // 0. The machine's noise floor: the event loop's delay with no call at all
    // (on a shared VM the host's scheduling alone shows up here).
    const idleLoop = monitorEventLoopDelay({ resolution: 1 });
    idleLoop.enable();
    await new Promise((r) => setTimeout(r, 5000));
    idleLoop.disable();
    // 1. Steady load with realistic agents (answer 0.2-1 s, talk 1-3 s).
    const steady = await runStep(rate, seconds, 'acd-agent-uas');
    say(stepLine('steady', steady));
    // 2. Step ladder with short calls: the highest clean rate (0 failed
    // calls, calls and call log kept up).
    const ladder: Step[] = [];
    const rates = noLadder ? [] : ladderRates().filter((x) => x <= maxRate);
    const callsClean = (st: Step) =>
      st.failed === 0 && st.callerCode === 0 && st.agentsCode === 0 && st.callsKeptUp;
    /** Steps up through the remaining rates while `goOn` holds. */
    const climb = async (label: string, goOn: (st: Step) => boolean) => {
      while (rates.length > 0) {
        await settle();
        const st = await runStep(rates.shift() as number, stepSeconds, 'acd-agent-uas-short');
        ladder.push(st);
        say(stepLine(label, st));
        if (!goOn(st)) break;
      }
    };
    await climb('ladder', (st) => st.ok);
    const clean = ladder.filter((st) => st.ok);
    const best = clean.at(-1);
    // What the ACD sustained: the most calls/s it handled in a clean step (a
    // step offered above that still counts as clean when it kept up to 85 %).
    const sustained = Math.max(0, ...clean.map((st) => st.cps));
    // 3. Half the highest clean rate: the issue's p99 target (< 5 ms) applies here.
    let half: Step | undefined;
    let warmUp: Step | undefined;
    if (best) {
      // Wait until the ladder's last step has fully drained, its lingering
      // transactions (Timer J, 32 s) included, so that this step measures
      // steady operation at half rate, not recovery from overload.
      await settle(true);
      const halfRate = Math.max(1, Math.round(best.rate / 2));
      // One step at that rate first, measured but not judged: right after an
      // overloaded step the threads' heaps are full of what it left behind,
      // and the first major GCs stall a thread for up to ~100 ms, once.
      warmUp = await runStep(halfRate, stepSeconds, 'acd-agent-uas-short');
      say(stepLine('warm-up', warmUp));
      await settle();
      half = await runStep(halfRate, stepSeconds * 2, 'acd-agent-uas-short');
      say(stepLine('half', half));
    }
    // 4. Bursts, after the half-rate step so that it does not start from
    // their overload: if only the call log fell behind, the ladder goes on
    // until the calls themselves do (the writer's queue absorbs a burst).
    const last = ladder.at(-1);
    if (last && !last.ok && callsClean(last)) await climb('burst', callsClean);
    const burst = ladder.filter(callsClean).at(-1);
    stopObserving();
    stopWatchingWire?.();
    // 5. Soak: many more calls at half the highest clean rate, then memory.
    const soakRate = o.soakRate ?? Math.max(50, Math.round((best?.rate ?? 100) / 2));
    const soak =
      o.soakCalls > 0 && variant === 'pglite' ? await soakRun(o.soakCalls, soakRate) : null;
    await settle(true);
    global.gc?.();
    const mem = process.memoryUsage();
    const dbMemory =
      'memory' in app.store.db ? await (app.store.db as PgliteThreadDb).memory() : null;
    const appHeap = getHeapStatistics().total_physical_size;
    const resident = await residentParts(dbMemory?.wasmBytes ?? 0);
    const callsCarried = await totalCalls();
    const stats = edge?.stats();
    const halfP99 = half ? percentile(half.leaving, 99) : undefined;
    const spread = (v: number[]) =>
      `${fmt(percentile(v, 50))} / ${fmt(percentile(v, 99))} / ${fmt(v.at(-1))} ms`;
    const rows: Array<[string, string]> = [
      ['agents registered (digest)', String(registered)],
      ['SIP server thread scheduling', describeScheduling(edge)],
      [
        'no calls (5 s): event loop delay p50/p99/max',
        `${fmt(idleLoop.percentile(50) / 1e6)} / ${fmt(idleLoop.percentile(99) / 1e6)} / ${fmt(idleLoop.max / 1e6)} ms (the machine's noise floor; 1 ms timer)`,
      ],
      [
        'steady: calls offered',
        `${steady.calls} at ${rate}/s over ${seconds} s (answer 0.2-1 s, talk 1-3 s)`,
      ],
      ['steady: sipp exit codes caller / agents', `${steady.callerCode} / ${steady.agentsCode}`],
      ['steady: calls answered / failed', `${steady.answered} / ${steady.failed}`],
      ['steady: calls handled per second', steady.cps.toFixed(1)],
      ['steady: ring -> agent INVITE on the wire p50/p99/max', spread(steady.leaving)],
      ['steady: ring -> srf told INVITE sent p50/p99/max', spread(steady.internal)],
      [
        'steady: ring -> INVITE handed to srf p50/p99',
        `${fmt(percentile(steady.handed, 50))} / ${fmt(percentile(steady.handed, 99))} ms`,
      ],
      [
        'steady: caller INVITE -> agent INVITE (sipp) p50/p99',
        `${fmt(percentile(steady.wire, 50))} / ${fmt(percentile(steady.wire, 99))} ms`,
      ],
      [
        'ladder: highest rate, 0 failed, calls and call log kept up (>= 85%)',
        best
          ? `${best.rate} calls/s (${best.cps.toFixed(1)} handled/s, ${stepSeconds} s steps, short calls)`
          : 'none',
      ],
      [
        'ladder: highest burst (calls kept up, call log behind)',
        !burst
          ? 'none'
          : burst === best
            ? 'same'
            : `${burst.rate} calls/s (${burst.cps.toFixed(1)} handled/s; call log ${burst.logBacklog} events behind after ${stepSeconds} s)`,
      ],
      [
        // The rate goes in the value: each configuration has its own, and the
        // report puts the configurations side by side in one row.
        'half rate: ring -> INVITE on the wire p50/p99/max',
        half
          ? `at ${half.rate}/s: ${spread(half.leaving)} (target p99 < 5 ms: ${halfP99 !== undefined && halfP99 < 5 ? 'met' : 'NOT met'}), failed ${half.failed} (warm-up step before it: ${warmUp?.failed ?? 0})`
          : 'n/a',
      ],
      ['half rate: ring -> srf told INVITE sent p50/p99/max', half ? spread(half.internal) : 'n/a'],
      [
        'half rate: ring -> INVITE handed to srf p50/p99',
        half
          ? `${fmt(percentile(half.handed, 50))} / ${fmt(percentile(half.handed, 99))} ms`
          : 'n/a',
      ],
      [
        'kamailio stateful proxy: highest clean rate',
        kamailioCps
          ? `${kamailioCps.offered} calls/s offered, ${kamailioCps.achieved} achieved`
          : 'not measured',
      ],
      [
        'ACD / kamailio, handled calls/s (the target)',
        kamailioCps && best
          ? `${sustained.toFixed(1)} / ${kamailioCps.achieved} = ${(sustained / kamailioCps.achieved).toFixed(3)} (target >= 0.1: ${sustained / kamailioCps.achieved >= 0.1 ? 'met' : 'NOT met'})`
          : 'n/a',
      ],
      [
        'ACD / kamailio, offered rate of the highest clean steps',
        kamailioCps && best
          ? `${best.rate} / ${kamailioCps.offered} = ${(best.rate / kamailioCps.offered).toFixed(3)}`
          : 'n/a',
      ],
      [
        'database',
        pgUrl ? 'Postgres server (throwaway, local)' : 'PGlite (data folder on disk, as npm start)',
      ],
      [
        'soak: calls after the ladder',
        soak
          ? `${soak.answered} of ${soak.calls} answered at ${soakRate}/s (${soak.seconds.toFixed(0)} s)`
          : 'not run',
      ],
      ['calls carried in the run (call log)', String(callsCarried)],
      [
        'resident memory after the run (target < 600 MB after 100,000 calls on PGlite)',
        `${mb(mem.rss)}${variant === 'pglite' && callsCarried >= 100_000 ? ` (${mem.rss < 600 * 2 ** 20 ? 'met' : 'NOT met'})` : ''}`,
      ],
      [
        'JS heaps: app / PGlite thread (V8 physical size; the SIP thread heap is among the V8 heaps below)',
        dbMemory ? `${mb(appHeap)} / ${mb(dbMemory.heapBytes)}` : mb(appHeap),
      ],
      [
        'resident by kind (Linux smaps): PGlite WASM memory (of its size) / malloc heaps and arenas / other anonymous (V8 heaps, compiled code, stacks, large malloc blocks) / mapped files',
        resident
          ? `${mb(resident.wasmBytes)} (of ${dbMemory ? mb(dbMemory.wasmBytes) : '-'}) / ${mb(resident.mallocBytes)} / ${mb(resident.otherAnonymousBytes)} / ${mb(resident.fileBytes)}`
          : 'n/a',
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
      [
        'media (callers answered into media)',
        mediaOn ? `on; left: ${mediaLeft()}` : 'off (ringback)',
      ],
    ];
    return { rows, failed: steady.failed + (half?.failed ?? 0) };
  } finally {
    for (const stop of stopSipps) await stop();
    await app.close();
    await pgServer?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * The agents' sipp on the port their phones registered from. The previous
 * step's sipp has exited, but the port can still be held for a moment as it
 * goes (seen once as "Address already in use"): a few tries, half a second
 * apart.
 */
async function startAgentsSipp(opts: Parameters<typeof startSipp>[0]): Promise<SippProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startSipp(opts);
    } catch (err) {
      if (attempt >= 5 || !String(err).includes('Address already in use')) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
