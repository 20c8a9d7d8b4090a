/**
 * Callback requests in the routing engine: the request keeps its place, the
 * agent is rung first, the customer's answer connects, failed tries are
 * retried per department and end as callback-failed.
 */
import { describe, expect, it } from 'vitest';
import type { AcdEngine } from '../../src/acd/index.ts';
import { agentOf, arrive, deptOf, ofType, oneDepartment, ringsOf, T0 } from './helpers.ts';

const at = (s: number) => T0 + s * 1000;

function away(acd: AcdEngine, agentId: string, s: number) {
  return acd.handle({ type: 'agentStatusChanged', at: at(s), agentId, status: 'away' });
}
function back(acd: AcdEngine, agentId: string, s: number) {
  return acd.handle({ type: 'agentStatusChanged', at: at(s), agentId, status: 'available' });
}
function request(acd: AcdEngine, callId: string, s: number, number = '+4930111') {
  return acd.handle({ type: 'callbackRequested', at: at(s), callId, number });
}

/** One agent, away (still logged in): callers queue up until it comes back. */
function waitingQueue() {
  const acd = oneDepartment('longest-idle', 1, { ringTimeoutS: 20 });
  away(acd, 'a1', 0);
  return acd;
}

describe('callback requests in the engine', () => {
  it('a request keeps its place ahead of later callers and is rung first, with its number', () => {
    const acd = oneDepartment('longest-idle', 1, { ringTimeoutS: 20, maxWaitS: 60 });
    // The agent is on a call, so callers wait.
    arrive(acd, 'busy', 0);
    const r0 = ringsOf(arrive(acd, 'busy2', 0));
    expect(r0).toEqual([]);
    const first = ringsOf(acd.handle({ type: 'tick', at: at(0) }));
    expect(first).toEqual([]);
    acd.handle({ type: 'agentAnswered', at: at(1), attemptId: 'busy/1' });
    arrive(acd, 'c1', 2);
    arrive(acd, 'c2', 3);
    const out = request(acd, 'c1', 4);
    expect(ofType(out, 'callbackAccepted')).toEqual([
      {
        type: 'callbackAccepted',
        callId: 'c1',
        departmentId: 'd1',
        number: '+4930111',
        arrivedAt: at(2),
      },
    ]);
    // busy2 (arrived at 0) is still first; c1 keeps its place before c2.
    expect(deptOf(acd).waiting.map((w) => w.callId)).toEqual(['busy2', 'c1', 'c2']);
    // Its maximum wait no longer applies: at 62 s c2's applies, c1's does not.
    const late = acd.handle({ type: 'tick', at: at(65) });
    const rejected = ofType(late, 'reject').map((r) => r.callId);
    expect(rejected).toContain('busy2');
    expect(rejected).toContain('c2');
    expect(rejected).not.toContain('c1');
    expect(deptOf(acd).waiting.map((w) => w.callId)).toEqual(['c1']);
    // The agent is free again: the request is rung, marked with its number.
    const free = acd.handle({ type: 'callEnded', at: at(70), callId: 'busy' });
    const ring = ringsOf(free)[0];
    expect(ring).toMatchObject({ callId: 'c1', agentId: 'a1', callbackNumber: '+4930111' });
  });

  it('the agent answers, the customer is dialled, reached: connected, then answered with kind callback', () => {
    const acd = waitingQueue();
    arrive(acd, 'c1', 1);
    expect(deptOf(acd).waiting.map((w) => w.callId)).toEqual(['c1']);
    request(acd, 'c1', 2, '+4930222');
    const ring = ringsOf(back(acd, 'a1', 3))[0];
    expect(ring?.callbackNumber).toBe('+4930222');
    const answered = acd.handle({ type: 'agentAnswered', at: at(5), attemptId: ring!.attemptId });
    expect(ofType(answered, 'bridge')).toEqual([]);
    expect(ofType(answered, 'dialCallback')).toEqual([
      {
        type: 'dialCallback',
        callId: 'c1',
        agentId: 'a1',
        attemptId: ring!.attemptId,
        number: '+4930222',
        timeoutAt: at(25),
      },
    ]);
    expect(agentOf(acd, 'a1').state).toBe('onCall');
    expect(deptOf(acd).waiting).toEqual([]);
    acd.handle({ type: 'callbackReached', at: at(9), callId: 'c1' });
    expect(acd.snapshot().connected).toEqual([
      { callId: 'c1', departmentId: 'd1', agentId: 'a1', answeredAt: at(9) },
    ]);
    const end = acd.handle({ type: 'callEnded', at: at(69), callId: 'c1' });
    expect(ofType(end, 'callCompleted')).toEqual([
      {
        type: 'callCompleted',
        callId: 'c1',
        departmentId: 'd1',
        outcome: 'answered',
        agentId: 'a1',
        waitMs: 8000,
        talkMs: 60_000,
        kind: 'callback',
      },
    ]);
    expect(agentOf(acd, 'a1').state).toBe('available');
  });

  it('unreached tries release the agent, retry at the place after the interval, then callback-failed', () => {
    const acd = oneDepartment('longest-idle', 1, {
      callbackRetries: 1,
      callbackRetryIntervalS: 60,
      ringTimeoutS: 20,
    });
    away(acd, 'a1', 0);
    arrive(acd, 'c1', 1);
    request(acd, 'c1', 2);
    const ring1 = ringsOf(back(acd, 'a1', 3))[0]!;
    acd.handle({ type: 'agentAnswered', at: at(4), attemptId: ring1.attemptId });
    const miss = acd.handle({
      type: 'callbackNotReached',
      at: at(10),
      callId: 'c1',
      cause: 'busy',
    });
    expect(ofType(miss, 'callbackRetryScheduled')).toEqual([
      { type: 'callbackRetryScheduled', callId: 'c1', failedTries: 1, retryAt: at(70) },
    ]);
    expect(agentOf(acd, 'a1').state).toBe('available');
    // Out of the queue until the retry is due, then back and rung again.
    expect(deptOf(acd).waiting).toEqual([]);
    const retry = acd.handle({ type: 'tick', at: at(70) });
    const ring2 = ringsOf(retry).find((r) => r.callId === 'c1');
    expect(ring2?.callbackNumber).toBe('+4930111');
    acd.handle({ type: 'agentAnswered', at: at(71), attemptId: ring2!.attemptId });
    // The dial-out deadline (ring timeout, 20 s) passes: stop the dial, the last try failed.
    const timeout = acd.handle({ type: 'tick', at: at(91) });
    expect(ofType(timeout, 'endCallbackDial')).toEqual([
      { type: 'endCallbackDial', callId: 'c1', reason: 'timeout' },
    ]);
    expect(ofType(timeout, 'callCompleted')).toEqual([
      {
        type: 'callCompleted',
        callId: 'c1',
        departmentId: 'd1',
        outcome: 'callback-failed',
        agentId: 'a1',
        waitMs: 90_000,
        kind: 'callback',
      },
    ]);
    expect(acd.heldCallIds()).toEqual([]);
    expect(agentOf(acd, 'a1').state).toBe('available');
  });

  it('the original caller hanging up does not end the request; a late report is ignored', () => {
    const acd = waitingQueue();
    arrive(acd, 'c1', 1);
    request(acd, 'c1', 2);
    const out = acd.handle({ type: 'callerHungUp', at: at(3), callId: 'c1' });
    expect(out.actions).toEqual([]);
    expect(acd.heldCallIds()).toEqual(['c1']);
    expect(request(acd, 'c1', 4).actions).toEqual([]);
    expect(acd.handle({ type: 'callbackReached', at: at(5), callId: 'c1' }).actions).toEqual([]);
  });

  it('a request made while its call rings cancels that ring and offers the callback afresh', () => {
    const acd = oneDepartment('longest-idle', 1);
    const ring = ringsOf(arrive(acd, 'c1', 0))[0]!;
    const out = request(acd, 'c1', 2);
    expect(ofType(out, 'cancelRing')).toMatchObject([
      { attemptId: ring.attemptId, reason: 'callback-requested' },
    ]);
    expect(ringsOf(out)).toMatchObject([{ callId: 'c1', callbackNumber: '+4930111' }]);
  });

  it('stored requests come back in their order, ahead of later callers, or wait for their retry', () => {
    const acd = waitingQueue();
    arrive(acd, 'new', 100);
    acd.handle({
      type: 'callbackRestored',
      at: at(101),
      callId: 'old1',
      departmentId: 'd1',
      number: '+4930111',
      arrivedAt: at(-50),
      failedTries: 0,
      retryAt: null,
    });
    acd.handle({
      type: 'callbackRestored',
      at: at(101),
      callId: 'old2',
      departmentId: 'd1',
      number: '+4930222',
      arrivedAt: at(-40),
      failedTries: 1,
      retryAt: at(200),
    });
    acd.handle({
      type: 'callbackRestored',
      at: at(101),
      callId: 'gone',
      departmentId: 'no-such',
      number: '+4930333',
      arrivedAt: at(-30),
      failedTries: 0,
      retryAt: null,
    });
    expect(deptOf(acd).waiting.map((w) => w.callId)).toEqual(['old1', 'new']);
    acd.handle({ type: 'tick', at: at(200) });
    expect(deptOf(acd).waiting.map((w) => w.callId)).toEqual(['old1', 'old2', 'new']);
    expect(acd.heldCallIds().sort()).toEqual(['new', 'old1', 'old2']);
  });

  it('a restored request numbers its rings after the attempts its call already had', () => {
    const acd = waitingQueue();
    acd.handle({
      type: 'callbackRestored',
      at: at(10),
      callId: 'old',
      departmentId: 'd1',
      number: '+4930111',
      arrivedAt: at(-50),
      failedTries: 0,
      retryAt: null,
      attemptsMade: 3,
    });
    expect(ringsOf(back(acd, 'a1', 11))).toMatchObject([{ callId: 'old', attemptId: 'old/4' }]);
  });
});
