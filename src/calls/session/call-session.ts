/**
 * One caller's call, from the INVITE to the last BYE.
 *
 * ```
 *           bridge (agent answered)       caller answered (200 sent)
 *   queued ─────────────────────▶ answering ──────────────────▶ connected
 *     │                             │                              │
 *     │ caller CANCEL / reject      │ caller CANCEL / answer failed │ BYE either side
 *     └─────────────────────────────┴──────────────▶ ended ◀───────┘
 * ```
 *
 * The session owns everything the call holds: the caller's INVITE, the ring
 * attempts (cancelled when the call leaves `queued`), and the bridge. `ended`
 * is reported once; `settled` resolves when every attempt, leg and dialog of
 * the call is released.
 *
 * The caller's INVITE gets exactly one final response, from `pending` only:
 *
 * ```
 *   pending ──200 sent (bridge)──────────────▶ answered
 *   pending ──non-2xx sent (reject, failure)─▶ refused
 *   pending ──caller CANCEL (487 from the SIP server)──▶ cancelled
 *   pending ──connection lost (nothing can be sent)───▶ abandoned
 * ```
 *
 * How the session lets go of what it holds:
 *
 * ```
 *   orderly ──hangUp() while answering──▶ hang-up-when-answered
 *      │                                        │
 *      └────────── connection lost ──────▶ lost ◀┘
 * ```
 *
 * `lost`: nothing is sent and only the attempts are waited for (srf never
 * settles what was pending on the dead connection).
 */
import { anchoredEndpointOf } from '../anchor/anchored-dialog.ts';
import { Bridge, type BridgeEnd } from '../bridge/bridge.ts';
import type { RingAttempt } from '../dialer/ring-attempt.ts';
import type { Scheduler } from '../mechanisms/scheduler.ts';
import type { CallDialog, InboundCall } from '../sip/sip.ts';
import { sipStatusOf } from '../sip/sip-failure.ts';
import {
  StateMachine,
  type Transition,
  type TransitionTable,
} from '../mechanisms/state-machine.ts';

export type CallState = 'queued' | 'answering' | 'connected' | 'ended';

export const CALL_TRANSITIONS: TransitionTable<CallState> = {
  queued: ['answering', 'ended'],
  answering: ['connected', 'ended'],
  connected: ['ended'],
  ended: [],
};

export type InviteState = 'pending' | 'answered' | 'refused' | 'cancelled' | 'abandoned';

export const INVITE_TRANSITIONS: TransitionTable<InviteState> = {
  pending: ['answered', 'refused', 'cancelled', 'abandoned'],
  answered: [],
  refused: [],
  cancelled: [],
  abandoned: [],
};

export type Release =
  | { kind: 'orderly' }
  | { kind: 'hang-up-when-answered'; reason: string }
  | { kind: 'lost' };

export const RELEASE_TRANSITIONS: TransitionTable<Release['kind']> = {
  orderly: ['hang-up-when-answered', 'lost'],
  'hang-up-when-answered': ['lost'],
  lost: [],
};

export interface CallInfo {
  callId: string;
  departmentId: string;
  departmentName: string;
  /** Caller's number (From user), '' when withheld. */
  caller: string;
  dialled: string;
  arrivedAt: number;
}

export interface CallEnd {
  /** Where the call was when it ended. */
  phase: Exclude<CallState, 'ended'>;
  by: 'caller' | 'agent' | 'system';
  reason: string;
  at: number;
  /** SIP status sent to the caller when the call was refused. */
  status?: number;
}

export interface SessionListener {
  ended(session: CallSession, end: CallEnd): void;
}

export class CallSession {
  readonly #fsm: StateMachine<CallState>;
  readonly #attempts = new Map<string, RingAttempt>();
  readonly #pending = new Set<Promise<void>>();
  #bridge: Bridge | null = null;
  readonly #invite: StateMachine<InviteState>;
  #release: Release = { kind: 'orderly' };
  #end: CallEnd | null = null;
  #answeredAt: number | null = null;
  #agentId: string | null = null;
  #resolveEnded!: (end: CallEnd) => void;
  /** Resolves with the end once the call has ended (its releases may still be under way). */
  readonly whenEnded: Promise<CallEnd>;
  #signalLost!: () => void;
  readonly #lostSignal = new Promise<void>((resolve) => {
    this.#signalLost = resolve;
  });

  constructor(
    readonly info: CallInfo,
    readonly inbound: InboundCall,
    private readonly scheduler: Scheduler,
    private readonly listener: SessionListener,
    onTransition?: (t: Transition<CallState>) => void,
  ) {
    this.#fsm = new StateMachine(
      `call ${info.callId}`,
      'queued',
      CALL_TRANSITIONS,
      scheduler,
      onTransition,
    );
    this.#invite = new StateMachine(
      `invite ${info.callId}`,
      'pending',
      INVITE_TRANSITIONS,
      scheduler,
    );
    this.whenEnded = new Promise((resolve) => {
      this.#resolveEnded = resolve;
    });
    inbound.onCancel(() => this.#callerCancelled());
  }

  get id(): string {
    return this.info.callId;
  }

  get state(): CallState {
    return this.#fsm.state;
  }

  get history(): readonly Transition<CallState>[] {
    return this.#fsm.history;
  }

  /** Where the caller's INVITE stands (its one final response). */
  get invite(): InviteState {
    return this.#invite.state;
  }

  get end(): CallEnd | null {
    return this.#end;
  }

  get answeredAt(): number | null {
    return this.#answeredAt;
  }

  get agentId(): string | null {
    return this.#agentId;
  }

  get bridge(): Bridge | null {
    return this.#bridge;
  }

  get attempts(): ReadonlyMap<string, RingAttempt> {
    return this.#attempts;
  }

  /** Changes the department (overflow); the call stays queued. */
  moveTo(departmentId: string, departmentName: string): void {
    this.info.departmentId = departmentId;
    this.info.departmentName = departmentName;
  }

  /** Ringback while waiting (announcements come later). */
  ring(): void {
    if (this.#fsm.is('queued') && this.#invite.is('pending')) this.inbound.progress(180, 'Ringing');
  }

  /** Tracks an attempt until it is settled; it is cancelled if the call leaves the queue. */
  addAttempt(attempt: RingAttempt): void {
    this.#attempts.set(attempt.id, attempt);
    this.#track(attempt.settled.then(() => void this.#attempts.delete(attempt.id)));
    if (!this.#fsm.is('queued')) attempt.cancel('call no longer queued');
  }

  /** The engine said `bridge`: answer the caller with the agent's SDP, then join the legs. */
  connect(attemptId: string): void {
    const attempt = this.#attempts.get(attemptId);
    if (!this.#fsm.is('queued')) {
      attempt?.dropAnswer('call already ended');
      return;
    }
    const agentDialog = attempt?.takeAnswer() ?? null;
    if (!attempt || !agentDialog) {
      // The engine and the dialer disagree: a bug, but the call must not hang.
      this.#finish(
        { phase: 'queued', by: 'system', reason: `no answer to bridge for ${attemptId}` },
        500,
      );
      return;
    }
    this.#agentId = attempt.agentId;
    this.#fsm.to('answering', `agent ${attempt.agentId} answered`);
    this.#cancelAttempts('answered elsewhere');
    this.#invite.to('answered', `agent ${attempt.agentId} answered`);
    this.#track(
      this.#answerCaller(agentDialog).then(
        (callerDialog) => this.#callerAnswered(callerDialog, agentDialog),
        (err: unknown) => {
          void agentDialog.end('caller gone before answer');
          if (this.#fsm.is('answering')) {
            const status = sipStatusOf(err);
            this.#finish({
              phase: 'answering',
              by: status === 487 ? 'caller' : 'system',
              reason:
                status === 487
                  ? 'caller cancelled as the agent answered'
                  : 'answering the caller failed',
            });
          }
        },
      ),
    );
  }

  /**
   * An anchored agent leg is bridged with the caller's endpoint in the media
   * server; any other is connected by giving the caller the agent's SDP.
   */
  #answerCaller(agentDialog: CallDialog): Promise<CallDialog> {
    if (anchoredEndpointOf(agentDialog) === null) return this.inbound.answer(agentDialog.remoteSdp);
    if (!this.inbound.answerAnchored) {
      return Promise.reject(new Error('an anchored agent leg for a caller without media'));
    }
    return this.inbound.answerAnchored(agentDialog);
  }

  /** Refuses the waiting call with a final response (reject action, shutdown). */
  reject(status: number, reason: string, headers?: Record<string, string>): void {
    if (!this.#fsm.is('queued')) return;
    this.#finish({ phase: 'queued', by: 'system', reason }, status, reason, headers);
  }

  /** Ends the call wherever it is (shutdown). */
  hangUp(reason: string): void {
    switch (this.#fsm.state) {
      case 'queued':
        this.reject(503, 'Service Unavailable');
        return;
      case 'connected':
        this.#bridge?.hangUp(reason);
        return;
      case 'answering':
        // The answer is on its way: hang up as soon as it is settled.
        this.#releaseAs({ kind: 'hang-up-when-answered', reason });
        return;
      default:
        return;
    }
  }

  /**
   * The connection to the SIP server is gone: the call ends at once wherever
   * it is, nothing is sent, and nothing is waited for (srf will never settle
   * what was pending on the dead connection).
   */
  lost(): void {
    this.#releaseAs({ kind: 'lost' });
    this.#signalLost();
    if (this.#invite.is('pending')) this.#invite.to('abandoned', 'connection lost');
    for (const a of [...this.#attempts.values()]) a.lost();
    this.#bridge?.lost();
    if (!this.#fsm.is('ended')) {
      this.#finish({
        phase: this.#fsm.state as Exclude<CallState, 'ended'>,
        by: 'system',
        reason: 'connection lost',
      });
    }
  }

  /** Resolves when every attempt, leg and dialog of the call has been released. */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) {
      if (this.#release.kind === 'lost') {
        // Only the attempts matter now (they are forced final); an answer in flight never settles.
        await Promise.all([...this.#attempts.values()].map((a) => a.settled));
        return;
      }
      await Promise.race([Promise.all([...this.#pending]), this.#lostSignal]);
    }
  }

  #callerAnswered(callerDialog: CallDialog, agentDialog: CallDialog): void {
    if (!this.#fsm.is('answering')) {
      void callerDialog.end('call ended while answering');
      void agentDialog.end('call ended while answering');
      return;
    }
    this.#answeredAt = this.scheduler.now();
    const bridge = new Bridge(callerDialog, agentDialog, this.scheduler, `bridge ${this.id}`);
    this.#bridge = bridge;
    this.#fsm.to('connected', 'caller answered');
    this.#track(bridge.closed);
    bridge.onEnded((end: BridgeEnd) => {
      if (this.#fsm.is('connected'))
        this.#finish({ phase: 'connected', by: end.by, reason: end.reason });
    });
    if (this.#release.kind === 'hang-up-when-answered') bridge.hangUp(this.#release.reason);
  }

  #callerCancelled(): void {
    // CANCEL after our 200 is answered 481 by the SIP server and never reaches us (wire §7.5).
    if (this.#fsm.is('queued')) {
      // The SIP server has already answered the INVITE with 487.
      if (this.#invite.is('pending')) this.#invite.to('cancelled', 'caller cancelled');
      this.#finish({ phase: 'queued', by: 'caller', reason: 'caller cancelled' });
    }
    // In `answering` srf rejects the pending answer with 487: handled in connect().
  }

  #finish(
    end: Omit<CallEnd, 'at' | 'status'>,
    status?: number,
    reason?: string,
    headers?: Record<string, string>,
  ): void {
    const phase = this.#fsm.state;
    if (phase === 'ended') return;
    this.#fsm.to('ended', end.reason);
    this.#cancelAttempts(end.reason);
    if (this.#invite.is('pending')) {
      this.#invite.to('refused', end.reason);
      this.inbound.reject(status ?? 480, reason ?? 'Temporarily Unavailable', headers);
    }
    this.#end = { ...end, at: this.scheduler.now(), ...(status ? { status } : {}) };
    this.listener.ended(this, this.#end);
    this.#resolveEnded(this.#end);
  }

  #releaseAs(next: Release): void {
    if (RELEASE_TRANSITIONS[this.#release.kind].includes(next.kind)) this.#release = next;
  }

  #cancelAttempts(reason: string): void {
    for (const a of [...this.#attempts.values()]) a.cancel(reason);
  }

  #track(p: Promise<void>): void {
    const tracked = p.finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }
}
