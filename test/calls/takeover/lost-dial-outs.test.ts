/**
 * Which legs of a dead leader may still ring a number, and until when: the
 * takeover's input to the callbacks' hold (test/app/callback-takeover.test.ts
 * runs it with real processes).
 */
import { describe, expect, it } from 'vitest';
import {
  dialledNumber,
  LostDialOutBook,
  lostDialOuts,
  RING_BOUND_MARGIN_MS,
} from '../../../src/calls/takeover/lost-dial-outs.ts';

const READ_AT = Date.UTC(2026, 0, 5, 10, 0, 0);
const TIMER_C_MS = 185_000;
const failed = { kind: 'failed', reason: 'no such host' } as const;

describe('lost dial-outs', () => {
  it('reads the E.164 number of a trunk leg and nothing from a softphone contact', () => {
    expect(dialledNumber('sip:+4915112345678@trunk.example.net:5060')).toBe('+4915112345678');
    expect(dialledNumber('sips:+12025550100@trunk')).toBe('+12025550100');
    expect(dialledNumber('sip:2001@192.0.2.7:5062;transport=tcp')).toBeNull();
    expect(dialledNumber('sip:+0123@trunk')).toBeNull();
  });

  it('an unanswered leg may ring until it left + Timer C + the margin, counted from its age', () => {
    const lost = lostDialOuts(
      [{ target: 'sip:+4915112345678@trunk', ageMs: 4_000, bye: failed }],
      TIMER_C_MS,
      READ_AT,
    );
    expect(lost).toEqual([
      {
        number: '+4915112345678',
        mayRingUntil: READ_AT - 4_000 + TIMER_C_MS + RING_BOUND_MARGIN_MS,
      },
    ]);
  });

  it('leaves out answered legs (their BYE got a 2xx), softphones, and legs whose time is over', () => {
    const lost = lostDialOuts(
      [
        {
          target: 'sip:+4915112345678@trunk',
          ageMs: 1_000,
          bye: { kind: 'answered', status: 200 },
        },
        { target: 'sip:2001@192.0.2.7', ageMs: 1_000, bye: failed },
        {
          target: 'sip:+4915100000001@trunk',
          ageMs: TIMER_C_MS + RING_BOUND_MARGIN_MS,
          bye: failed,
        },
        // A BYE the far end refused is no proof that the INVITE was answered.
        { target: 'sip:+4915100000002@trunk', ageMs: 0, bye: { kind: 'answered', status: 481 } },
      ],
      TIMER_C_MS,
      READ_AT,
    );
    expect(lost.map((l) => l.number)).toEqual(['+4915100000002']);
  });

  it('the book keeps the latest time per number and forgets it once over', () => {
    const book = new LostDialOutBook();
    book.add(
      [
        { number: '+4915112345678', mayRingUntil: READ_AT + 5_000 },
        { number: '+4915112345678', mayRingUntil: READ_AT + 9_000 },
        { number: '+4915100000001', mayRingUntil: READ_AT + 1_000 },
      ],
      READ_AT,
    );
    expect(book.ringingUntil('+4915112345678', READ_AT)).toBe(READ_AT + 9_000);
    expect(book.ringingUntil('+4915100000009', READ_AT)).toBeNull();
    expect(book.ringingUntil('+4915112345678', READ_AT + 9_000)).toBeNull();
    // A later takeover drops what is over.
    book.add([], READ_AT + 2_000);
    expect(book.ringingUntil('+4915100000001', READ_AT)).toBeNull();
  });
});
