import { describe, expect, it } from 'vitest';
import {
  CANCEL_GUARD_MS,
  Leg,
  type LegOwner,
  type LegSpec,
} from '../../../src/calls/dialer/leg.ts';
import type { CallDialog } from '../../../src/calls/sip/sip.ts';
import { flush, ManualScheduler } from './support/manual-scheduler.ts';
import { StandInDialog, StandInUac } from './support/sip-standins.ts';

function spec(delayMs = 0): LegSpec {
  return {
    id: 'softphone:1',
    kind: 'softphone',
    device: 'sip:alice@192.0.2.1:5062',
    delayMs,
    request: { uri: 'sip:alice@192.0.2.1:5062', localSdp: 'v=0', headers: {} },
  };
}

class Owner implements LegOwner {
  ringing = 0;
  settled = 0;
  answers: CallDialog[] = [];
  constructor(public take = true) {}
  legRinging(): void {
    this.ringing++;
  }
  legAnswered(_leg: Leg, dialog: CallDialog): boolean {
    this.answers.push(dialog);
    return this.take;
  }
  legSettled(): void {
    this.settled++;
  }
}

function setup(opts: { delayMs?: number; autoSend?: boolean; take?: boolean } = {}) {
  const clock = new ManualScheduler();
  const uac = new StandInUac(opts.autoSend ?? true);
  const owner = new Owner(opts.take ?? true);
  const leg = new Leg(spec(opts.delayMs), uac, clock, owner);
  return { clock, uac, owner, leg };
}

describe('Leg', () => {
  it('rings, then answers: the dialog goes to the owner and the leg is final', async () => {
    const { uac, owner, leg } = setup();
    leg.begin();
    expect(leg.state).toBe('inviting');
    uac.invites[0]?.ringing();
    expect(leg.state).toBe('ringing');
    expect(owner.ringing).toBe(1);
    const d = uac.invites[0]?.answer();
    await flush();
    expect(leg.state).toBe('answered');
    expect(owner.answers).toEqual([d]);
    expect(owner.settled).toBe(1);
    expect(d?.byes).toBe(0);
  });

  it('waits for its delay before sending; cancelled while waiting it sends nothing', () => {
    const { clock, uac, owner, leg } = setup({ delayMs: 5000 });
    leg.begin();
    clock.advance(4999);
    expect(uac.invites).toHaveLength(0);
    leg.cancel('answered elsewhere');
    expect(leg.state).toBe('cancelled');
    expect(owner.settled).toBe(1);
    expect(leg.pendingTimers).toBe(0);
    clock.advance(10_000);
    expect(uac.invites).toHaveLength(0);
  });

  it('starts after its delay', () => {
    const { clock, uac, leg } = setup({ delayMs: 5000 });
    leg.begin();
    clock.advance(5000);
    expect(uac.invites).toHaveLength(1);
    expect(leg.state).toBe('inviting');
  });

  it('cancelled before srf handed over the request: the CANCEL goes out when it does, once', async () => {
    const { uac, owner, leg } = setup({ autoSend: false });
    leg.begin();
    leg.cancel('timeout');
    leg.cancel('timeout again');
    expect(leg.state).toBe('cancelling');
    const inv = uac.invites[0];
    expect(inv?.cancels).toBe(0);
    inv?.sent();
    expect(inv?.cancels).toBe(1);
    inv?.fail(487);
    await flush();
    expect(leg.state).toBe('cancelled');
    expect(leg.failure).toBe('cancelled');
    expect(owner.settled).toBe(1);
    expect(leg.pendingTimers).toBe(0);
  });

  it('a 2xx crossing our CANCEL is ACKed by srf and BYEd once (dropped)', async () => {
    const { uac, owner, leg } = setup();
    leg.begin();
    uac.invites[0]?.ringing();
    leg.cancel('answered elsewhere');
    const d = uac.invites[0]?.answer();
    await flush();
    expect(leg.state).toBe('dropped');
    expect(d?.byes).toBe(1);
    expect(owner.answers).toHaveLength(0);
    expect(owner.settled).toBe(1);
  });

  it('a 2xx the owner does not take (another leg won) is dropped', async () => {
    const { uac, owner, leg } = setup({ take: false });
    leg.begin();
    const d = uac.invites[0]?.answer();
    await flush();
    expect(owner.answers).toHaveLength(1);
    expect(leg.state).toBe('dropped');
    expect(d?.byes).toBe(1);
  });

  it.each([
    [486, 'busy'],
    [600, 'busy'],
    [603, 'declined'],
    [408, 'unreachable'],
    [480, 'unreachable'],
    [503, 'unreachable'],
    [404, 'failed'],
    [487, 'cancelled'],
  ] as const)('a final %i fails the leg as %s', async (status, failure) => {
    const { uac, leg } = setup();
    leg.begin();
    uac.invites[0]?.fail(status);
    await flush();
    expect(leg.state).toBe('failed');
    expect(leg.failure).toBe(failure);
    expect(leg.status).toBe(status);
  });

  it('a transport error (no response) fails the leg as unreachable', async () => {
    const { uac, leg } = setup();
    leg.begin();
    uac.invites[0]?.transportError();
    await flush();
    expect(leg.failure).toBe('unreachable');
    expect(leg.status).toBeNull();
  });

  it('gives up a CANCEL that never gets a final response, and still BYEs a later 2xx once', async () => {
    const { clock, uac, owner, leg } = setup();
    leg.begin();
    leg.cancel('timeout');
    clock.advance(CANCEL_GUARD_MS);
    expect(leg.state).toBe('cancelled');
    expect(owner.settled).toBe(1);
    const late = new StandInDialog();
    uac.invites[0]?.answer(late);
    await flush();
    expect(late.byes).toBe(1);
    expect(owner.settled).toBe(1);
  });
});
