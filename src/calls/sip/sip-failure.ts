/**
 * The ONE place where SIP failures become call-control outcomes.
 *
 * srf rejects `createUAC` with a `SipError` carrying the final status, or with
 * a plain Error when the request could not be sent at all (transport failure,
 * no connection to the SIP server). drachtio reports an unreachable UDP peer as
 * a locally generated 408 (Timer B) and a refused one as 503.
 */

/** Why one leg (one INVITE) ended without an answer. */
export type LegFailure =
  | 'busy'
  | 'declined'
  | 'unreachable'
  | 'no-answer'
  | 'not-accepted'
  | 'cancelled'
  | 'failed';

/**
 * A leg that answered but was not accepted by a person: the human-answer
 * check heard no 1 in time (a carrier's voicemail, a pocket answer). Counts
 * as no answer for the routing engine; the call log says `not-accepted`.
 */
export class NotAcceptedError extends Error {
  override name = 'NotAcceptedError';
  readonly failure = 'not-accepted';
}

export interface ClassifiedFailure {
  /** Final SIP status, or null when no response came (transport error, bug). */
  status: number | null;
  failure: LegFailure;
}

/** srf's SipError, recognised by shape (srf exports it only as a CommonJS class). */
export function sipStatusOf(err: unknown): number | null {
  if (typeof err !== 'object' || err === null) return null;
  const status = (err as { status?: unknown }).status;
  return typeof status === 'number' && status >= 300 && status < 700 ? status : null;
}

export function classifyUacFailure(err: unknown): ClassifiedFailure {
  if (err instanceof NotAcceptedError) return { status: null, failure: 'not-accepted' };
  const status = sipStatusOf(err);
  if (status === null) return { status, failure: 'unreachable' };
  return { status, failure: failureForStatus(status) };
}

function failureForStatus(status: number): LegFailure {
  switch (status) {
    case 486:
    case 600:
      return 'busy';
    case 603:
      return 'declined';
    case 408:
    case 480:
    case 503:
      return 'unreachable';
    // Request Terminated: our own CANCEL, or the SIP server's Timer C on a ring nobody answered.
    case 487:
      return 'cancelled';
    default:
      // 404 (no such device), 5xx and the rest: the device cannot take calls now.
      return status >= 400 && status < 700 ? 'failed' : 'unreachable';
  }
}

/** Engine's view of a failed ring: the most telling leg failure wins. */
export type RingFailureCause = 'no-answer' | 'busy' | 'declined' | 'unreachable';

const WEIGHT: Record<LegFailure, number> = {
  declined: 5,
  busy: 4,
  // Picked up, then no 1: more telling than plain silence, less than a refusal.
  'not-accepted': 3.5,
  'no-answer': 3,
  cancelled: 2,
  unreachable: 1,
  failed: 0,
};

/**
 * Sums up the legs of an attempt that all failed: an agent who declined on one
 * device declined the call; busy beats silence; unreachable is the fallback.
 */
export function ringFailureOf(legs: readonly LegFailure[]): RingFailureCause {
  const best = attemptFailureOf(legs);
  return best === 'not-accepted' ? 'no-answer' : best;
}

/** As `ringFailureOf`, keeping `not-accepted` apart (the call log's word for the attempt). */
export function attemptFailureOf(legs: readonly LegFailure[]): RingFailureCause | 'not-accepted' {
  let best: LegFailure = 'failed';
  for (const f of legs) if (WEIGHT[f] > WEIGHT[best]) best = f;
  switch (best) {
    case 'not-accepted':
    case 'declined':
    case 'busy':
    case 'no-answer':
    case 'unreachable':
      return best;
    case 'cancelled':
      return 'no-answer';
    default:
      return 'unreachable';
  }
}
