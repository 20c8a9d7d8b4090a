/**
 * Stored callback requests held back after a takeover while a dead leader's
 * INVITE may still ring their customer: queued at their time, never twice,
 * and no timer left after close. A manual clock; the real processes run in
 * test/app/callback-takeover.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  CallbackDesk,
  type CallbackDeskOptions,
  type PendingCallback,
} from '../../../src/calls/callback/callback-desk.ts';
import type { DriverEvent } from '../../../src/calls/engine/engine-driver.ts';
import { silentLogger } from '../../../src/calls/ports/index.ts';
import { ManualScheduler } from '../flow/support/manual-scheduler.ts';

const RINGING = '+4915112345678';

function request(callId: string, number: string): PendingCallback {
  return {
    callId,
    departmentId: 'd1',
    number,
    arrivedAt: new Date(Date.UTC(2026, 0, 5, 9, 55)),
    failedTries: 1,
    retryAt: null,
    attemptsMade: 3,
  };
}

/** A desk whose restore is all that runs: the rest of its ports are never called here. */
function desk(clock: ManualScheduler, until: number) {
  const sent: DriverEvent[] = [];
  const unused = {} as never;
  const options: CallbackDeskOptions = {
    send: (e) => sent.push(e),
    book: unused,
    recorder: unused,
    uac: unused,
    forwarding: unused,
    scheduler: clock,
    logger: silentLogger,
    media: () => null,
    trunkUri: 'sip:trunk.example.net',
    allowed: () => true,
    departmentName: (id) => id,
    lostDialOutUntil: (n) => (n === RINGING && clock.now() < until ? until : null),
  };
  return { desk: new CallbackDesk(options), sent };
}

const restoredIds = (sent: DriverEvent[]) =>
  sent.flatMap((e) => (e.type === 'callbackRestored' ? [e.callId] : []));

describe('callback requests held after a takeover', () => {
  it('queues a request at once unless its customer may still ring, and that one at its time', () => {
    const clock = new ManualScheduler();
    const until = clock.now() + 15_000;
    const { desk: d, sent } = desk(clock, until);
    d.restore([request('held', RINGING), request('free', '+4915100000001')]);
    expect(restoredIds(sent)).toEqual(['free']);
    expect(d.held).toBe(1);
    // Held, the request is still this instance's: the reconcile leaves its call open.
    expect(d.carries('held')).toBe(true);

    // Restored again (the gate reopened): held once, queued once.
    d.restore([request('held', RINGING), request('free', '+4915100000001')]);
    clock.advance(14_999);
    expect(restoredIds(sent)).toEqual(['free']);
    clock.advance(1);
    expect(restoredIds(sent)).toEqual(['free', 'held']);
    expect(sent.find((e) => e.type === 'callbackRestored' && e.callId === 'held')).toMatchObject({
      number: RINGING,
      failedTries: 1,
      attemptsMade: 3,
    });
    expect(d.held).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('close ends the hold: no timer left and nothing queued later', () => {
    const clock = new ManualScheduler();
    const { desk: d, sent } = desk(clock, clock.now() + 15_000);
    d.restore([request('held', RINGING)]);
    expect(clock.pending).toBe(1);
    d.close();
    expect(d.held).toBe(0);
    expect(clock.pending).toBe(0);
    clock.advance(60_000);
    expect(restoredIds(sent)).toEqual([]);
  });
});
