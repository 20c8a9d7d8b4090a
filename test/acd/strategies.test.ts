import { describe, expect, it } from 'vitest';
import { AcdEngine, defaultAgent, defaultDepartment } from '../../src/acd/index.ts';
import { seededRandom } from '../../src/acd/collections/random.ts';
import { agentOf, arrive, ofType, oneDepartment, ringsOf, serve, T0 } from './helpers.ts';

const at = (s: number) => T0 + s * 1000;

describe('strategy random', () => {
  it('spreads calls evenly over the free agents', () => {
    const acd = oneDepartment('random', 4, {}, { seed: 42 });
    const counts = new Map<string, number>();
    for (let i = 0; i < 4000; i++) {
      const agent = serve(acd, `c${i}`, i, 0);
      counts.set(agent, (counts.get(agent) ?? 0) + 1);
    }
    // Binomial(4000, 1/4): sd = sqrt(4000 * 0.25 * 0.75) ≈ 27; allow 5 sd.
    for (const id of ['a1', 'a2', 'a3', 'a4']) {
      expect(Math.abs((counts.get(id) ?? 0) - 1000)).toBeLessThan(137);
    }
  });

  it('is reproducible from the injected random source', () => {
    const run = () => {
      const acd = oneDepartment('random', 5, {}, { seed: 9 });
      return Array.from({ length: 50 }, (_, i) => serve(acd, `c${i}`, i, 0));
    };
    expect(run()).toEqual(run());
    expect(new Set(run()).size).toBe(5);
  });
});

describe('strategy priority', () => {
  it('rings the best priority first and rolls over in priority order', () => {
    const acd = oneDepartment('priority', 3, {}, { priorities: [30, 1, 20] });
    const r1 = ringsOf(arrive(acd, 'c1'))[0];
    expect(r1?.agentId).toBe('a2');
    const r2 = ringsOf(
      acd.handle({
        type: 'ringFailed',
        at: at(1),
        attemptId: r1?.attemptId ?? '',
        cause: 'no-answer',
      }),
    )[0];
    expect(r2?.agentId).toBe('a3');
    const r3 = ringsOf(
      acd.handle({
        type: 'ringFailed',
        at: at(2),
        attemptId: r2?.attemptId ?? '',
        cause: 'declined',
      }),
    )[0];
    expect(r3?.agentId).toBe('a1');
    const skipped = r3?.decision?.skipped.map((s) => [s.agentId, s.reason]);
    expect(skipped).toEqual([
      ['a2', 'already-tried'],
      ['a3', 'already-tried'],
    ]);
  });

  it('breaks ties by longest idle', () => {
    const acd = oneDepartment('priority', 3, {}, { priorities: [5, 5, 9] });
    // a1 takes a call and becomes free later than a2: a2 has been idle longer.
    expect(serve(acd, 'c1', 0, 10)).toBe('a1');
    expect(serve(acd, 'c2', 20, 1)).toBe('a2');
    // a2 became idle at 21 s, a1 at 10 s: a1 now idle longest.
    expect(serve(acd, 'c3', 30, 1)).toBe('a1');
  });

  it('explains the outranked agents with their priority', () => {
    const acd = oneDepartment('priority', 2, {}, { priorities: [1, 7] });
    const d = ringsOf(arrive(acd, 'c1'))[0]?.decision;
    expect(d?.chosen).toEqual(['a1']);
    expect(d?.candidates).toEqual(['a1', 'a2']);
    expect(d?.skipped).toEqual([
      { agentId: 'a2', reason: 'outranked', detail: 'priority 7, idle 0s' },
    ]);
  });
});

describe('strategy ring-all', () => {
  it('rings every free agent at once and cancels the rest on the first answer', () => {
    const acd = oneDepartment('ring-all', 3);
    const rings = ringsOf(arrive(acd, 'c1'));
    expect(rings.map((r) => r.agentId).sort()).toEqual(['a1', 'a2', 'a3']);
    const out = acd.handle({
      type: 'agentAnswered',
      at: at(2),
      attemptId: rings[1]?.attemptId ?? '',
    });
    expect(ofType(out, 'bridge')).toHaveLength(1);
    const cancels = ofType(out, 'cancelRing');
    expect(cancels.map((c) => c.agentId).sort()).toEqual(['a1', 'a3']);
    expect(cancels.every((c) => c.reason === 'answered-elsewhere')).toBe(true);
  });

  it('never offers an agent two calls at once: a second call waits for a free agent', () => {
    const acd = oneDepartment('ring-all', 2);
    const first = ringsOf(arrive(acd, 'c1'));
    expect(first).toHaveLength(2);
    expect(ringsOf(arrive(acd, 'c2', 1))).toHaveLength(0);
    // a1 answers c1; a2 is released and at once rung for c2.
    const out = acd.handle({
      type: 'agentAnswered',
      at: at(2),
      attemptId: first[0]?.attemptId ?? '',
    });
    const next = ringsOf(out);
    expect(next.map((r) => [r.callId, r.agentId])).toEqual([['c2', 'a2']]);
  });
});

describe('strategy round-robin', () => {
  it('continues after the agent offered the previous call, across calls', () => {
    const acd = oneDepartment('round-robin', 3);
    const order = Array.from({ length: 7 }, (_, i) => serve(acd, `c${i}`, i * 10, 1));
    expect(order).toEqual(['a1', 'a2', 'a3', 'a1', 'a2', 'a3', 'a1']);
  });

  it('skips a busy agent and keeps the turn', () => {
    const acd = oneDepartment('round-robin', 3);
    expect(serve(acd, 'c1', 0, 1)).toBe('a1');
    const r = ringsOf(arrive(acd, 'c2', 10))[0];
    expect(r?.agentId).toBe('a2');
    acd.handle({ type: 'agentAnswered', at: at(11), attemptId: r?.attemptId ?? '' });
    // a2 is on c2: the next call goes to a3, then a1.
    expect(serve(acd, 'c3', 20, 1)).toBe('a3');
    expect(serve(acd, 'c4', 30, 1)).toBe('a1');
  });
});

describe('strategy longest-idle', () => {
  it('picks the agent free for the longest time', () => {
    const acd = oneDepartment('longest-idle', 3);
    expect([take(acd, 'c1', 0), take(acd, 'c2', 1), take(acd, 'c3', 2)]).toEqual([
      'a1',
      'a2',
      'a3',
    ]);
    acd.handle({ type: 'callEnded', at: at(11), callId: 'c2' });
    acd.handle({ type: 'callEnded', at: at(30), callId: 'c1' });
    acd.handle({ type: 'callEnded', at: at(52), callId: 'c3' });
    expect(serve(acd, 'c4', 100, 1)).toBe('a2');
    expect(serve(acd, 'c5', 110, 1)).toBe('a1');
    expect(serve(acd, 'c6', 120, 1)).toBe('a3');
  });
});

describe('strategy fewest-calls', () => {
  it('picks the agent who answered the fewest calls today', () => {
    const acd = oneDepartment('fewest-calls', 3);
    // Make a1 and a2 answer calls; a3 is busy meanwhile.
    const r3 = ringsOf(arrive(acd, 'hold'))[0];
    expect(r3?.agentId).toBe('a1');
    acd.handle({ type: 'agentAnswered', at: at(0), attemptId: r3?.attemptId ?? '' });
    expect(serve(acd, 'c1', 1, 1)).toBe('a2');
    acd.handle({ type: 'callEnded', at: at(5), callId: 'hold' });
    // a1: 1 call, a2: 1 call, a3: 0 calls.
    expect(serve(acd, 'c2', 10, 1)).toBe('a3');
    // all have one; ties by longest idle: a2 (free at 2) before a1 (free at 5).
    expect(serve(acd, 'c3', 20, 1)).toBe('a2');
    expect(agentOf(acd, 'a2').stats.answeredToday).toBe(2);
  });

  it('starts counting again at midnight', () => {
    const acd = oneDepartment('fewest-calls', 2);
    serve(acd, 'c1', 0, 1);
    expect(agentOf(acd, 'a1').stats.answeredToday).toBe(1);
    acd.handle({ type: 'tick', at: Date.UTC(2026, 0, 6, 0, 0, 1) });
    expect(agentOf(acd, 'a1').stats.answeredToday).toBe(0);
    expect(agentOf(acd, 'a1').stats.answered).toBe(1);
  });
});

describe('strategy least-talk-time', () => {
  it('picks the agent with the least talk time today, even if another was idle longer', () => {
    const acd = oneDepartment('least-talk-time', 2);
    expect(serve(acd, 'c1', 0, 300)).toBe('a1'); // a1: 300 s talk, free at 300
    expect(serve(acd, 'c2', 10, 100)).toBe('a2'); // a2: 100 s talk, free at 110
    expect(serve(acd, 'c3', 400, 10)).toBe('a2');
    expect(serve(acd, 'c4', 500, 10)).toBe('a2'); // 120 s < 300 s
  });
});

function multiCall(strategy: 'least-busy' | 'most-busy') {
  return new AcdEngine(
    {
      departments: [defaultDepartment('d1', { strategy })],
      agents: [
        defaultAgent('a1', { maxConcurrentCalls: 3 }),
        defaultAgent('a2', { maxConcurrentCalls: 3 }),
      ],
      memberships: ['a1', 'a2'].map((agentId) => ({
        agentId,
        departmentId: 'd1',
        priority: 50,
        callsEnabled: true,
      })),
    },
    { now: T0, random: seededRandom(1) },
  );
}

function take(acd: AcdEngine, id: string, s: number): string {
  const r = ringsOf(arrive(acd, id, s))[0];
  acd.handle({ type: 'agentAnswered', at: at(s), attemptId: r?.attemptId ?? '' });
  return r?.agentId ?? '';
}

describe('strategy least-busy', () => {
  it('picks the agent with the fewest active calls', () => {
    const acd = multiCall('least-busy');
    expect(take(acd, 'c1', 0)).toBe('a1');
    expect(take(acd, 'c2', 1)).toBe('a2');
    expect(take(acd, 'c3', 2)).toBe('a1');
    acd.handle({ type: 'callEnded', at: at(3), callId: 'c1' });
    acd.handle({ type: 'callEnded', at: at(3), callId: 'c3' });
    // a1 has 0 calls now, a2 has 1.
    expect(take(acd, 'c4', 4)).toBe('a1');
  });
});

describe('strategy most-busy', () => {
  it('piles calls on the busiest agent below their maximum', () => {
    const acd = multiCall('most-busy');
    expect([take(acd, 'c1', 0), take(acd, 'c2', 1), take(acd, 'c3', 2)]).toEqual([
      'a1',
      'a1',
      'a1',
    ]);
    // a1 is at its maximum of 3: the next call goes to a2.
    expect(take(acd, 'c4', 3)).toBe('a2');
    expect(agentOf(acd, 'a1').state).toBe('onCall');
    expect(agentOf(acd, 'a1').activeCalls).toBe(3);
  });
});
