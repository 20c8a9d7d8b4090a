import { describe, expect, it } from 'vitest';
import { CallBook } from '../../../src/calls/session/call-book.ts';
import { type CallEnd, CallSession } from '../../../src/calls/session/call-session.ts';
import { flush, ManualScheduler } from './support/manual-scheduler.ts';
import { StandInInbound } from './support/sip-standins.ts';

function setup() {
  const clock = new ManualScheduler();
  const reported: Array<{ callId: string; end: CallEnd }> = [];
  const book = new CallBook((s, end) => void reported.push({ callId: s.id, end }));
  const open = (callId: string) => {
    const inbound = new StandInInbound();
    const session = new CallSession(
      {
        callId,
        departmentId: 'd',
        departmentName: 'Sales',
        caller: '+4917012345',
        dialled: '+4930100',
        arrivedAt: clock.now(),
      },
      inbound,
      clock,
      book.listener,
    );
    book.open(session);
    return { session, inbound };
  };
  return { book, reported, open };
}

describe('CallBook', () => {
  it("a caller's hang-up is reported once; the call is carried until released", async () => {
    const { book, reported, open } = setup();
    const { session, inbound } = open('c1');
    expect(book.live('c1')).toBe(session);
    inbound.cancel();
    expect(reported.map((r) => [r.callId, r.end.phase, r.end.by])).toEqual([
      ['c1', 'queued', 'caller'],
    ]);
    expect(book.live('c1')).toBeUndefined();
    expect(book.sessions.size).toBe(0);
    await book.settled();
    await flush();
    expect(book.carries('c1')).toBe(false);
  });

  it("a call the engine refused ends without a report; its reject's exit is kept until completion", () => {
    const { book, reported, open } = setup();
    const { session, inbound } = open('c1');
    book.refuse('c1', 'forward');
    session.reject(302, 'Moved Temporarily');
    expect(inbound.final?.status).toBe(302);
    expect(session.invite).toBe('refused');
    expect(reported).toEqual([]);
    expect(book.complete('c1')).toBe('forward');
    // Completed: the engine has forgotten the call, and the exit with it.
    expect(book.complete('c1')).toBeUndefined();
  });

  it('a completed call that was never refused stays reportable', () => {
    const { book, reported, open } = setup();
    const { session } = open('c1');
    expect(book.complete('c1')).toBeUndefined();
    book.refuse('c1', 'hangup');
    session.hangUp('shutting down');
    expect(reported.map((r) => r.callId)).toEqual(['c1']);
  });
});
