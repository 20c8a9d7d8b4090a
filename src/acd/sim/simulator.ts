import { AcdEngine } from '../engine/engine.ts';
import type { AcdEvent } from '../model/events.ts';
import { Heap } from '../collections/heap.ts';
import { seededRandom } from '../collections/random.ts';
import { defaultAgent, defaultDepartment, type Strategy } from '../model/types.ts';

/**
 * Discrete-event simulation of one department: Poisson arrivals, exponential
 * handle times, `agents` agents, driven through the real engine (events in,
 * actions out, ticks at the engine's `nextWakeUp`). Agents answer at once
 * unless `missProbability` makes some rings fail (rollover), which Erlang C
 * does not model.
 */
export interface SimParams {
  agents: number;
  /** Offered load in erlangs (arrival rate × average handle time). */
  loadErlangs: number;
  ahtS: number;
  calls: number;
  /** Calls at the start left out of the figures (the queue starts empty). */
  warmupCalls: number;
  seed: number;
  serviceLevelS: number;
  strategy?: Strategy;
  /** Share of rings that fail after `ringS` seconds (0 = agents always answer at once). */
  missProbability?: number;
  ringS?: number;
  /** Number of consecutive batches for batch-means confidence intervals. */
  batches?: number;
}

export interface SimResult {
  calls: number;
  averageSpeedOfAnswerS: number;
  serviceLevel: number;
  probabilityOfWaiting: number;
  /** Per-batch means, in arrival order, to estimate sampling error. */
  batchAsaS: number[];
  batchServiceLevel: number[];
  batchProbabilityOfWaiting: number[];
  engineEvents: number;
}

type SimEvent =
  | { t: number; seq: number; kind: 'arrival' }
  | { t: number; seq: number; kind: 'end'; callId: string }
  | { t: number; seq: number; kind: 'ringResult'; attemptId: string; answer: boolean }
  | { t: number; seq: number; kind: 'wake' };

const START = Date.UTC(2026, 0, 5);

function exponential(random: () => number, mean: number): number {
  return -Math.log(1 - random()) * mean;
}

export function simulate(p: SimParams): SimResult {
  const arrivalsRandom = seededRandom(p.seed);
  const serviceRandom = seededRandom(p.seed ^ 0x5bd1e995);
  const ringRandom = seededRandom(p.seed ^ 0x1b873593);
  const agents = Array.from({ length: p.agents }, (_, i) => defaultAgent(`a${i}`));
  const acd = new AcdEngine(
    {
      departments: [
        defaultDepartment('sim', {
          strategy: p.strategy ?? 'longest-idle',
          ringTimeoutS: 3600,
          wrapUpS: 0,
          retryDelayS: 0,
          maxMissedRings: 0,
          serviceLevelS: p.serviceLevelS,
        }),
      ],
      agents,
      memberships: agents.map((a) => ({
        agentId: a.id,
        departmentId: 'sim',
        priority: 50,
        callsEnabled: true,
      })),
    },
    { now: START, random: seededRandom(p.seed ^ 0x27d4eb2f), explain: false },
  );
  const lambdaPerS = p.loadErlangs / p.ahtS;
  let seq = 0;
  const agenda = new Heap<SimEvent>((a, b) => a.t < b.t || (a.t === b.t && a.seq < b.seq));
  const ms = (t: number) => START + t * 1000;
  const sec = (at: number) => (at - START) / 1000;
  let arrived = 0;
  let engineEvents = 0;
  let wakeAt = Number.POSITIVE_INFINITY;
  const waits: number[] = new Array(p.calls).fill(Number.NaN);
  const index = new Map<string, number>();

  const feed = (first: AcdEvent) => {
    const pending: AcdEvent[] = [first];
    for (let e = pending.shift(); e; e = pending.shift()) {
      engineEvents++;
      const out = acd.handle(e);
      for (const a of out.actions) {
        if (a.type === 'ring') {
          const miss = (p.missProbability ?? 0) > 0 && ringRandom() < (p.missProbability ?? 0);
          if (miss || (p.ringS ?? 0) > 0) {
            agenda.push({
              t: sec(e.at) + (p.ringS ?? 0),
              seq: seq++,
              kind: 'ringResult',
              attemptId: a.attemptId,
              answer: !miss,
            });
          } else {
            pending.push({ type: 'agentAnswered', at: e.at, attemptId: a.attemptId });
          }
        } else if (a.type === 'bridge') {
          const i = index.get(a.callId);
          if (i !== undefined) waits[i] = a.waitMs / 1000;
          agenda.push({
            t: sec(e.at) + exponential(serviceRandom, p.ahtS),
            seq: seq++,
            kind: 'end',
            callId: a.callId,
          });
        }
      }
      if (out.nextWakeUp !== null && out.nextWakeUp < wakeAt) {
        wakeAt = out.nextWakeUp;
        agenda.push({ t: sec(wakeAt), seq: seq++, kind: 'wake' });
      }
    }
  };

  agenda.push({ t: exponential(arrivalsRandom, 1 / lambdaPerS), seq: seq++, kind: 'arrival' });
  for (let ev = agenda.pop(); ev; ev = agenda.pop()) {
    const at = ms(ev.t);
    switch (ev.kind) {
      case 'arrival': {
        const id = `c${arrived}`;
        index.set(id, arrived);
        arrived++;
        feed({ type: 'callArrived', at, callId: id, departmentId: 'sim', caller: id });
        if (arrived < p.calls) {
          agenda.push({
            t: ev.t + exponential(arrivalsRandom, 1 / lambdaPerS),
            seq: seq++,
            kind: 'arrival',
          });
        }
        break;
      }
      case 'end':
        index.delete(ev.callId);
        feed({ type: 'callEnded', at, callId: ev.callId });
        break;
      case 'ringResult':
        feed(
          ev.answer
            ? { type: 'agentAnswered', at, attemptId: ev.attemptId }
            : { type: 'ringFailed', at, attemptId: ev.attemptId, cause: 'no-answer' },
        );
        break;
      case 'wake':
        if (ev.t * 1000 + START >= wakeAt) {
          wakeAt = Number.POSITIVE_INFINITY;
          feed({ type: 'tick', at });
        }
        break;
    }
    // Stop once every call has been answered and ended; only the engine's daily timer remains.
    if (arrived >= p.calls && index.size === 0) break;
  }

  const measured = waits.slice(p.warmupCalls);
  const slOf = (xs: number[]) => xs.filter((w) => w <= p.serviceLevelS).length / xs.length;
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const nb = p.batches ?? 20;
  const size = Math.floor(measured.length / nb);
  const batches = Array.from({ length: nb }, (_, i) => measured.slice(i * size, (i + 1) * size));
  return {
    calls: measured.length,
    averageSpeedOfAnswerS: mean(measured),
    serviceLevel: slOf(measured),
    probabilityOfWaiting: measured.filter((w) => w > 0).length / measured.length,
    batchAsaS: batches.map(mean),
    batchServiceLevel: batches.map(slOf),
    batchProbabilityOfWaiting: batches.map((b) => b.filter((w) => w > 0).length / b.length),
    engineEvents,
  };
}

/** Mean and standard error of the mean of batch means. */
export function batchStats(xs: number[]): { mean: number; standardError: number } {
  const n = xs.length;
  const mean = xs.reduce((s, x) => s + x, 0) / n;
  const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1);
  return { mean, standardError: Math.sqrt(variance / n) };
}
