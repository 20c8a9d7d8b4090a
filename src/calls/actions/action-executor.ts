/**
 * Carries out the engine's actions on the calls this process holds:
 *
 *   ring ─▶ RingAttempt (legs from the forwarding plan) ─▶ agentAnswered / ringFailed
 *   cancelRing / dropLateAnswer ─▶ the attempt concerned
 *   bridge ─▶ the session answers the caller with the agent's SDP and joins the legs
 *   reject / overflow / announce ─▶ the session (and the caller's media)
 *   pauseAgent ─▶ the agent's stored status
 *
 * What each action means for the call log and the live stream is the
 * recorder's: the executor tells it, in the order things happen.
 */
import type {
  AgentStateChanged,
  Announce,
  Bridge,
  CallbackAccepted,
  CallbackRetryScheduled,
  CallCompleted,
  CancelRing,
  DialCallback,
  DropLateAnswer,
  EndCallbackDial,
  HangUp,
  Overflow,
  PauseAgent,
  Reject,
  Ring,
} from '../../acd/index.ts';
import type { CallbackDesk } from '../callback/callback-desk.ts';
import { andThen, type ForwardingSource } from '../dialer/forwarding-source.ts';
import { legSpecs } from '../dialer/leg-specs.ts';
import { type AttemptListener, RingAttempt } from '../dialer/ring-attempt.ts';
import type { CallOperations, DriverEvent } from '../engine/engine-driver.ts';
import type { Scheduler } from '../mechanisms/scheduler.ts';
import type { CallerMedia } from '../media/caller-media.ts';
import type { Logger } from '../ports/index.ts';
import type { CallRecorder } from '../recorder/call-recorder.ts';
import type { CallBook } from '../session/call-book.ts';
import type { SipUac } from '../sip/sip.ts';
import { exitResponse } from './exit-response.ts';

/** Persists the engine's automatic pause (status away, reason missed-rings). */
export interface AgentStatusWriter {
  pause(agentId: string, reason: 'missed-rings', missedRings: number): Promise<void>;
}

export interface ActionExecutorOptions {
  book: CallBook;
  recorder: CallRecorder;
  /** Feeds what the attempts report back to the engine. */
  send: (event: DriverEvent) => void;
  uac: SipUac;
  forwarding: ForwardingSource;
  scheduler: Scheduler;
  logger: Logger;
  agentStatus?: AgentStatusWriter;
  /** Department name for caller ID after an overflow (default: the id). */
  departmentName?: (departmentId: string) => string | undefined;
  /** Outbound trunk, for `forward` exits (302 to the number through the trunk). */
  trunkUri?: string | null;
  media?: CallerMedia;
  /** Callback requests (absent: callbacks are off and the engine has none). */
  callbacks?: CallbackDesk;
}

export class ActionExecutor implements CallOperations {
  constructor(private readonly o: ActionExecutorOptions) {}

  ring(a: Ring): void {
    const { book, recorder } = this.o;
    recorder.routed(a);
    // Published before the INVITEs are built: the stream (and the load
    // benchmark's ring latency) sees the moment the agent was chosen.
    recorder.agentRinging(a);
    if (a.callbackNumber !== undefined) {
      if (this.o.callbacks) this.o.callbacks.ring(a, this.#attemptListener);
      else this.o.send({ type: 'ringFailed', attemptId: a.attemptId, cause: 'unreachable' });
      return;
    }
    const session = book.live(a.callId);
    if (session?.state !== 'queued') {
      // The engine offered a call we no longer hold: let it roll over at once.
      this.o.send({ type: 'ringFailed', attemptId: a.attemptId, cause: 'unreachable' });
      return;
    }
    const attempt = new RingAttempt({
      attemptId: a.attemptId,
      callId: a.callId,
      agentId: a.agentId,
      uac: this.o.uac,
      scheduler: this.o.scheduler,
      listener: this.#attemptListener,
      onTransition: (what, t) =>
        this.o.logger.debug(
          { callId: a.callId, what, from: t.from, to: t.to, cause: t.cause },
          'transition',
        ),
    });
    book.addAttempt(attempt);
    session.addAttempt(attempt);
    const info = session.info;
    const anchoring = this.o.media?.anchoring(a.callId) ?? null;
    attempt.start(() =>
      andThen(this.o.forwarding.planFor(a.agentId), (plan) =>
        legSpecs(plan, {
          caller: info.caller,
          departmentName: info.departmentName,
          sdp: session.inbound.sdp,
          anchoring,
        }),
      ),
    );
  }

  cancelRing(a: CancelRing): void {
    this.o.book.attempt(a.attemptId)?.cancel(a.reason);
  }

  bridge(a: Bridge): void {
    const { book, recorder } = this.o;
    const session = book.live(a.callId);
    if (!session) {
      book.attempt(a.attemptId)?.dropAnswer('call gone');
      this.o.send({ type: 'callEnded', callId: a.callId });
    } else {
      recorder.answered(a, book.attempt(a.attemptId)?.record() ?? null);
      session.connect(a.attemptId);
    }
    recorder.bridged(a);
  }

  /** The call reached its department's maximum duration: both legs are hung up. */
  hangUp(a: HangUp): void {
    const session = this.o.book.live(a.callId);
    if (!session) {
      this.o.callbacks?.hangUp(a.callId, a.reason);
      return;
    }
    this.o.logger.warn(
      { callId: a.callId, reason: a.reason },
      'hanging up a call at its maximum duration',
    );
    session.hangUp(a.reason);
  }

  dropLateAnswer(a: DropLateAnswer): void {
    this.o.book.attempt(a.attemptId)?.dropAnswer('late answer');
  }

  reject(a: Reject): void {
    const { book } = this.o;
    const session = book.live(a.callId);
    book.refuse(a.callId, a.exit.kind);
    const r = exitResponse(a, this.o.trunkUri ?? null);
    this.o.recorder.rejected(a, r.status);
    if (!session) return;
    this.o.media?.exiting(a.callId, a.reason, a.exit.kind);
    session.reject(r.status, r.reason, r.headers);
  }

  overflow(a: Overflow): void {
    this.o.recorder.overflowing(a);
    this.o.book
      .live(a.callId)
      ?.moveTo(a.toDepartmentId, this.o.departmentName?.(a.toDepartmentId) ?? a.toDepartmentId);
    this.o.media?.moved(a.callId, a.toDepartmentId);
    this.o.recorder.overflowed(a);
  }

  announce(a: Announce): void {
    // Without media the caller hears ringback and the announcement is only logged.
    this.o.media?.announce(a.callId, a.position, a.expectedWaitS);
    this.o.logger.debug(
      { callId: a.callId, position: a.position, expectedWaitS: a.expectedWaitS },
      'announce',
    );
  }

  pauseAgent(a: PauseAgent): void {
    const writer = this.o.agentStatus;
    if (!writer) return;
    this.o.book.hold(
      writer.pause(a.agentId, a.reason, a.missedRings).catch((err: unknown) => {
        this.o.logger.error({ err, agentId: a.agentId }, 'could not persist automatic pause');
      }),
    );
  }

  agentStateChanged(a: AgentStateChanged): void {
    this.o.recorder.agentState(a);
  }

  callbackAccepted(a: CallbackAccepted): void {
    this.o.callbacks?.accepted(a);
  }

  dialCallback(a: DialCallback): void {
    if (this.o.callbacks) this.o.callbacks.dial(a);
    else this.o.send({ type: 'callbackNotReached', callId: a.callId, cause: 'no callbacks' });
  }

  endCallbackDial(a: EndCallbackDial): void {
    this.o.callbacks?.endDial(a);
  }

  callbackRetryScheduled(a: CallbackRetryScheduled): void {
    this.o.callbacks?.retryScheduled(a);
  }

  callCompleted(a: CallCompleted): void {
    this.o.callbacks?.completed(a);
    // Why a queued caller left on its own: no RTP any more, or the exit key.
    const cause = this.o.media?.completed(a.callId) ?? null;
    this.o.recorder.completed(a, this.o.book.complete(a.callId), cause);
  }

  readonly #attemptListener: AttemptListener = {
    answered: (att) => this.o.send({ type: 'agentAnswered', attemptId: att.id }),
    failed: (att, cause) => this.o.send({ type: 'ringFailed', attemptId: att.id, cause }),
    ended: (att, record) => this.o.recorder.attemptEnded(record, att.rang),
    legsStarted: (att) => this.o.recorder.attemptRinging(att.record()),
  };
}
