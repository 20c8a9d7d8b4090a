/**
 * `npm run bench:media` — concurrent callers on music on hold in the embedded
 * media server's RTP engine.
 *
 * N channels of one RtpEngine each play the same looped list of WAV tracks
 * (decoded once, shared) to real UDP receivers in another process
 * (bench/media/receiver.ts), which time every packet per stream. N goes up
 * step by step; a step is clean when the p99 of |packet spacing - 20 ms| is
 * within 2 ms and no packet is lost. The highest clean N is printed, with the
 * engine process's CPU per stream.
 *
 * Usage: npm run bench:media [-- --steps 100,200,300,400,500,600 --seconds 4
 *        --worker (engine on a worker thread) --busy-ms 0 (block the main
 *        thread this long every 100 ms, standing in for the app's own work)
 *        --realtime 20 (the default: SCHED_RR for the engine's thread and the
 *        receivers, as FreeSWITCH's service runs; needs CAP_SYS_NICE or
 *        RLIMIT_RTPRIO, else it says what it got; 0 = do not ask)
 *        --write-results (rewrites its section of bench/RESULTS.md)]
 *
 * The npm script runs Node with --single-threaded-gc (the receivers too): a
 * real-time thread that waits for V8's GC helper threads, which are not
 * real-time, waits as long as the machine's busiest normal thread; with the
 * helpers off the measured p99 deviation dropped from 12 ms to about 3 ms.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { pseudoSpeech, tone, writeWav } from '../test/support/audio.ts';
import { EngineHost, type HostStats } from './media/engine-host.ts';
import type { ReceiverReport } from './media/receiver.ts';
import { machineLine, resultsRequested, writeResults } from './results-file.ts';

const STREAMS_PER_SOCKET = 50;
const TARGET_MS = 2;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}
const flag = (name: string) => process.argv.includes(`--${name}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The engine, on this thread or a worker, behind one async interface. */
interface Host {
  open(n: number, targets: number[], music: string[]): Promise<void>;
  mark(): Promise<void>;
  stats(): Promise<HostStats>;
  closeAll(): Promise<{ portsInUse: number; timers: number }>;
  prioritise(priority: number): Promise<string>;
  end(): Promise<void>;
}

function localHost(ports: { min: number; max: number }): Host {
  const h = new EngineHost(ports);
  return {
    open: (n, t, m) => h.open(n, t, m),
    mark: async () => h.mark(),
    stats: async () => h.stats(),
    closeAll: () => h.closeAll(),
    prioritise: (p) => h.prioritise(p),
    end: async () => undefined,
  };
}

function workerHost(ports: { min: number; max: number }): Host {
  const worker = new Worker(new URL('./media/engine-worker-boot.mjs', import.meta.url), {
    workerData: { ports },
  });
  let next = 0;
  const pending = new Map<number, (r: unknown) => void>();
  worker.on('message', (m: { id: number; result: unknown }) => {
    pending.get(m.id)?.(m.result);
    pending.delete(m.id);
  });
  const call = <T>(method: string, ...args: unknown[]) =>
    new Promise<T>((resolve) => {
      const id = next++;
      pending.set(id, resolve as (r: unknown) => void);
      worker.postMessage({ id, method, args });
    });
  return {
    open: (n, t, m) => call('open', n, t, m),
    mark: () => call('mark'),
    stats: () => call('stats'),
    closeAll: () => call('closeAll'),
    prioritise: (p) => call('prioritise', p),
    end: async () => {
      await worker.terminate();
    },
  };
}

function startReceiver(): ChildProcess {
  return fork(fileURLToPath(new URL('./media/receiver.ts', import.meta.url)), [], {
    execArgv: ['--single-threaded-gc', '--import', 'tsx'],
    stdio: 'inherit',
  });
}

function ask<T>(child: ChildProcess, msg: object, key: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: Record<string, unknown>) => {
      if (key in m) {
        child.off('message', on);
        resolve(m[key] as T);
      }
    };
    child.on('message', on);
    child.send(msg);
  });
}

/** Blocks this thread `ms` every 100 ms (the app's work, when the engine shares its thread). */
function startBusy(ms: number): () => void {
  if (ms <= 0) return () => undefined;
  const t = setInterval(() => {
    const until = performance.now() + ms;
    while (performance.now() < until) {
      // busy
    }
  }, 100);
  return () => clearInterval(t);
}

function musicFiles(dir: string): string[] {
  const tracks = [
    Int16Array.from(pseudoSpeech(4000, 3), (s, i) => s / 2 + tone([440], 4000)[i]! / 2),
    pseudoSpeech(5000, 11),
    tone([392, 494, 587], 3000),
  ];
  return tracks.map((t, i) => {
    const path = join(dir, `track-${i}.wav`);
    writeWav(path, t);
    return path;
  });
}

interface Step {
  n: number;
  report: ReceiverReport;
  host: HostStats;
  clean: boolean;
}

async function main(): Promise<void> {
  const steps = arg('steps', '100,200,300,400,500,600,700,800').split(',').map(Number);
  const seconds = Number(arg('seconds', '4'));
  const busyMs = Number(arg('busy-ms', '0'));
  const useWorker = flag('worker');
  const realtime = Number(arg('realtime', '20'));
  const dir = mkdtempSync(join(tmpdir(), 'media-bench-'));
  const music = musicFiles(dir);
  const maxN = Math.max(...steps);
  const ports = { min: 40_000, max: 40_000 + 2 * maxN + 199 };

  const load = loadavg()
    .map((v) => v.toFixed(1))
    .join(' ');
  console.log(
    `media bench: engine on ${useWorker ? 'a worker thread' : 'the main thread'}, main thread busy ${busyMs} ms per 100 ms, ${seconds} s per step; load average before: ${load}`,
  );

  const receiver = startReceiver();
  const targets = await ask<number[]>(
    receiver,
    { cmd: 'listen', sockets: Math.ceil(maxN / STREAMS_PER_SOCKET), realtime },
    'ports',
  );
  const host = useWorker ? workerHost(ports) : localHost(ports);
  if (realtime > 0)
    console.log(
      `engine thread scheduling: ${await host.prioritise(realtime)} (asked for SCHED_RR ${realtime}; the receivers too)`,
    );
  const stopBusy = startBusy(busyMs);
  const results: Step[] = [];
  try {
    for (const n of steps) {
      await host.open(n, targets, music);
      await sleep(1000); // warm-up: files loaded, receivers see every stream
      await ask(receiver, { cmd: 'start' }, 'started');
      await host.mark();
      await sleep(seconds * 1000);
      const hostStats = await host.stats();
      const report = await ask<ReceiverReport>(receiver, { cmd: 'stop' }, 'report');
      const left = await host.closeAll();
      const clean = report.streams === n && report.lost === 0 && report.deviationP99 <= TARGET_MS;
      results.push({ n, report, host: hostStats, clean });
      const cpuPerStream = (100 * hostStats.cpuMs) / hostStats.wallMs / n;
      console.log(
        `N=${String(n).padStart(4)}  spacing p1/p50/p99/max ${report.gapP1.toFixed(2)}/${report.gapP50.toFixed(2)}/${report.gapP99.toFixed(2)}/${report.gapMax.toFixed(1)} ms` +
          `  |dev| p99 ${report.deviationP99.toFixed(2)} ms  lost ${report.lost}/${report.packets + report.lost}` +
          `  ticks late >2 ms ${hostStats.lateTicks}/${hostStats.ticks}, skipped ${hostStats.skippedTicks}  CPU ${((100 * hostStats.cpuMs) / hostStats.wallMs).toFixed(0)}% (${cpuPerStream.toFixed(3)}% per stream)` +
          `  ${clean ? 'clean' : 'NOT clean'}  [ports left ${left.portsInUse}, timers ${left.timers}]`,
      );
      if (!clean) break;
      await sleep(500);
    }
  } finally {
    stopBusy();
    await host.end();
    receiver.send({ cmd: 'exit' });
    rmSync(dir, { recursive: true, force: true });
  }
  const best = results.filter((r) => r.clean).at(-1);
  const loadAfter = loadavg()
    .map((v) => v.toFixed(1))
    .join(' ');
  if (best) {
    const cpu = (100 * best.host.cpuMs) / best.host.wallMs / best.n;
    console.log(
      `highest clean: ${best.n} concurrent streams (p99 |spacing - 20 ms| ${best.report.deviationP99.toFixed(2)} ms, no loss), CPU ${cpu.toFixed(3)}% of a core per stream; load average after: ${loadAfter}`,
    );
  } else {
    console.log(
      `no clean step (first step: ${steps[0]} streams); load average after: ${loadAfter}`,
    );
  }
  if (resultsRequested()) await writeResults('media-bench', resultsTable(results, best, seconds));
}

/** The section of bench/RESULTS.md: one row per step, then the verdict. */
function resultsTable(results: Step[], best: Step | undefined, seconds: number): string {
  const rows = results.map((r) => {
    const cpu = (100 * r.host.cpuMs) / r.host.wallMs;
    return `| ${r.n} | ${r.report.gapP50.toFixed(2)} / ${r.report.gapP99.toFixed(2)} / ${r.report.gapMax.toFixed(1)} | ${r.report.deviationP99.toFixed(2)} | ${r.report.lost} | ${cpu.toFixed(0)}% (${(cpu / r.n).toFixed(3)}% per stream) | ${r.clean ? 'clean' : 'NOT clean'} |`;
  });
  const verdict = best
    ? `Highest clean count: **${best.n}** concurrent streams (target: at least 300).`
    : 'No clean step.';
  return [
    `Music on hold to concurrent callers, ${seconds} s per step, G.711 20 ms packets; clean = every stream received, no packet lost, p99 of |spacing - 20 ms| within ${TARGET_MS} ms.`,
    '',
    `Machine: ${machineLine()}.`,
    '',
    '| streams | spacing p50 / p99 / max (ms) | p99 \\|spacing - 20 ms\\| (ms) | lost | engine CPU | verdict |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
    verdict,
  ].join('\n');
}

await main();
