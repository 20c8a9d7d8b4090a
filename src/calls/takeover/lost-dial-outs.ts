/**
 * Dial-outs to numbers that a dead instance may have left ringing.
 *
 * A leader that dies while one of its INVITEs to a number (a callback's
 * customer, an agent's mobile) is still unanswered leaves that INVITE's
 * transaction at the SIP server, which belonged to the dead app's
 * connection: no other app can cancel it, and the engine timer that would
 * have stopped it at the department's ring timeout died with the leader.
 * What stops it then is the far end giving up or the SIP server's Timer C
 * (RFC 3261 §16.6 item 11; drachtio-server and the embedded server CANCEL an
 * INVITE that had no final response for Timer C, 185 s by default, counted
 * again from each provisional response). So the number may ring until the
 * INVITE left + Timer C + `RING_BOUND_MARGIN_MS`, and whoever dials it again
 * before then may ring the same phone twice at once.
 *
 * The source is the open-legs journal (journaled-uac.ts): its row is written
 * before the INVITE leaves and deleted when the leg ends, so an orphaned row
 * is an INVITE whose end nobody saw. The call log is no substitute: it is
 * written in batches and may have stayed in the dead process's memory.
 */
import type { LegHangUp } from './orphan-legs.ts';

/**
 * Added to Timer C: the journal row is written up to `JOURNAL_WAIT_MS`
 * before the INVITE leaves, Timer C restarts with each provisional response
 * (a trunk's 100 Trying, then its 180 or 183 a few seconds later), and the
 * CANCEL then has to reach the phone.
 */
export const RING_BOUND_MARGIN_MS = 10_000;

export interface LostDialOut {
  /** The E.164 number the INVITE went to. */
  number: string;
  /** Until when the INVITE may still ring (epoch ms, this process's clock). */
  mayRingUntil: number;
}

/** A journalled leg of a dead instance and what its takeover BYE found. */
export interface EndedLeg {
  /** The leg's Request-URI. */
  target: string;
  /** How long before `readAt` the leg was journalled. */
  ageMs: number;
  bye: LegHangUp;
}

/** The E.164 number a Request-URI dials (`sip:+49...@trunk`), or null (a softphone's contact). */
export function dialledNumber(target: string): string | null {
  const m = /^sips?:(\+[1-9][0-9]{1,14})@/i.exec(target.trim());
  return m?.[1] ?? null;
}

/**
 * The legs that may still ring a number. A leg whose BYE was answered with a
 * 2xx was an established dialog (the SIP server sends such a BYE only inside
 * a confirmed dialog) and is over now; every other one may still be an
 * unanswered INVITE, or already gone, which cannot be told apart.
 */
export function lostDialOuts(
  legs: readonly EndedLeg[],
  timerCMs: number,
  readAt: number,
): LostDialOut[] {
  const lost: LostDialOut[] = [];
  for (const leg of legs) {
    const number = dialledNumber(leg.target);
    if (number === null) continue;
    if (leg.bye.kind === 'answered' && leg.bye.status >= 200 && leg.bye.status < 300) continue;
    const mayRingUntil = readAt - leg.ageMs + timerCMs + RING_BOUND_MARGIN_MS;
    if (mayRingUntil > readAt) lost.push({ number, mayRingUntil });
  }
  return lost;
}

/**
 * The lost dial-outs of the takeovers so far, filled by the leadership layer
 * before it opens the routing gate and read by call control when it queues
 * the stored callback requests.
 */
export class LostDialOutBook {
  readonly #until = new Map<string, number>();

  /** Keeps `lost`, and forgets the numbers whose time is over by `now` (none were asked about). */
  add(lost: readonly LostDialOut[], now: number): void {
    for (const [number, until] of this.#until) if (until <= now) this.#until.delete(number);
    for (const l of lost) {
      this.#until.set(l.number, Math.max(l.mayRingUntil, this.#until.get(l.number) ?? 0));
    }
  }

  /** Until when an INVITE of a dead instance may still ring `number`, or null when none may. */
  ringingUntil(number: string, now: number): number | null {
    const until = this.#until.get(number);
    if (until === undefined) return null;
    if (until > now) return until;
    this.#until.delete(number);
    return null;
  }
}
