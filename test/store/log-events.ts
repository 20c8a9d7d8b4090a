/** Call-log events the store tests write by hand, built from their fields. */
import type { LogEventInput } from '../../src/store/index.ts';

/** A ring attempt that ended without an answer (`attempt.ended`). */
export function missed(callId: string, attemptId: string, at: Date, result: string): LogEventInput {
  return { type: 'attempt.ended', callId, at, payload: { attemptId, result } };
}

/** The call answered by `agentId` on ring attempt `attemptId`. */
export function answered(
  callId: string,
  attemptId: string,
  agentId: string,
  at: Date,
): LogEventInput {
  return { type: 'call.answered', callId, agentId, at, payload: { attemptId } };
}
