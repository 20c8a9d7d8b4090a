import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LegSpec } from '../../../src/calls/dialer/leg.ts';
import {
  type AttemptListener,
  type AttemptRecord,
  RingAttempt,
} from '../../../src/calls/dialer/ring-attempt.ts';
import type { RingFailureCause } from '../../../src/calls/sip/sip-failure.ts';
import { flush, ManualScheduler } from './support/manual-scheduler.ts';
import { type StandInDialog, StandInUac } from './support/sip-standins.ts';

function legSpec(i: number, kind: 'softphone' | 'mobile' = 'softphone', delayMs = 0): LegSpec {
  const uri = kind === 'mobile' ? `sip:+4917000000${i}@trunk.example` : `sip:dev${i}@192.0.2.${i}`;
  return {
    id: `${kind}:${i}`,
    kind,
    device: uri,
    delayMs,
    request: { uri, localSdp: 'v=0 caller', headers: {} },
  };
}

class Recorder implements AttemptListener {
  events: string[] = [];
  records: AttemptRecord[] = [];
  answered(): void {
    this.events.push('answered');
  }
  failed(_a: RingAttempt, cause: RingFailureCause): void {
    this.events.push(`failed:${cause}`);
  }
  ended(_a: RingAttempt, r: AttemptRecord): void {
    this.events.push(`ended:${r.result}`);
    this.records.push(r);
  }
}

/** An attempt whose legs are not planned yet (`start` not called). */
function unstarted() {
  const clock = new ManualScheduler();
  const uac = new StandInUac();
  const rec = new Recorder();
  const attempt = new RingAttempt({
    attemptId: 'call-1/1',
    callId: 'call-1',
    agentId: 'agent-1',
    uac,
    scheduler: clock,
    listener: rec,
  });
  return { clock, uac, rec, attempt };
}

function setup(specs: LegSpec[]) {
  const started = unstarted();
  started.attempt.start(async () => specs);
  return started;
}

describe('RingAttempt', () => {
  it('first 2xx wins; the other leg is cancelled; a second 2xx is ACKed and BYEd', async () => {
    const { clock, uac, rec, attempt } = setup([legSpec(1), legSpec(2)]);
    await flush();
    expect(attempt.state).toBe('ringing');
    expect(uac.invites).toHaveLength(2);
    uac.invites[0]?.ringing();
    uac.invites[1]?.ringing();
    clock.advance(3000);
    const winner = uac.invites[1]?.answer();
    await flush();
    expect(attempt.state).toBe('answered');
    expect(rec.events).toEqual(['answered']);
    expect(uac.invites[0]?.cancels).toBe(1);
    const late = uac.invites[0]?.answer();
    await flush();
    expect(late?.byes).toBe(1);
    expect(attempt.takeAnswer()).toBe(winner);
    expect(winner?.byes).toBe(0);
    expect(attempt.state).toBe('connected');
    expect(rec.events).toEqual(['answered', 'ended:answered']);
    expect(rec.records[0]?.ringMs).toBe(3000);
    expect(rec.records[0]?.answeredBy?.device).toBe('sip:dev2@192.0.2.2');
    await attempt.settled;
    expect(attempt.pendingTimers).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('every leg failing ends the attempt with the most telling cause (busy over unreachable)', async () => {
    const { clock, uac, rec, attempt } = setup([legSpec(1), legSpec(2, 'mobile')]);
    await flush();
    clock.advance(1200);
    uac.invites[0]?.fail(486);
    await flush();
    expect(attempt.state).toBe('ringing');
    uac.invites[1]?.fail(503);
    await flush();
    expect(attempt.state).toBe('failed');
    expect(rec.events).toEqual(['ended:busy', 'failed:busy']);
    expect(rec.records[0]?.ringMs).toBe(1200);
    await attempt.settled;
    expect(clock.pending).toBe(0);
  });

  it('a decline on one device declines the call', async () => {
    const { uac, rec } = setup([legSpec(1), legSpec(2)]);
    await flush();
    uac.invites[0]?.fail(603);
    uac.invites[1]?.fail(480);
    await flush();
    expect(rec.events).toContain('failed:declined');
  });

  it("the engine's ring timeout cancels every leg and reports no-answer once", async () => {
    const { clock, uac, rec, attempt } = setup([legSpec(1), legSpec(2)]);
    await flush();
    uac.invites[0]?.ringing();
    // The attempt arms no deadline of its own: the engine owns it.
    clock.advance(60_000);
    expect(attempt.state).toBe('ringing');
    attempt.cancel('timeout');
    expect(attempt.state).toBe('cancelled');
    expect(rec.events).toEqual(['ended:no-answer']);
    expect(uac.invites.map((i) => i.cancels)).toEqual([1, 1]);
    // A second cancelRing for the same attempt is a no-op.
    attempt.cancel('timeout');
    uac.invites[0]?.fail(487);
    uac.invites[1]?.fail(487);
    await attempt.settled;
    expect(rec.events).toHaveLength(1);
    expect(clock.pending).toBe(0);
  });

  it('cancelled while the legs are being planned: nothing is sent', async () => {
    const { clock, uac, rec, attempt } = unstarted();
    let resolvePlan!: (s: LegSpec[]) => void;
    attempt.start(() => new Promise((r) => (resolvePlan = r)));
    attempt.cancel('caller-hung-up');
    resolvePlan([legSpec(1)]);
    await attempt.settled;
    expect(uac.invites).toHaveLength(0);
    expect(rec.events).toEqual(['ended:cancelled']);
    expect(clock.pending).toBe(0);
  });

  it('a plan at hand rings in the same turn: every INVITE is handed over before start() returns', () => {
    const { uac, attempt } = unstarted();
    attempt.start(() => [legSpec(1), legSpec(2)]);
    // No await: nothing may wait for a later turn of the event loop.
    expect(uac.invites.map((i) => i.request.uri)).toEqual([
      legSpec(1).request.uri,
      legSpec(2).request.uri,
    ]);
    expect(attempt.state).toBe('ringing');
  });

  it('a plan that throws fails the attempt as unreachable, at once', async () => {
    const { clock, uac, rec, attempt } = unstarted();
    attempt.start(() => {
      throw new Error('directory gone');
    });
    expect(rec.events).toEqual(['ended:unreachable', 'failed:unreachable']);
    await attempt.settled;
    expect(uac.invites).toHaveLength(0);
    expect(clock.pending).toBe(0);
  });

  it('no device to ring fails at once as unreachable', async () => {
    const { rec, attempt } = setup([]);
    await attempt.settled;
    expect(rec.events).toEqual(['ended:unreachable', 'failed:unreachable']);
  });

  it('softphone first then mobile: the mobile starts after its delay', async () => {
    const { clock, uac } = setup([legSpec(1), legSpec(2, 'mobile', 8000)]);
    await flush();
    expect(uac.invites).toHaveLength(1);
    clock.advance(8000);
    expect(uac.invites).toHaveLength(2);
    expect(uac.invites[1]?.request.uri).toContain('trunk.example');
  });

  it('softphone first then mobile: when the softphone fails the mobile starts at once', async () => {
    const { uac, attempt } = setup([legSpec(1), legSpec(2, 'mobile', 8000)]);
    await flush();
    uac.invites[0]?.fail(480);
    await flush();
    expect(uac.invites).toHaveLength(2);
    expect(attempt.state).toBe('ringing');
  });

  it('fork to softphone and mobile where the mobile answers: the softphone is cancelled', async () => {
    const { uac, attempt } = setup([legSpec(1), legSpec(2, 'mobile')]);
    await flush();
    uac.invites[0]?.ringing();
    uac.invites[1]?.answer();
    await flush();
    expect(attempt.winner?.spec.kind).toBe('mobile');
    expect(uac.invites[0]?.cancels).toBe(1);
  });

  it('an answer the engine no longer wants is dropped: BYE once', async () => {
    const { uac, rec, attempt } = setup([legSpec(1)]);
    await flush();
    const d = uac.invites[0]?.answer();
    await flush();
    attempt.dropAnswer('late answer');
    attempt.dropAnswer('late answer again');
    attempt.cancel('caller-hung-up');
    expect(attempt.takeAnswer()).toBeNull();
    await attempt.settled;
    expect(d?.byes).toBe(1);
    expect(rec.events).toEqual(['answered', 'ended:cancelled']);
  });
});

/**
 * Release exactly once, on every path: random interleavings of provisional
 * responses, answers, failures, transport errors, cancels, the engine's ring
 * timeouts, and the engine's bridge / drop decision. Whatever happens, the attempt reports its
 * end exactly once, every dialog but the one handed over gets exactly one
 * BYE, the handed-over one none, and no timer is left.
 */
describe('RingAttempt releases everything exactly once', () => {
  type Step =
    | { kind: 'ring'; leg: number }
    | { kind: 'answer'; leg: number }
    | { kind: 'fail'; leg: number; status: number }
    | { kind: 'transport'; leg: number }
    | { kind: 'cancel' }
    | { kind: 'timeout' }
    | { kind: 'advance'; ms: number }
    | { kind: 'take' }
    | { kind: 'drop' }
    | { kind: 'lost' };

  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.record({ kind: fc.constant('ring' as const), leg: fc.nat(2) }),
    fc.record({ kind: fc.constant('answer' as const), leg: fc.nat(2) }),
    fc.record({
      kind: fc.constant('fail' as const),
      leg: fc.nat(2),
      status: fc.constantFrom(404, 408, 480, 486, 487, 503, 600, 603),
    }),
    fc.record({ kind: fc.constant('transport' as const), leg: fc.nat(2) }),
    fc.record({ kind: fc.constant('cancel' as const) }),
    fc.record({ kind: fc.constant('timeout' as const) }),
    fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 40_000 }) }),
    fc.record({ kind: fc.constant('take' as const) }),
    fc.record({ kind: fc.constant('drop' as const) }),
    fc.record({ kind: fc.constant('lost' as const) }),
  );

  it('holds for random event orders', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.boolean(),
        fc.array(step, { maxLength: 25 }),
        async (legCount, delayedMobile, steps) => {
          const specs = Array.from({ length: legCount }, (_, i) =>
            i === legCount - 1 && delayedMobile && legCount > 1
              ? legSpec(i + 1, 'mobile', 5000)
              : legSpec(i + 1),
          );
          const { clock, uac, rec, attempt } = setup(specs);
          await flush(2);
          const dialogs: StandInDialog[] = [];
          let taken: unknown = null;
          let lost = false;
          for (const s of steps) {
            const inv = 'leg' in s ? uac.invites[s.leg] : undefined;
            switch (s.kind) {
              case 'ring':
                if (inv && !inv.settled) inv.ringing();
                break;
              case 'answer':
                if (inv && !inv.settled) dialogs.push(inv.answer());
                break;
              case 'fail':
                if (inv && !inv.settled) inv.fail(s.status);
                break;
              case 'transport':
                if (inv && !inv.settled) inv.transportError();
                break;
              case 'cancel':
                attempt.cancel('caller-hung-up');
                break;
              case 'timeout':
                // The engine's ring deadline passed.
                attempt.cancel('timeout');
                break;
              case 'advance':
                clock.advance(s.ms);
                break;
              case 'take':
                taken = attempt.takeAnswer() ?? taken;
                break;
              case 'drop':
                attempt.dropAnswer('late');
                break;
              case 'lost':
                // The SIP server connection died: later srf results may still trickle in.
                attempt.lost();
                lost = true;
                break;
            }
            await flush(2);
          }
          // Finish: the engine decides (cancel), and every pending INVITE gets its final response.
          attempt.cancel('caller-hung-up');
          clock.advance(40_000);
          await flush(2);
          for (const inv of uac.invites) if (!inv.settled) inv.fail(487);
          await flush(3);
          await attempt.settled;

          const ends = rec.events.filter((e) => e.startsWith('ended:'));
          expect(ends).toHaveLength(1);
          expect(attempt.final).toBe(true);
          // After a lost connection an answer held by the attempt is abandoned, not BYEd.
          for (const d of dialogs) expect(d.byes).toBe(d === taken ? 0 : lost ? d.byes : 1);
          for (const d of dialogs) expect(d.byes).toBeLessThanOrEqual(1);
          expect(attempt.legs.every((l) => l.final)).toBe(true);
          expect(clock.pending).toBe(0);
          // Every sent INVITE that was cancelled got at most one CANCEL.
          expect(uac.invites.every((i) => i.cancels <= 1)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});
