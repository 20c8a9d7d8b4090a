import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AcdEngine, seededRandom } from '../../src/acd/index.ts';
import { T0 } from './helpers.ts';
import { CallControl, seen } from './support/model-call-control.ts';
import { build, configArb, opArb } from './support/property-model.ts';

/**
 * Property tests: random configurations and random event sequences, with the
 * test acting as call control (it only answers or fails rings it was asked to
 * place, and hangs up calls it knows). After every event the invariants of
 * routing are checked against the actions and the engine's snapshot.
 */

describe('ACD invariants over random event sequences', () => {
  it('hold for every strategy, configuration and sequence', () => {
    seen.clear();
    fc.assert(
      fc.property(configArb, fc.array(opArb, { minLength: 1, maxLength: 200 }), (c, ops) => {
        const cfg = build(c);
        const acd = new AcdEngine(cfg, { now: T0, random: seededRandom(c.seed), explain: true });
        const cc = new CallControl(acd, cfg);
        for (const op of ops) cc.run(op);
        cc.drain();
      }),
      { numRuns: 300, seed: 20261123 },
    );
    for (const kind of [
      'ring',
      'bridge',
      'cancelRing:timeout',
      'cancelRing:answered-elsewhere',
      'cancelRing:caller-hung-up',
      'pauseAgent:missed-rings',
      'overflow:max-wait',
      'overflow:queue-full',
      'reject:no-agent',
      'dropLateAnswer',
      'announce',
    ]) {
      expect(seen.get(kind) ?? 0, `${kind} in ${JSON.stringify([...seen])}`).toBeGreaterThan(0);
    }
  });

  it('hold when every department uses ring-all with agents shared between departments', () => {
    fc.assert(
      fc.property(configArb, fc.array(opArb, { minLength: 1, maxLength: 200 }), (c, ops) => {
        const cfg = build({ ...c, strategies: ['ring-all', 'ring-all', 'ring-all'] });
        const acd = new AcdEngine(cfg, { now: T0, random: seededRandom(c.seed) });
        const cc = new CallControl(acd, cfg);
        for (const op of ops) cc.run(op);
        cc.drain();
      }),
      { numRuns: 150, seed: 7 },
    );
  });
});
