/**
 * The call recorder: the ONE place that writes a call's story to the call log
 * and publishes it on the live event stream. Call control tells it what
 * happened; it decides the rows and events that follow.
 *
 * A call-log sink that throws is logged and never breaks a call: the log is
 * a record of the call, not part of it.
 */
import type {
  AgentStateChanged,
  Bridge,
  CallbackAccepted,
  CallbackRetryScheduled,
  DialCallback,
  CallCompleted,
  Overflow,
  Reject,
  Ring,
} from '../../acd/index.ts';
import type { AttemptRecord } from '../dialer/ring-attempt.ts';
import type { Scheduler } from '../mechanisms/scheduler.ts';
import type { Logger } from '../ports/index.ts';
import {
  type CallEventPublisher,
  type CallLogEvent,
  type CallLogSink,
  decisionJson,
} from './call-events.ts';

/** What the recorder needs to know of a call that has just been admitted. */
export interface ArrivedCall {
  callId: string;
  departmentId: string;
  caller: string;
  dialled: string;
  sipCallId: string;
}

/** Store call-log outcome for a completed call (see src/store/call-log.ts). */
export function logOutcome(
  outcome: CallCompleted['outcome'],
  reason: string | undefined,
  exitKind: string | undefined,
): string {
  if (outcome !== 'rejected') return outcome;
  if (reason === 'out-of-hours') return 'out-of-hours';
  if (reason === 'no-agent') return 'no-agent';
  if (exitKind === 'forward') return 'overflowed';
  return 'rejected';
}

export class CallRecorder {
  constructor(
    private readonly log: CallLogSink,
    private readonly publisher: CallEventPublisher,
    private readonly scheduler: Scheduler,
    private readonly logger: Logger,
  ) {}

  /** An INVITE was admitted and handed to the engine. */
  arrived(c: ArrivedCall): void {
    this.#append({
      type: 'call.arrived',
      callId: c.callId,
      // The dialled number's department, so that a call refused before it
      // queues (out of hours...) still counts there.
      departmentId: c.departmentId,
      payload: { caller: c.caller, dialledNumber: c.dialled, sipCallId: c.sipCallId },
    });
  }

  /** The engine took the call into a queue (announced before its first ring). */
  queued(c: Omit<ArrivedCall, 'sipCallId'>): void {
    this.#append({
      type: 'call.queued',
      callId: c.callId,
      departmentId: c.departmentId,
      payload: {},
    });
    this.#publish('call.queued', {
      callId: c.callId,
      departmentId: c.departmentId,
      caller: c.caller,
      dialled: c.dialled,
    });
  }

  /** The engine chose an agent: its explanation goes into the log beside the ring. */
  routed(a: Ring): void {
    if (!a.decision) return;
    this.#append({
      type: 'call.routed',
      callId: a.callId,
      payload: { explanation: decisionJson(a.decision) },
    });
  }

  /** Call control starts the engine's ring: the agent's phones are about to be rung. */
  agentRinging(a: Ring): void {
    this.#publish('agent.ringing', {
      callId: a.callId,
      agentId: a.agentId,
      attemptId: a.attemptId,
      departmentId: a.departmentId,
    });
  }

  /** An attempt's legs were built and are being sent. */
  attemptRinging(r: AttemptRecord): void {
    const devices = r.legs.map((l) => l.device);
    this.#append({
      type: 'call.ringing',
      at: new Date(r.startedAt),
      callId: r.callId,
      agentId: r.agentId,
      payload: { attemptId: r.attemptId, device: devices.length > 0 ? devices.join(', ') : 'none' },
    });
  }

  /**
   * An attempt reached its final state. `rang` says whether its legs were
   * ever sent: an attempt that ended before that still gets its ringing row.
   */
  attemptEnded(r: AttemptRecord, rang: boolean): void {
    if (!rang) this.attemptRinging(r);
    // The answered attempt is closed by `call.answered` (its projection ends it as answered).
    if (r.result === 'answered') return;
    this.#append({
      type: 'attempt.ended',
      at: new Date(r.endedAt),
      callId: r.callId,
      agentId: r.agentId,
      payload: {
        attemptId: r.attemptId,
        result: r.result,
        ringMs: r.ringMs,
        answeredBy: r.answeredBy?.device ?? null,
        legs: r.legs.map((l) => ({
          device: l.device,
          kind: l.kind,
          state: l.state,
          status: l.status,
        })),
      },
    });
  }

  /** The engine bridged the call to the agent whose attempt answered (`answered`, if still held). */
  answered(a: Bridge, answered: AttemptRecord | null): void {
    this.#append({
      type: 'call.answered',
      callId: a.callId,
      agentId: a.agentId,
      payload: {
        attemptId: a.attemptId,
        device: answered?.answeredBy?.device ?? null,
        // The agent leg's SIP Call-ID, to find the call in a SIP trace.
        agentSipCallId: answered?.answeredSipCallId ?? null,
        ringMs: answered?.ringMs ?? null,
        waitMs: a.waitMs,
      },
    });
  }

  /** The bridge action was carried out. */
  bridged(a: Bridge): void {
    this.#publish('call.answered', {
      callId: a.callId,
      agentId: a.agentId,
      attemptId: a.attemptId,
      waitMs: a.waitMs,
    });
  }

  /** The engine sent the caller away with SIP `status`. */
  rejected(a: Reject, status: number): void {
    this.#append({
      type: 'call.rejected',
      callId: a.callId,
      payload: { reason: a.reason, exit: a.exit.kind, status },
    });
    this.#publish('call.rejected', {
      callId: a.callId,
      reason: a.reason,
      exit: a.exit.kind,
      status,
    });
  }

  /** The engine moved the call to another department's queue. */
  overflowing(a: Overflow): void {
    this.#append({
      type: 'call.overflowed',
      callId: a.callId,
      departmentId: a.toDepartmentId,
      payload: { from: a.fromDepartmentId, to: a.toDepartmentId, reason: a.reason },
    });
    this.#append({
      type: 'call.queued',
      callId: a.callId,
      departmentId: a.toDepartmentId,
      payload: {},
    });
  }

  /** The overflow action was carried out. */
  overflowed(a: Overflow): void {
    this.#publish('call.overflowed', {
      callId: a.callId,
      fromDepartmentId: a.fromDepartmentId,
      toDepartmentId: a.toDepartmentId,
      reason: a.reason,
    });
  }

  agentState(a: AgentStateChanged): void {
    this.#publish('agent.state', { agentId: a.agentId, from: a.from, to: a.to, cause: a.cause });
  }

  /**
   * The engine is done with the call. `exitKind` is the exit of the engine's
   * reject, if it rejected it; `cause` why a queued caller left on its own
   * (media: no RTP any more, or the exit key).
   */
  completed(a: CallCompleted, exitKind: string | undefined, cause: string | null): void {
    const outcome = logOutcome(a.outcome, a.reason, exitKind);
    const reason = a.reason ?? cause;
    this.#append({
      type: 'call.ended',
      callId: a.callId,
      departmentId: a.departmentId,
      agentId: a.agentId ?? null,
      payload: {
        outcome,
        waitMs: a.waitMs,
        talkMs: a.talkMs ?? null,
        ...(reason ? { reason } : {}),
      },
    });
    if (a.outcome === 'abandoned') {
      this.#publish('call.abandoned', {
        callId: a.callId,
        departmentId: a.departmentId,
        waitMs: a.waitMs,
      });
    }
    this.#publish('call.ended', {
      callId: a.callId,
      departmentId: a.departmentId,
      outcome,
      agentId: a.agentId ?? null,
      waitMs: a.waitMs,
      talkMs: a.talkMs ?? null,
      reason: reason ?? null,
    });
  }

  /** The call stays queued as a callback request (the call list marks it). */
  callbackRequested(a: CallbackAccepted): void {
    this.#append({
      type: 'call.callback-requested',
      callId: a.callId,
      departmentId: a.departmentId,
      payload: { number: a.number },
    });
    this.#publish('callback.requested', {
      callId: a.callId,
      departmentId: a.departmentId,
      number: a.number,
    });
  }

  /** An agent took a callback request; the customer is dialled (try `attempt`, from 1). */
  callbackDialing(d: DialCallback, departmentId: string, attempt: number): void {
    this.#publish('callback.dialing', {
      callId: d.callId,
      departmentId,
      agentId: d.agentId,
      attemptId: d.attemptId,
      number: d.number,
      attempt,
    });
  }

  /** The customer answered a callback and talks to the agent. */
  callbackConnected(d: DialCallback, departmentId: string, attempt: number, waitMs: number): void {
    this.#publish('callback.connected', {
      callId: d.callId,
      departmentId,
      agentId: d.agentId,
      number: d.number,
      attempt,
      waitMs,
    });
  }

  /** A callback request ended without reaching the customer. */
  callbackFailed(a: CallCompleted, number: string, failedTries: number): void {
    this.#publish('callback.failed', {
      callId: a.callId,
      departmentId: a.departmentId,
      number,
      failedTries,
      reason: a.reason ?? null,
    });
  }

  /** A callback's try did not reach the customer: the agent's answered ring ends here. */
  callbackTryEnded(d: DialCallback, cause: string): void {
    this.#append({
      type: 'attempt.ended',
      callId: d.callId,
      agentId: d.agentId,
      payload: { attemptId: d.attemptId, result: 'answered', callbackNotReached: cause },
    });
  }

  /** A callback's next try is due at `retryAt`. */
  callbackRetry(
    a: CallbackRetryScheduled,
    request: { departmentId: string; number: string } | null,
  ): void {
    const retryAt = new Date(a.retryAt).toISOString();
    this.#append({
      type: 'call.callback-retry',
      callId: a.callId,
      payload: { failedTries: a.failedTries, retryAt },
    });
    if (request) {
      this.#publish('callback.retry-scheduled', {
        callId: a.callId,
        departmentId: request.departmentId,
        number: request.number,
        failedTries: a.failedTries,
        retryAt,
      });
    }
  }

  /** The engine refused the arrival itself (an input error): the call failed at once. */
  refusedByEngine(callId: string): void {
    this.#append({ type: 'call.ended', callId, payload: { outcome: 'failed' } });
  }

  #publish: CallEventPublisher['publish'] = (type, data) => this.publisher.publish(type, data);

  #append(e: Omit<CallLogEvent, 'at'> & { at?: Date }): void {
    try {
      this.log.append({ ...e, at: e.at ?? new Date(this.scheduler.now()) });
    } catch (err) {
      this.logger.error({ err, type: e.type }, 'call log sink failed');
    }
  }
}
