/**
 * The calls this process holds: one entry per call, from its admission until
 * everything its session held is released, plus the ring attempts not yet
 * released and whatever else is still being let go.
 *
 * An entry's phase:
 *
 * ```
 *   live ──session ended──▶ releasing ──last release done──▶ (forgotten)
 * ```
 *
 * and the engine's standing towards the call:
 *
 * ```
 *   routed ──engine rejected it / refused its arrival──▶ refused
 *     │  └──the caller became a callback request──▶ callback   │
 *     │                                                │       │
 *     └──────────────── engine completed it ──────▶ completed ◀┘
 * ```
 *
 * The end of a `refused` call's session is not reported to the engine (it
 * ended the call itself), nor that of a `callback` (the caller hangs up by
 * design; the request lives on in the engine); every other end is. A reject's exit kind is kept
 * with the standing until the engine completes the call (the call log's
 * outcome).
 */
import type { RingAttempt } from '../dialer/ring-attempt.ts';
import type { TransitionTable } from '../mechanisms/state-machine.ts';
import type { CallEnd, CallSession } from './call-session.ts';

export type CallPhase = 'live' | 'releasing';

export const CALL_PHASES: TransitionTable<CallPhase> = {
  live: ['releasing'],
  releasing: [],
};

export type EngineStanding =
  | { kind: 'routed' }
  | { kind: 'refused'; exit: string | null }
  | { kind: 'callback' }
  | { kind: 'completed' };

export const ENGINE_STANDINGS: TransitionTable<EngineStanding['kind']> = {
  routed: ['refused', 'callback', 'completed'],
  refused: ['completed'],
  callback: ['completed'],
  completed: [],
};

interface CallEntry {
  readonly session: CallSession;
  phase: CallPhase;
  standing: EngineStanding;
}

/** Told once per call when its session ends, unless the engine ended it itself. */
export type SessionEndReport = (session: CallSession, end: CallEnd) => void;

export class CallBook {
  /** Every entry, by call id. */
  readonly #entries = new Map<string, CallEntry>();
  /** The live entries' sessions: the same entries, indexed for the hot paths. */
  readonly #live = new Map<string, CallSession>();
  readonly #attempts = new Map<string, RingAttempt>();
  /** Everything still being released (ended sessions' last BYEs, cancelled legs, pauses). */
  readonly #releasing = new Set<Promise<void>>();

  constructor(private readonly report: SessionEndReport) {}

  /** Live calls. */
  get sessions(): ReadonlyMap<string, CallSession> {
    return this.#live;
  }

  /** Ring attempts not yet released. */
  get attempts(): ReadonlyMap<string, RingAttempt> {
    return this.#attempts;
  }

  /** The live session of `callId`, if any. */
  live(callId: string): CallSession | undefined {
    return this.#live.get(callId);
  }

  /** True while a session of this process holds the call (live, or ended with releases under way). */
  carries(callId: string): boolean {
    return this.#entries.has(callId);
  }

  /** Takes a new session in; its end is reported through the book's `SessionListener`. */
  open(session: CallSession): void {
    this.#entries.set(session.id, { session, phase: 'live', standing: { kind: 'routed' } });
    this.#live.set(session.id, session);
  }

  /** The session listener for sessions this book holds. */
  readonly listener = {
    ended: (session: CallSession, end: CallEnd): void => this.#ended(session, end),
  };

  /** The engine rejected the call or refused its arrival: its end is not reported back. */
  refuse(callId: string, exit: string | null): void {
    this.#stand(callId, { kind: 'refused', exit });
  }

  /** The caller became a callback request: the end of its session is not the call's end. */
  handOver(callId: string): void {
    this.#stand(callId, { kind: 'callback' });
  }

  /**
   * The engine completed the call; returns the exit kind of its reject, if
   * it rejected it. The engine has forgotten the call: a later end of the
   * session is reported (and ignored there).
   */
  complete(callId: string): string | undefined {
    const standing = this.#entries.get(callId)?.standing;
    this.#stand(callId, { kind: 'completed' });
    return standing?.kind === 'refused' ? (standing.exit ?? undefined) : undefined;
  }

  /** Tracks a ring attempt until it is released. */
  addAttempt(attempt: RingAttempt): void {
    this.#attempts.set(attempt.id, attempt);
    this.hold(attempt.settled.then(() => void this.#attempts.delete(attempt.id)));
  }

  attempt(attemptId: string): RingAttempt | undefined {
    return this.#attempts.get(attemptId);
  }

  /** Every session of the book, live or releasing (connection lost: each is forced to its end). */
  allSessions(): CallSession[] {
    return [...this.#entries.values()].map((e) => e.session);
  }

  /** Keeps `p` until it settles: `settled()` waits for it. */
  hold(p: Promise<void>): void {
    const held = p.finally(() => this.#releasing.delete(held));
    this.#releasing.add(held);
  }

  /** Resolves when no call is live and nothing of an ended call is left to release. */
  async settled(): Promise<void> {
    while (this.#live.size > 0 || this.#releasing.size > 0) {
      await Promise.all([...this.#releasing, ...[...this.#live.values()].map((s) => s.whenEnded)]);
    }
  }

  #stand(callId: string, next: EngineStanding): void {
    const entry = this.#entries.get(callId);
    if (entry && ENGINE_STANDINGS[entry.standing.kind].includes(next.kind)) entry.standing = next;
  }

  #ended(session: CallSession, end: CallEnd): void {
    const entry = this.#entries.get(session.id);
    if (!entry || !CALL_PHASES[entry.phase].includes('releasing')) return;
    entry.phase = 'releasing';
    this.#live.delete(session.id);
    this.hold(session.settled().then(() => void this.#entries.delete(session.id)));
    if (entry.standing.kind === 'routed' || entry.standing.kind === 'completed') {
      this.report(session, end);
    }
  }
}
