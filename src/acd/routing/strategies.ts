import type { Strategy } from '../model/types.ts';

/**
 * Routing strategies. Each department keeps its free agents in an ordered
 * set sorted by the strategy's key (smaller first, ties by agent id), so an
 * ordered strategy takes the first agent not yet tried for the call, random
 * picks by rank, round-robin takes the first agent after the last one offered
 * a call, and ring-all takes them all. Keys only change while an agent is not
 * free (answered counts, talk time, idle start), except the number of active
 * calls of multi-call agents; the engine then re-files the agent.
 */
export const STRATEGY_RULES: Readonly<Record<Strategy, string>> = {
  random: 'a free eligible agent chosen uniformly at random (injected random source)',
  priority:
    'the free eligible agent with the best department priority (1 highest ... 100 lowest); ties by longest idle',
  'ring-all':
    'every free eligible agent at once; the first to answer takes the call, the other rings are cancelled',
  'round-robin':
    'agents in id order: the first free eligible agent after the one offered the previous call of the department (wraps around)',
  'longest-idle':
    'the free eligible agent idle for the longest time (earliest end of last call / wrap-up / pause)',
  'fewest-calls':
    'the free eligible agent who answered the fewest calls today; ties by longest idle',
  'least-talk-time': 'the free eligible agent with the least talk time today; ties by longest idle',
  'least-busy':
    'the free eligible agent with the fewest active calls (agents taking several calls); ties by longest idle',
  'most-busy':
    'the free eligible agent with the most active calls still below their maximum (keeps others free); ties by longest idle',
};

/** What a key is built from. */
export interface RankFacts {
  idleSince: number;
  answeredToday: number;
  talkMsToday: number;
  activeCalls: number;
  /** Membership priority in this department, 1..100. */
  priority: number;
}

/** An agent filed in a department's free index under a snapshot of its key. */
export interface FreeEntry<A> {
  readonly agent: A;
  readonly id: string;
  readonly k1: number;
  readonly k2: number;
}

export function strategyKey(strategy: Strategy, f: RankFacts): [number, number] {
  switch (strategy) {
    case 'priority':
      return [f.priority, f.idleSince];
    case 'longest-idle':
      return [f.idleSince, 0];
    case 'fewest-calls':
      return [f.answeredToday, f.idleSince];
    case 'least-talk-time':
      return [f.talkMsToday, f.idleSince];
    case 'least-busy':
      return [f.activeCalls, f.idleSince];
    case 'most-busy':
      return [-f.activeCalls, f.idleSince];
    case 'random':
    case 'ring-all':
    case 'round-robin':
      return [0, 0];
  }
}

export function compareEntries<A>(a: FreeEntry<A>, b: FreeEntry<A>): number {
  if (a.k1 !== b.k1) return a.k1 < b.k1 ? -1 : 1;
  if (a.k2 !== b.k2) return a.k2 < b.k2 ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Human-readable key, for decision explanations. */
export function describeKey(strategy: Strategy, f: RankFacts, now: number): string {
  const idle = `idle ${Math.round((now - f.idleSince) / 1000)}s`;
  switch (strategy) {
    case 'priority':
      return `priority ${f.priority}, ${idle}`;
    case 'longest-idle':
      return idle;
    case 'fewest-calls':
      return `${f.answeredToday} calls today, ${idle}`;
    case 'least-talk-time':
      return `${Math.round(f.talkMsToday / 1000)}s talk today, ${idle}`;
    case 'least-busy':
    case 'most-busy':
      return `${f.activeCalls} active calls, ${idle}`;
    case 'random':
      return 'not drawn';
    case 'round-robin':
      return 'not next in turn';
    case 'ring-all':
      return 'ringing all';
  }
}
