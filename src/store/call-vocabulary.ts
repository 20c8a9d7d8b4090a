/**
 * The words the call log stores: how a call ended (`calls.outcome`), how a
 * ring attempt ended (`call_attempts.result`) and who changed an agent's
 * status. These lists are the source; the database checks the same values
 * (`call_log_values()`, last defined in sql/0013_anchored_calls.sql, kept equal to them by
 * test/store/call-vocabulary.test.ts), the API validates with them, and the
 * reports group by them.
 *
 * The routing engine has its own, smaller words for how a call left it
 * (acd `CallOutcome`); calls/ maps those onto these.
 */

/** How a call ended, as the call log keeps it. */
export const CALL_OUTCOMES = [
  'answered',
  'abandoned',
  'overflowed',
  'out-of-hours',
  'no-agent',
  'rejected',
  'failed',
  // A callback request whose customer was not reached after every retry.
  'callback-failed',
] as const;
export type CallLogOutcome = (typeof CALL_OUTCOMES)[number];

/** Calls that never reached a queue: they are neither offered nor missed. */
export const UNQUEUED_OUTCOMES = [
  'out-of-hours',
  'rejected',
] as const satisfies readonly CallLogOutcome[];

/** How a ring attempt ended, as the call log keeps it. */
export const ATTEMPT_RESULTS = [
  'answered',
  'no-answer',
  'busy',
  'declined',
  'unreachable',
  'cancelled',
  'failed',
  // A device answered but nobody accepted the call with 1 (human-answer check).
  'not-accepted',
] as const;
export type CallLogAttemptResult = (typeof ATTEMPT_RESULTS)[number];

/**
 * Rings the agent missed: ended neither answered nor cancelled (a cancelled
 * ring ended because the caller left or someone else answered).
 */
export const MISSED_RING_RESULTS = [
  'no-answer',
  'busy',
  'declined',
  'unreachable',
  'failed',
  'not-accepted',
] as const satisfies readonly CallLogAttemptResult[];

/** Who changed an agent's status: the agent, an admin (API) or the system. */
export const STATUS_SOURCES = ['agent', 'admin', 'system'] as const;
export type StatusSource = (typeof STATUS_SOURCES)[number];

/** `'a', 'b'`: a list of these words for an SQL `IN (...)`. */
export function sqlList(words: readonly string[]): string {
  return words.map((w) => `'${w}'`).join(', ');
}
