/**
 * Property test: random call lifecycles are logged as events on Postgres and
 * on PGlite; the projections must equal a plain TypeScript model of the same
 * calls, and therefore each other.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  type CallLogAttemptResult,
  type CallAttempt,
  type CallLogOutcome,
  createStore,
  type LogEventInput,
  type Store,
} from '../../src/store/index.ts';
import { type BackendName, openBackend } from './backends.ts';

const T0 = Date.parse('2026-03-01T08:00:00Z');
const MISSED: CallLogOutcome[] = ['abandoned', 'overflowed', 'no-agent', 'failed', 'rejected'];
const RING_FAILURES: CallLogAttemptResult[] = [
  'no-answer',
  'busy',
  'declined',
  'unreachable',
  'failed',
];

interface RingPlan {
  afterMs: number;
  durationMs: number;
  result: CallLogAttemptResult;
}

interface CallPlan {
  arriveMs: number;
  failedRings: RingPlan[];
  /** Answered by one more ring after this long, or not answered. */
  answer: { afterMs: number; ringMs: number } | null;
  /** A ring still open when the caller leaves (unanswered calls only). */
  openRingAtEnd: boolean;
  endAfterMs: number;
  missedOutcome: CallLogOutcome;
}

const ringArb = fc.record({
  afterMs: fc.integer({ min: 0, max: 5_000 }),
  durationMs: fc.integer({ min: 1, max: 30_000 }),
  result: fc.constantFrom(...RING_FAILURES),
});

const callArb: fc.Arbitrary<CallPlan> = fc.record({
  arriveMs: fc.integer({ min: 0, max: 86_400_000 }),
  failedRings: fc.array(ringArb, { maxLength: 3 }),
  answer: fc.option(
    fc.record({
      afterMs: fc.integer({ min: 0, max: 5_000 }),
      ringMs: fc.integer({ min: 1, max: 20_000 }),
    }),
  ),
  openRingAtEnd: fc.boolean(),
  endAfterMs: fc.integer({ min: 1, max: 600_000 }),
  missedOutcome: fc.constantFrom(...MISSED),
});

const AGENT_IDS = ['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222'];

/** The events of one call, and the rows the projections should hold for it. */
function plan(id: string, p: CallPlan) {
  const events: LogEventInput[] = [];
  const attempts: CallAttempt[] = [];
  let t = T0 + p.arriveMs;
  const arrivedAt = t;
  events.push({
    type: 'call.arrived',
    callId: id,
    at: new Date(t),
    payload: { caller: '+4930111', dialledNumber: '+4930999' },
  });
  p.failedRings.forEach((r, i) => {
    const agentId = AGENT_IDS[i % 2] as string;
    const start = t + r.afterMs;
    const end = start + r.durationMs;
    const attemptId = `${id}-${i}`;
    events.push({
      type: 'call.ringing',
      callId: id,
      agentId,
      at: new Date(start),
      payload: { attemptId, device: 'sip:a@h' },
    });
    events.push({
      type: 'attempt.ended',
      callId: id,
      at: new Date(end),
      payload: { attemptId, result: r.result },
    });
    attempts.push({
      id: attemptId,
      callId: id,
      agentId,
      device: 'sip:a@h',
      startedAt: new Date(start),
      endedAt: new Date(end),
      result: r.result,
      ringS: r.durationMs / 1000,
    });
    t = end;
  });
  let answeredAt: number | null = null;
  let agentId: string | null = null;
  if (p.answer) {
    agentId = AGENT_IDS[0] as string;
    const start = t + p.answer.afterMs;
    answeredAt = start + p.answer.ringMs;
    const attemptId = `${id}-answer`;
    events.push({
      type: 'call.ringing',
      callId: id,
      agentId,
      at: new Date(start),
      payload: { attemptId, device: 'sip:a@h' },
    });
    events.push({
      type: 'call.answered',
      callId: id,
      agentId,
      at: new Date(answeredAt),
      payload: { attemptId },
    });
    attempts.push({
      id: attemptId,
      callId: id,
      agentId,
      device: 'sip:a@h',
      startedAt: new Date(start),
      endedAt: new Date(answeredAt),
      result: 'answered',
      ringS: p.answer.ringMs / 1000,
    });
    t = answeredAt;
  } else if (p.openRingAtEnd) {
    const attemptId = `${id}-open`;
    events.push({
      type: 'call.ringing',
      callId: id,
      agentId: AGENT_IDS[1],
      at: new Date(t),
      payload: { attemptId, device: 'sip:b@h' },
    });
    attempts.push({
      id: attemptId,
      callId: id,
      agentId: AGENT_IDS[1] as string,
      device: 'sip:b@h',
      startedAt: new Date(t),
      endedAt: new Date(t + p.endAfterMs),
      result: 'cancelled',
      ringS: p.endAfterMs / 1000,
    });
  }
  const endedAt = t + p.endAfterMs;
  const outcome: CallLogOutcome = answeredAt === null ? p.missedOutcome : 'answered';
  events.push({ type: 'call.ended', callId: id, at: new Date(endedAt), payload: { outcome } });
  const call = {
    id,
    arrivedAt: new Date(arrivedAt),
    answeredAt: answeredAt === null ? null : new Date(answeredAt),
    endedAt: new Date(endedAt),
    agentId,
    outcome,
    waitS: ((answeredAt ?? endedAt) - arrivedAt) / 1000,
    talkS: answeredAt === null ? null : (endedAt - answeredAt) / 1000,
  };
  return { events, call, attempts };
}

const backends: { kind: BackendName; store: Store; close: () => Promise<void> }[] = [];

beforeAll(async () => {
  for (const kind of ['postgres', 'pglite'] as const) {
    const { db, close } = await openBackend(kind);
    backends.push({ kind, store: createStore(db), close });
  }
});

afterAll(async () => {
  for (const b of backends.splice(0)) await b.close();
});

let run = 0;

test('random call lifecycles project identically to the model on Postgres and PGlite', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(callArb, { minLength: 1, maxLength: 6 }), async (calls) => {
      run++;
      const planned = calls.map((c, i) => plan(`run${run}-call${i}`, c));
      // Interleave the calls' events by time, as a real log would hold them.
      const events = planned
        .flatMap((p) => p.events)
        .map((e, order) => ({ e, order }))
        .sort((a, b) => (a.e.at?.getTime() ?? 0) - (b.e.at?.getTime() ?? 0) || a.order - b.order)
        .map(({ e }) => e);
      for (const b of backends) {
        await b.store.callLog.appendMany(events);
        for (const p of planned) {
          const got = await b.store.callLog.getCall(p.call.id);
          expect(got, b.kind).toMatchObject(p.call);
          const expected = [...p.attempts].sort(
            (x, y) => x.startedAt.getTime() - y.startedAt.getTime() || x.id.localeCompare(y.id),
          );
          expect(got?.attempts, b.kind).toEqual(expected);
        }
      }
    }),
    { numRuns: 25 },
  );
});
