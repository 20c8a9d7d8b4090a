/**
 * `npm run sim`: drives the engine with Poisson arrivals and exponential
 * handle times for several staffing levels and prints average speed of
 * answer and service level next to the Erlang C prediction.
 * Options: --calls N (default 200000), --seed S, --aht SECONDS, --sl SECONDS.
 */
import { erlangC } from './erlang-c.ts';
import { batchStats, simulate } from './simulator.ts';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new RangeError(`--${name} must be a positive number`);
  return v;
}

const calls = option('calls', 200_000);
const seed = option('seed', 2026);
const aht = option('aht', 180);
const sl = option('sl', 20);
const scenarios: [number, number][] = [
  [1, 0.5],
  [5, 4],
  [10, 8],
  [20, 18],
  [50, 45],
];

const rows: string[][] = [];
for (const [agents, load] of scenarios) {
  const started = performance.now();
  const r = simulate({
    agents,
    loadErlangs: load,
    ahtS: aht,
    calls,
    warmupCalls: Math.floor(calls / 20),
    seed,
    serviceLevelS: sl,
  });
  const wallMs = performance.now() - started;
  const e = erlangC(agents, load, aht, sl);
  const asa = batchStats(r.batchAsaS);
  const slb = batchStats(r.batchServiceLevel);
  rows.push([
    String(agents),
    load.toFixed(1),
    String(r.calls),
    `${r.averageSpeedOfAnswerS.toFixed(2)} ± ${(1.96 * asa.standardError).toFixed(2)}`,
    e.averageSpeedOfAnswerS.toFixed(2),
    `${(100 * r.serviceLevel).toFixed(2)} ± ${(196 * slb.standardError).toFixed(2)}`,
    (100 * e.serviceLevel).toFixed(2),
    (100 * r.probabilityOfWaiting).toFixed(2),
    (100 * e.probabilityOfWaiting).toFixed(2),
    String(Math.round(r.engineEvents / (wallMs / 1000))),
  ]);
}
const header = [
  'agents',
  'load (Erl)',
  'calls',
  'ASA sim (s, 95% CI)',
  'ASA Erlang C (s)',
  `SL ${sl}s sim (%)`,
  `SL ${sl}s Erlang C (%)`,
  'P(wait) sim (%)',
  'P(wait) Erlang C (%)',
  'engine events/s',
];
console.log(
  `Erlang C check: one department, AHT ${aht} s, Poisson arrivals, exponential handle times, seed ${seed}`,
);
console.log(`| ${header.join(' | ')} |`);
console.log(`|${header.map(() => '---').join('|')}|`);
for (const r of rows) console.log(`| ${r.join(' | ')} |`);

const roll = simulate({
  agents: 10,
  loadErlangs: 8,
  ahtS: aht,
  calls: Math.min(calls, 100_000),
  warmupCalls: 5_000,
  seed,
  serviceLevelS: sl,
  missProbability: 0.2,
  ringS: 10,
});
console.log(
  `\nWith rollover (10 agents, 8 Erl, 20% of rings missed after 10 s, not modelled by Erlang C): ASA ${roll.averageSpeedOfAnswerS.toFixed(2)} s, SL ${(100 * roll.serviceLevel).toFixed(2)} %`,
);
