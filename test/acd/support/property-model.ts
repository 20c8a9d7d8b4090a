import fc from 'fast-check';
import {
  defaultAgent,
  defaultDepartment,
  type MembershipConfig,
  type Presence,
  type RingFailure,
  STRATEGIES,
} from '../../../src/acd/index.ts';

/** Random configurations and random operations of call control for the property tests. */

const AGENTS = 6;
export const DEPTS = 3;

export const configArb = fc.record({
  strategies: fc.array(fc.constantFrom(...STRATEGIES), { minLength: DEPTS, maxLength: DEPTS }),
  member: fc.array(fc.array(fc.boolean(), { minLength: DEPTS, maxLength: DEPTS }), {
    minLength: AGENTS,
    maxLength: AGENTS,
  }),
  priorities: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: AGENTS, maxLength: AGENTS }),
  maxCalls: fc.array(fc.constantFrom(1, 1, 2), { minLength: AGENTS, maxLength: AGENTS }),
  wrapUpS: fc.constantFrom(0, 3),
  retryDelayS: fc.constantFrom(0, 4),
  maxMissedRings: fc.constantFrom(0, 1, 2),
  stickyWindowS: fc.constantFrom(0, 600),
  maxWaitS: fc.constantFrom(null, 20),
  maxQueueLength: fc.constantFrom(null, 1, 2),
  overflow: fc.boolean(),
  seed: fc.integer(),
});

export const opArb = fc.oneof(
  {
    weight: 7,
    arbitrary: fc.record({
      op: fc.constant('arrive' as const),
      dept: fc.nat(DEPTS - 1),
      vip: fc.boolean(),
      caller: fc.nat(4),
    }),
  },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('answer' as const), pick: fc.nat() }) },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('fail' as const),
      pick: fc.nat(),
      cause: fc.constantFrom<RingFailure>('no-answer', 'busy', 'declined', 'unreachable'),
    }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('end' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('hangup' as const), pick: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('status' as const),
      agent: fc.nat(AGENTS - 1),
      status: fc.constantFrom<Presence>('available', 'available', 'away', 'break', 'offline'),
      breakS: fc.integer({ min: 1, max: 30 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('devices' as const),
      agent: fc.nat(AGENTS - 1),
      n: fc.nat(2),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('toggle' as const),
      agent: fc.nat(AGENTS - 1),
      dept: fc.nat(DEPTS - 1),
      on: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('wrapUpEnded' as const), agent: fc.nat(AGENTS - 1) }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('late' as const), pick: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('strategy' as const),
      dept: fc.nat(DEPTS - 1),
      strategy: fc.constantFrom(...STRATEGIES),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('removeAgent' as const), agent: fc.nat(AGENTS - 1) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('advance' as const),
      s: fc.integer({ min: 1, max: 25 }),
    }),
  },
);

export type Cfg = typeof configArb extends fc.Arbitrary<infer C> ? C : never;
export type Op = typeof opArb extends fc.Arbitrary<infer O> ? O : never;

export function build(c: Cfg) {
  const departments = c.strategies.map((strategy, i) =>
    defaultDepartment(`d${i}`, {
      strategy,
      ringTimeoutS: 10,
      wrapUpS: c.wrapUpS,
      retryDelayS: c.retryDelayS,
      maxMissedRings: c.maxMissedRings,
      stickyWindowS: c.stickyWindowS,
      maxWaitS: c.maxWaitS,
      maxWaitAction: c.overflow
        ? { kind: 'overflow', departmentId: `d${(i + 1) % DEPTS}` }
        : { kind: 'voicemail' },
      maxQueueLength: c.maxQueueLength,
      queueFullAction: c.overflow
        ? { kind: 'overflow', departmentId: `d${(i + 1) % DEPTS}` }
        : { kind: 'hangup' },
      announceIntervalS: 15,
    }),
  );
  const agents = c.maxCalls.map((m, i) => defaultAgent(`a${i}`, { maxConcurrentCalls: m }));
  const memberships: MembershipConfig[] = [];
  c.member.forEach((row, i) => {
    row.forEach((isMember, j) => {
      if (isMember)
        memberships.push({
          agentId: `a${i}`,
          departmentId: `d${j}`,
          priority: c.priorities[i] ?? 50,
          callsEnabled: true,
        });
    });
  });
  return { departments, agents, memberships };
}
