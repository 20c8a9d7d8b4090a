/**
 * `npm run bench:sip` — SIP load on loopback with sipp.
 *
 * Leg 1: sipp UAC → embedded server (this process) → a minimal drachtio-srf
 *        app (a child process) that answers 200; the caller hangs up.
 * Leg 2: sipp UAC → Kamailio 5.6 as a stateful proxy (tm t_relay,
 *        record-routed) → a sipp UAS that answers 200.
 * Both legs use the same caller scenario (test/edge/scenarios/uac-answer.xml)
 * and the same rate steps. For each leg the rate goes up step by step until
 * a step has a failed call or sipp cannot reach the rate; the highest clean
 * step is the result, with the INVITE→200 time (p50/p99) from sipp's
 * response-time trace (-trace_rtt, whole milliseconds) at that step.
 * Every run is bounded in calls and time; everything listens on 127.0.0.1.
 *
 * Usage: npm run bench:sip [-- --max-rate 3000 --step-seconds 4 --only embedded|kamailio
 *        --write-results]   (both legs only: rewrites its section of bench/RESULTS.md)
 * (internal: `tsx bench/sip-bench.ts --app HOST PORT SECRET` runs the srf app.)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Srf from 'drachtio-srf';
import { freePort, freePorts } from '../test/support/ports.ts';
import { type SippResult, runSipp, startSipp } from '../test/support/sipp.ts';
import { machineLine, resultsRequested, writeResults } from './results-file.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RATES = [100, 200, 300, 400, 600, 800, 1000, 1200, 1500, 1800, 2200, 2600, 3000, 3500, 4000];

interface StepResult {
  rate: number;
  calls: number;
  ok: boolean;
  achieved: number;
  p50?: number;
  p99?: number;
  note: string;
}

interface LegResult {
  name: string;
  steps: StepResult[];
  best?: StepResult;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

/** sipp's trace has whole milliseconds: 0 means below 1 ms. */
function ms(v: number | undefined): string {
  if (v === undefined) return '-';
  return v === 0 ? '<1 ms' : `${v} ms`;
}

function percentile(sorted: number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx];
}

/** INVITE→200 times (ms) from sipp's -trace_rtt CSV: `Date_ms;response_time_ms;rtd_no`. */
function rttTimes(csv: string): number[] {
  return csv
    .split('\n')
    .slice(1)
    .map((l) => Number(l.split(';')[1]))
    .filter((n) => Number.isFinite(n))
    .sort((a, b) => a - b);
}

async function step(
  remote: { host: string; port: number },
  rate: number,
  seconds: number,
): Promise<StepResult> {
  const calls = Math.max(100, Math.round(rate * seconds));
  const started = Date.now();
  const r: SippResult = await runSipp({
    scenario: 'uac-answer',
    remote,
    localPort: await freePort(),
    calls,
    rate,
    limit: Math.max(200, rate * 2),
    timeoutSeconds: Math.ceil(seconds * 4 + 20),
    traceMessages: false,
    rtt: true,
  });
  const elapsed = (Date.now() - started) / 1000;
  // The last call still lasts ~60 ms after the last INVITE; take it off the wall time.
  const achieved = Math.round(calls / Math.max(0.1, elapsed - 0.1));
  const times = rttTimes(r.rtt);
  const reached = achieved >= rate * 0.85;
  const ok = r.code === 0 && reached;
  const firstError = `${r.errors}\n${r.stderr}`
    .split('\n')
    .find((l) => /Aborting|timed out|Unexpected|Failed|error/i.test(l));
  const note =
    r.code !== 0
      ? `sipp exit ${r.code}: ${(firstError ?? '').trim().slice(0, 160)}`
      : reached
        ? ''
        : 'rate not reached';
  return {
    rate,
    calls,
    ok,
    achieved,
    p50: percentile(times, 50),
    p99: percentile(times, 99),
    note,
  };
}

async function climb(
  name: string,
  remote: { host: string; port: number },
  maxRate: number,
  seconds: number,
): Promise<LegResult> {
  const steps: StepResult[] = [];
  for (const rate of RATES.filter((r) => r <= maxRate)) {
    const s = await step(remote, rate, seconds);
    steps.push(s);
    console.log(
      `${name.padEnd(9)} ${String(rate).padStart(5)} cps: ${s.ok ? 'ok  ' : 'FAIL'} achieved ${s.achieved} cps, p50 ${s.p50 ?? '-'} ms, p99 ${s.p99 ?? '-'} ms ${s.note}`,
    );
    if (!s.ok) break;
    // Let the previous step's transactions linger out before the next one.
    await new Promise((r) => setTimeout(r, 1000));
  }
  return { name, steps, best: steps.filter((s) => s.ok).at(-1) };
}

/** The minimal srf app, run in its own process so that it has its own core. */
async function runApp(host: string, port: number, secret: string): Promise<void> {
  const srf = new Srf();
  const localSdp = [
    'v=0',
    'o=bench 1 1 IN IP4 127.0.0.1',
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    'm=audio 40000 RTP/AVP 0',
    '',
  ].join('\r\n');
  srf.on('connect', (err: Error) => {
    if (err) {
      console.error(`app: ${err.message}`);
      process.exit(1);
    }
    console.log('ready');
  });
  srf.on('error', () => undefined);
  srf.invite((req, res) => {
    srf.createUAS(req, res, { localSdp }).catch(() => undefined);
  });
  srf.connect({ host, port, secret });
}

async function spawnChild(
  cmd: string,
  args: string[],
  readyText: RegExp | null,
  label: string,
): Promise<ChildProcess> {
  const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  if (readyText) {
    const deadline = Date.now() + 20_000;
    while (!readyText.test(out)) {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`${label} did not start:\n${out.slice(-2000)}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return child;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

async function embeddedLeg(maxRate: number, seconds: number): Promise<LegResult> {
  const { startSipServer } = await import('../src/edge/index.ts');
  const [sipPort, controlPort] = (await freePorts(2)) as [number, number];
  const secret = randomBytes(12).toString('hex');
  const server = await startSipServer({
    listen: [{ protocol: 'udp', host: '127.0.0.1', port: sipPort }],
    control: { host: '127.0.0.1', port: controlPort },
    secret,
  });
  const app = await spawnChild(
    process.execPath,
    ['--import', 'tsx', 'bench/sip-bench.ts', '--app', '127.0.0.1', String(controlPort), secret],
    /ready/,
    'srf app',
  );
  try {
    return await climb('embedded', { host: '127.0.0.1', port: sipPort }, maxRate, seconds);
  } finally {
    await stopChild(app);
    await server.close();
  }
}

async function kamailioLeg(maxRate: number, seconds: number): Promise<LegResult> {
  const [proxyPort, uasPort] = (await freePorts(2)) as [number, number];
  const uas = await startSipp({
    scenario: 'bench-uas',
    localPort: uasPort,
    calls: 1_000_000,
    rate: 1,
    timeoutSeconds: 600,
    traceMessages: false,
  });
  const kamailio = await spawnChild(
    'kamailio',
    [
      '-f',
      path.join(ROOT, 'bench/kamailio/kamailio.cfg'),
      '-DD',
      '-E',
      // 64 MB of shared memory (the default) runs out near 600 calls/s: tm answers 500.
      '-m',
      '512',
      '-M',
      '32',
      '-A',
      `BENCH_LISTEN=udp:127.0.0.1:${proxyPort}`,
      '-A',
      `BENCH_NEXT_HOP="sip:127.0.0.1:${uasPort}"`,
    ],
    null,
    'kamailio',
  );
  try {
    // Kamailio is up once its UDP port is taken.
    const { udpPortInUse } = await import('../test/support/ports.ts');
    const deadline = Date.now() + 10_000;
    while (!(await udpPortInUse(proxyPort))) {
      if (kamailio.exitCode !== null || Date.now() > deadline)
        throw new Error('kamailio did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
    return await climb('kamailio', { host: '127.0.0.1', port: proxyPort }, maxRate, seconds);
  } finally {
    await stopChild(kamailio);
    await uas.stop();
  }
}

function table(legs: LegResult[]): string {
  const rows = [['', 'max calls/s (no failed call)', 'p50 INVITE→200', 'p99 INVITE→200']];
  for (const l of legs) {
    rows.push([
      l.name,
      l.best ? `${l.best.rate} (achieved ${l.best.achieved})` : 'none',
      ms(l.best?.p50),
      ms(l.best?.p99),
    ]);
  }
  const [emb, kam] = [
    legs.find((l) => l.name === 'embedded'),
    legs.find((l) => l.name === 'kamailio'),
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  const lines = rows.map((r) => `| ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`);
  lines.splice(1, 0, `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  if (emb?.best && kam?.best) {
    lines.push(
      '',
      `ratio embedded / kamailio: ${(emb.best.rate / kam.best.rate).toFixed(2)} (target ≥ 0.33)`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  if (process.argv.includes('--app')) {
    const i = process.argv.indexOf('--app');
    await runApp(
      process.argv[i + 1] ?? '127.0.0.1',
      Number(process.argv[i + 2]),
      process.argv[i + 3] ?? '',
    );
    return;
  }
  const maxRate = Number(arg('max-rate', '4000'));
  const seconds = Number(arg('step-seconds', '4'));
  const only = arg('only', '');
  const title = `SIP benchmark on loopback: rate steps up to ${maxRate} cps, ${seconds} s per step, UDP, sipp ${'3.6.1'}`;
  console.log(title);
  const legs: LegResult[] = [];
  if (only !== 'kamailio') legs.push(await embeddedLeg(maxRate, seconds));
  if (only !== 'embedded') legs.push(await kamailioLeg(maxRate, seconds));
  console.log(`\n${table(legs)}`);
  if (resultsRequested()) {
    if (only !== '') {
      console.log('\nbench/RESULTS.md not written: its table compares both legs (drop --only)');
      return;
    }
    const failedAt = legs
      .map((l) => {
        const fail = l.steps.find((s) => !s.ok);
        return fail
          ? `${l.name} failed first at ${fail.rate} calls/s (${fail.note.match(/^sipp exit \d+/)?.[0] ?? fail.note})`
          : null;
      })
      .filter((x) => x !== null);
    await writeResults(
      'sip-bench',
      `${title}.\n\nMachine: ${machineLine()}.\n\n${table(legs)}\n\n${failedAt.join('; ')}.`,
    );
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
