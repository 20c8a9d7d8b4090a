/**
 * `npm run bench`: routing decisions per second and p99 latency of the ACD
 * engine with 10,000 agents (each a member of 2 of 50 departments, so 400
 * members per department) and 1,000 waiting calls, for each strategy.
 *
 * Two kinds of decision are timed, each as one `handle(event)` call:
 * - "call waits -> pick call": every agent is busy and 1,000 calls wait; a call
 *   ends, and the engine picks the best waiting call across the freed agent's
 *   two departments and rings the agent.
 * - "free agents -> pick agent": about half the agents are free; a call
 *   arrives and the engine picks the agent(s) from the department's index
 *   (ring-all rings every free member, about 200).
 * Answers and the events that keep the load steady are not timed.
 *
 * Usage: npm run bench [-- --write-results]   (rewrites its section of bench/RESULTS.md)
 */
import {
  AcdEngine,
  type AcdOutput,
  type MembershipConfig,
  STRATEGIES,
  type Strategy,
} from '../src/acd/index.ts';
import { seededRandom } from '../src/acd/collections/random.ts';
import { defaultAgent, defaultDepartment } from '../src/acd/model/types.ts';
import { machineLine, resultsRequested, writeResults } from './results-file.ts';

const AGENTS = 10_000;
const DEPARTMENTS = 50;
const WAITING = 1_000;
const ITERATIONS = Number(process.env.ACD_BENCH_ITERATIONS ?? 20_000);
const T0 = Date.UTC(2026, 0, 5, 8);

function build(strategy: Strategy, explain: boolean) {
  const rnd = seededRandom(99);
  const departments = Array.from({ length: DEPARTMENTS }, (_, i) =>
    defaultDepartment(`d${i}`, { strategy, ringTimeoutS: 30, wrapUpS: 0, maxMissedRings: 0 }),
  );
  const agents = Array.from({ length: AGENTS }, (_, i) =>
    defaultAgent(`agent${String(i).padStart(5, '0')}`),
  );
  const memberships: MembershipConfig[] = [];
  agents.forEach((a, i) => {
    for (const d of [i % DEPARTMENTS, (i + 17) % DEPARTMENTS]) {
      memberships.push({
        agentId: a.id,
        departmentId: `d${d}`,
        priority: 1 + Math.floor(rnd() * 100),
        callsEnabled: true,
      });
    }
  });
  return new AcdEngine(
    { departments, agents, memberships },
    { now: T0, random: seededRandom(7), explain },
  );
}

class Driver {
  now = T0;
  seq = 0;
  readonly connected: string[] = [];
  readonly rnd = seededRandom(5);
  constructor(readonly acd: AcdEngine) {}

  /** Answers the first ring of each call in `out` (untimed), recursively. */
  answerRings(out: AcdOutput): void {
    const answered = new Set<string>();
    for (const a of out.actions) {
      if (a.type === 'ring' && !answered.has(a.callId)) {
        answered.add(a.callId);
        this.connected.push(a.callId);
        this.answerRings(
          this.acd.handle({ type: 'agentAnswered', at: this.now, attemptId: a.attemptId }),
        );
      }
    }
  }

  arrive(dept = Math.floor(this.rnd() * DEPARTMENTS)): AcdOutput {
    this.now += 1;
    const id = `c${this.seq++}`;
    return this.acd.handle({
      type: 'callArrived',
      at: this.now,
      callId: id,
      departmentId: `d${dept}`,
      caller: id,
    });
  }

  waiting(): string[] {
    return this.acd.snapshot().departments.flatMap((x) => x.waiting.map((w) => w.callId));
  }

  endRandom(): AcdOutput {
    this.now += 1;
    const i = Math.floor(this.rnd() * this.connected.length);
    const id = this.connected[i] ?? '';
    this.connected[i] = this.connected[this.connected.length - 1] ?? '';
    this.connected.pop();
    return this.acd.handle({ type: 'callEnded', at: this.now, callId: id });
  }
}

function summary(samples: number[], totalMs: number) {
  const sorted = [...samples].sort((a, b) => a - b);
  const p99 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0;
  return { perSecond: samples.length / (totalMs / 1000), p99us: p99 * 1000 };
}

function run(strategy: Strategy, explain: boolean) {
  const acd = build(strategy, explain);
  const d = new Driver(acd);
  // Fill: every agent on a call, then 1,000 calls waiting.
  for (let i = 0; d.connected.length < AGENTS; i++) d.answerRings(d.arrive(i % DEPARTMENTS));
  for (let i = d.waiting().length; i < WAITING; i++) d.answerRings(d.arrive());
  for (const id of d.waiting().slice(WAITING))
    acd.handle({ type: 'callerHungUp', at: d.now, callId: id });
  const waiting = d.waiting().length;
  if (waiting !== WAITING) throw new Error(`expected ${WAITING} waiting calls, have ${waiting}`);

  // Phase 1: a call ends; the freed agent gets the best waiting call.
  const pickCall: number[] = [];
  let pickCallMs = 0;
  for (let i = 0; i < ITERATIONS; i++) {
    d.now += 1;
    const t = performance.now();
    const out = d.endRandom();
    const dt = performance.now() - t;
    pickCall.push(dt);
    pickCallMs += dt;
    d.answerRings(out);
    d.answerRings(d.arrive()); // keep 1,000 waiting
  }

  // Drain the queue, then free half of the agents.
  if (d.waiting().length !== WAITING) throw new Error('the queue did not stay at 1,000 calls');
  for (const id of d.waiting()) acd.handle({ type: 'callerHungUp', at: d.now, callId: id });
  while (d.connected.length > AGENTS / 2) d.endRandom();

  // Phase 2: a call arrives; the engine picks among the department's free agents.
  const pickAgent: number[] = [];
  let pickAgentMs = 0;
  for (let i = 0; i < ITERATIONS; i++) {
    const t = performance.now();
    const out = d.arrive();
    const dt = performance.now() - t;
    pickAgent.push(dt);
    pickAgentMs += dt;
    d.answerRings(out);
    d.answerRings(d.endRandom()); // keep the free pool steady
  }
  return { pickCall: summary(pickCall, pickCallMs), pickAgent: summary(pickAgent, pickAgentMs) };
}

const rows: string[][] = [];
const cases: [Strategy, boolean][] = [
  ...STRATEGIES.map((s): [Strategy, boolean] => [s, false]),
  ['priority', true],
];
for (const [strategy, explain] of cases) {
  const r = run(strategy, explain);
  rows.push([
    explain ? `${strategy} (explain on)` : strategy,
    Math.round(r.pickCall.perSecond).toLocaleString('en-US'),
    r.pickCall.p99us.toFixed(1),
    Math.round(r.pickAgent.perSecond).toLocaleString('en-US'),
    r.pickAgent.p99us.toFixed(1),
  ]);
}
const header = [
  'strategy',
  'call waits -> pick call (decisions/s)',
  'p99 (µs)',
  'free agents -> pick agent (decisions/s)',
  'p99 (µs)',
];
const title = `ACD engine: ${AGENTS.toLocaleString('en-US')} agents, ${DEPARTMENTS} departments (2 per agent), ${WAITING.toLocaleString('en-US')} waiting calls, ${ITERATIONS.toLocaleString('en-US')} decisions per column; Node ${process.version}`;
const table = [
  `| ${header.join(' | ')} |`,
  `|${header.map(() => '---').join('|')}|`,
  ...rows.map((r) => `| ${r.join(' | ')} |`),
].join('\n');
console.log(title);
console.log(table);
if (resultsRequested()) {
  await writeResults(
    'acd-bench',
    `${title}, \`explain: false\` unless noted.\n\nMachine: ${machineLine()}.\n\n${table}`,
  );
}
