/**
 * `npm run bench:acd` — the whole product under call load, over loopback.
 *
 *   sipp callers (steady rate) ─▶ embedded SIP server ─▶ srf ─▶ call control
 *     + ACD engine (longest-idle) ─▶ INVITE ─▶ sipp agents (50 registered)
 *
 * The app is started exactly as `npm start` does (startApp with telephony and productionLayers,
 * in-memory PGlite, call log written), configured through its HTTP API. The
 * agents REGISTER with digest auth (one sipp run per agent, all from the same
 * port) and one sipp UAS answers for all of them on the
 * port they registered from: ringing, answer after 200-1000 ms, talk 1-3 s,
 * then the agent hangs up.
 *
 * Three parts, one app, one run (Kamailio runs before the app, alone):
 *
 * 1. Kamailio anchor: `bench/sip-bench.ts --only kamailio` (stateful proxy,
 *    2 s rate steps up to 4000 calls/s) in a child process; its highest clean
 *    rate is the yardstick (target: the ACD handles at least a tenth of it).
 * 2. Steady load (`--rate`, `--seconds`) with realistic agents: answer after
 *    200-1000 ms, talk 1-3 s.
 * 3. Step ladder (`--step-seconds`, up to `--max-rate`) with short calls
 *    (answer 2-10 ms, talk 5-25 ms: 50 agents then free up for ~2000 calls/s,
 *    so the ACD, not the agents' talk time, is what the ladder loads): the
 *    highest rate with 0 failed calls whose calls and call-log events are
 *    both handled at >= 85% of the offered rate (queued calls wait rather
 *    than fail; a call log that falls behind is a burst the writer's bounded
 *    queue absorbs, not a sustainable rate); then half that rate: one warm-up
 *    step, then the measured step (twice as long). If only the call log fell
 *    behind, the ladder then goes on until the calls do: the burst capacity.
 *
 * Latency, two ways: inside the app, from call control starting the engine's
 * `ring` (a call and a free eligible agent met; its `agent.ringing` event) to
 * srf reporting the agent's INVITE sent (`ring-latency.ts`; also the part
 * until the INVITE is handed to srf); and sipp-to-sipp, from the caller's INVITE
 * leaving sipp to the agent's INVITE arriving at sipp (both sipp message
 * traces, matched by a per-call caller number). Also reported: failed calls
 * (sipp exit codes, answered calls in the call log), memory after the run,
 * and what is left afterwards (SIP dialogs/transactions/timers in the server,
 * calls/attempts/engine timer in call control).
 *
 * Each part runs in three configurations, one after the other in the same
 * invocation, and the report puts them side by side: PGlite with callers
 * hearing ringback (media off), PGlite with callers answered into the
 * embedded media server (welcome and music, then re-INVITEd to the agent who
 * answers), and a throwaway Postgres server opened as production opens it
 * (pool, routing lease, change feed). PGlite keeps its data folder on disk
 * as `npm start` does. The PGlite media-off run then carries a soak of
 * `--soak-calls` more calls before memory is read.
 *
 * Usage: npm run bench:acd [-- --rate 10 --seconds 30 --agents 50
 *        --step-seconds 5 --max-rate 3000 --ladder 300,400 --no-ladder --no-kamailio
 *        --variants pglite,pglite-media,postgres  (which runs, in that order; default all)
 *        --soak-calls 100000    (0 = no soak)
 *        --soak-rate 150        (calls/s; default half the highest clean rate)
 *        --sip-in-app-thread    (the SIP server on the app's thread, for comparison)
 *        --realtime-priority 0  (the SIP thread's SCHED_RR priority; 0 = short slices only)
 *        --write-results]       (rewrites its section of bench/RESULTS.md)
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { kamailioAnchor } from './acd-load/kamailio-anchor.ts';
import { arg, flag, type Variant, VARIANT_TITLES, variantsArg } from './acd-load/options.ts';
import { runVariant, type VariantResult } from './acd-load/variant.ts';
import { machineLine, resultsRequested, writeResults } from './results-file.ts';

const RESULT_PREFIX = 'VARIANT-RESULT ';

/**
 * Each configuration runs in a process of its own (this script again, with
 * `--variant-child`), so that one run's memory does not show in the next.
 */
async function runChild(variant: Variant, kamailio: string): Promise<VariantResult> {
  const args = [
    ...process.execArgv,
    fileURLToPath(import.meta.url),
    ...process.argv.slice(2),
    '--variant-child',
    variant,
    '--kamailio-cps',
    kamailio,
  ];
  // The malloc setting `npm start` and the image give the app (docs/configuration.md, "Memory").
  const env = { ...process.env, MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2' };
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env });
  let result: VariantResult | null = null;
  let pending = '';
  child.stdout.on('data', (d: Buffer) => {
    pending += d.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (line.startsWith(RESULT_PREFIX)) result = JSON.parse(line.slice(RESULT_PREFIX.length));
      else process.stdout.write(`${line}\n`);
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (!result) throw new Error(`the ${variant} run ended (code ${code}) without a result`);
  return result;
}

function childOptions(kamailioCps: { offered: number; achieved: number } | null) {
  return {
    rate: arg('rate', 10),
    seconds: arg('seconds', 30),
    agentCount: arg('agents', 50),
    stepSeconds: arg('step-seconds', 5),
    maxRate: arg('max-rate', 3000),
    noLadder: flag('no-ladder'),
    sipInAppThread: flag('sip-in-app-thread'),
    soakCalls: arg('soak-calls', 100_000, true),
    soakRate: process.argv.includes('--soak-rate') ? arg('soak-rate', 1) : null,
    kamailioCps,
  };
}

async function child(variant: Variant): Promise<void> {
  const k = (process.argv[process.argv.indexOf('--kamailio-cps') + 1] ?? '').split(',').map(Number);
  const kamailioCps =
    k.length === 2 && k.every((n) => n > 0)
      ? { offered: k[0] as number, achieved: k[1] as number }
      : null;
  const result = await runVariant(variant, childOptions(kamailioCps));
  process.stdout.write(`\n${RESULT_PREFIX}${JSON.stringify(result)}\n`);
}

async function main(): Promise<void> {
  const variants = variantsArg();
  childOptions(null); // the options are checked before anything runs
  // Kamailio first, alone on the machine, so the two do not compete for the 2 cores.
  const kamailioCps = flag('no-kamailio') ? null : await kamailioAnchor();
  const kamailio = kamailioCps ? `${kamailioCps.offered},${kamailioCps.achieved}` : 'none';
  const results: VariantResult[] = [];
  for (const variant of variants) results.push(await runChild(variant, kamailio));
  // One row per measure, one column per configuration.
  const measures = results[0]?.rows.map(([k]) => k) ?? [];
  const table = [
    `| measure | ${variants.map((v) => VARIANT_TITLES[v]).join(' | ')} |`,
    `|---|${variants.map(() => '---').join('|')}|`,
    ...measures.map(
      (m) =>
        `| ${m} | ${results.map((r) => r.rows.find(([k]) => k === m)?.[1] ?? '-').join(' | ')} |`,
    ),
  ];
  process.stdout.write(`\nACD load test (${new Date().toISOString()})\n${table.join('\n')}\n`);
  if (resultsRequested()) {
    await writeResults('acd-load', `Machine: ${machineLine()}.\n\n${table.join('\n')}`);
  }
  const failed = results.reduce((n, r) => n + r.failed, 0);
  if (failed > 0) {
    process.stdout.write(`\nFAILED: ${failed} calls not answered\n`);
    process.exitCode = 1;
  }
}

const childIndex = process.argv.indexOf('--variant-child');
if (childIndex >= 0) await child(process.argv[childIndex + 1] as Variant);
else await main();
