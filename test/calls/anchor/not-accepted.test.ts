/**
 * A ring attempt whose device answered but was not accepted: the call log
 * says `not-accepted`, the routing engine hears a plain no-answer (the call
 * rolls over), whether the check gave up or the ring deadline came first.
 */
import { describe, expect, it } from 'vitest';
import type { LegSpec } from '../../../src/calls/dialer/leg.ts';
import { type AttemptRecord, RingAttempt } from '../../../src/calls/dialer/ring-attempt.ts';
import { NotAcceptedError, ringFailureOf } from '../../../src/calls/sip/sip-failure.ts';
import type { CallDialog, SipUac, UacProgress } from '../../../src/calls/sip/sip.ts';
import { flush, ManualScheduler } from '../flow/support/manual-scheduler.ts';

function mobile(i: number): LegSpec {
  const uri = `sip:+4915100000${i}@trunk.example`;
  return {
    id: `mobile:${i}`,
    kind: 'mobile',
    device: uri,
    delayMs: 0,
    request: { uri, localSdp: 'v=0', headers: {} },
  };
}

/** INVITEs whose outcome the test decides, as the anchored UAC reports it. */
class TrialUac implements SipUac {
  readonly sent: Array<{ progress: UacProgress; reject(e: unknown): void; cancels: number }> = [];
  invite(_r: unknown, progress: UacProgress): Promise<CallDialog> {
    return new Promise((_resolve, reject) => {
      const inv = { progress, reject, cancels: 0 };
      this.sent.push(inv);
      progress.onRequest({
        cancel: () => {
          inv.cancels += 1;
          reject(Object.assign(new Error('cancelled'), { status: 487 }));
        },
      });
    });
  }
}

function setup() {
  const clock = new ManualScheduler();
  const uac = new TrialUac();
  const events: string[] = [];
  const records: AttemptRecord[] = [];
  const attempt = new RingAttempt({
    attemptId: 'c/1',
    callId: 'c',
    agentId: 'a',
    uac,
    scheduler: clock,
    listener: {
      answered: () => void events.push('answered'),
      failed: (_a, cause) => void events.push(`failed:${cause}`),
      ended: (_a, r) => void records.push(r),
    },
  });
  attempt.start(() => [mobile(1)]);
  return { clock, uac, events, records, attempt };
}

describe('not-accepted attempts', () => {
  it('ringFailureOf counts not-accepted as no answer, and busy still outweighs it', () => {
    expect(ringFailureOf(['not-accepted'])).toBe('no-answer');
    expect(ringFailureOf(['not-accepted', 'cancelled', 'unreachable'])).toBe('no-answer');
    expect(ringFailureOf(['not-accepted', 'busy'])).toBe('busy');
  });

  it('nobody pressed 1: the attempt ends not-accepted and the engine hears no-answer', async () => {
    const t = setup();
    await flush();
    t.uac.sent[0]!.progress.onAnswerOnTrial?.();
    t.uac.sent[0]!.reject(new NotAcceptedError('no 1'));
    await flush();
    expect(t.events).toEqual(['failed:no-answer']);
    expect(t.records.map((r) => r.result)).toEqual(['not-accepted']);
    expect(t.attempt.pendingTimers).toBe(0);
  });

  it('the ring deadline while an answer awaits its 1 logs not-accepted; without one, no-answer', async () => {
    const a = setup();
    await flush();
    a.uac.sent[0]!.progress.onAnswerOnTrial?.();
    a.attempt.cancel('timeout');
    await flush();
    expect(a.records.map((r) => r.result)).toEqual(['not-accepted']);
    expect(a.uac.sent[0]!.cancels).toBe(1);
    await a.attempt.settled;
    expect(a.attempt.pendingTimers).toBe(0);
    const b = setup();
    await flush();
    b.attempt.cancel('timeout');
    await flush();
    expect(b.records.map((r) => r.result)).toEqual(['no-answer']);
  });
});
