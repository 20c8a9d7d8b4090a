import { describe, expect, it } from 'vitest';
import { erlangC } from '../../src/acd/sim/erlang-c.ts';
import { batchStats, simulate } from '../../src/acd/sim/simulator.ts';

describe('Erlang C', () => {
  it('matches closed forms: M/M/1 and two agents at one erlang', () => {
    const one = erlangC(1, 0.5, 180, 20);
    expect(one.probabilityOfWaiting).toBeCloseTo(0.5, 12); // P(wait) = ρ
    expect(one.averageSpeedOfAnswerS).toBeCloseTo(180, 9); // ρ/(1-ρ)·AHT
    expect(erlangC(2, 1, 60, 0).probabilityOfWaiting).toBeCloseTo(1 / 3, 12);
    expect(erlangC(2, 1, 60, 0).serviceLevel).toBeCloseTo(2 / 3, 12);
    expect(() => erlangC(3, 3, 60, 0)).toThrow(RangeError);
  });
});

describe('simulation through the engine', () => {
  /**
   * 10 agents, 8 erlangs, AHT 180 s, no rollover: the engine must behave as an
   * M/M/c FIFO queue. Waits of neighbouring calls are correlated, so sampling
   * error is estimated by batch means (20 batches of ~9,500 calls, each much
   * longer than the queue's relaxation time of a few AHTs); the batch means are
   * close to independent and normal, and |sim − Erlang C| < 4 standard errors
   * is a test at roughly the 99.9% level (t with 19 d.f.: 3.88). The seed is
   * fixed, so the run is deterministic.
   */
  it('matches Erlang C within sampling error for one department without rollover', () => {
    const sim = simulate({
      agents: 10,
      loadErlangs: 8,
      ahtS: 180,
      calls: 200_000,
      warmupCalls: 10_000,
      seed: 12345,
      serviceLevelS: 20,
    });
    const theory = erlangC(10, 8, 180, 20);
    const asa = batchStats(sim.batchAsaS);
    const sl = batchStats(sim.batchServiceLevel);
    expect(sim.calls).toBe(190_000);
    // The errors are small enough for the comparison to mean something.
    expect(asa.standardError).toBeLessThan(0.05 * theory.averageSpeedOfAnswerS);
    expect(sl.standardError).toBeLessThan(0.02);
    expect(Math.abs(asa.mean - theory.averageSpeedOfAnswerS)).toBeLessThan(4 * asa.standardError);
    expect(Math.abs(sl.mean - theory.serviceLevel)).toBeLessThan(4 * sl.standardError);
    const pw = batchStats(sim.batchProbabilityOfWaiting);
    expect(Math.abs(pw.mean - theory.probabilityOfWaiting)).toBeLessThan(4 * pw.standardError);
  });

  it('matches Erlang C whichever strategy picks the agent (identical agents, FIFO queue)', () => {
    const theory = erlangC(10, 8, 180, 20);
    for (const strategy of ['random', 'priority', 'round-robin'] as const) {
      const sim = simulate({
        agents: 10,
        loadErlangs: 8,
        ahtS: 180,
        calls: 60_000,
        warmupCalls: 3_000,
        seed: 99,
        serviceLevelS: 20,
        strategy,
      });
      const asa = batchStats(sim.batchAsaS);
      expect(Math.abs(asa.mean - theory.averageSpeedOfAnswerS), strategy).toBeLessThan(
        4 * asa.standardError,
      );
    }
  });

  it('rollover (missed rings) makes callers wait longer than Erlang C predicts', () => {
    const base = {
      agents: 10,
      loadErlangs: 8,
      ahtS: 180,
      calls: 30_000,
      warmupCalls: 2_000,
      seed: 7,
      serviceLevelS: 20,
    };
    const roll = simulate({ ...base, missProbability: 0.3, ringS: 15 });
    expect(roll.averageSpeedOfAnswerS).toBeGreaterThan(
      erlangC(10, 8, 180, 20).averageSpeedOfAnswerS * 1.5,
    );
  });
});
