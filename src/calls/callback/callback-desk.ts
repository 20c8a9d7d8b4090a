/**
 * Call control's side of callback requests: what the engine's callback
 * actions mean for SIP, media, the call log and the stored requests.
 *
 *   request (caller's menu) ─▶ engine `callbackRequested` ─▶ callbackAccepted: stored, logged
 *   ring with callbackNumber ─▶ CallbackCall (agent endpoint) + RingAttempt ("Callback <number>")
 *   dialCallback ─▶ the try dials the customer ─▶ reached / notReached ─▶ engine
 *   endCallbackDial ─▶ the try stops       callbackRetryScheduled ─▶ stored
 *   callCompleted of a request ─▶ stored as reached or failed
 *   restore (start, takeover) ─▶ callbackRestored; held first while a dead
 *                                instance's INVITE may still ring the customer
 *
 * A request is held here from its acceptance until the engine completes it
 * (`carries`), so reconcile and the restart's clean-up leave it alone.
 */
import type {
  CallbackAccepted,
  CallbackRetryScheduled,
  CallCompleted,
  DialCallback,
  EndCallbackDial,
  Ring,
} from '../../acd/index.ts';
import { quotedDisplayName } from '../dialer/caller-id.ts';
import { andThen, type ForwardingSource } from '../dialer/forwarding-source.ts';
import { trunkTarget } from '../dialer/forwarding-plan.ts';
import { legSpecs } from '../dialer/leg-specs.ts';
import { type AttemptListener, RingAttempt } from '../dialer/ring-attempt.ts';
import type { DriverEvent } from '../engine/engine-driver.ts';
import type { Scheduler } from '../mechanisms/scheduler.ts';
import type { MrfMediaServer } from '../media/mrf-types.ts';
import type { Logger } from '../ports/index.ts';
import type { CallRecorder } from '../recorder/call-recorder.ts';
import type { CallBook } from '../session/call-book.ts';
import type { SipUac } from '../sip/sip.ts';
import { CallbackCall, type CallbackCallListener } from './callback-call.ts';
import { CallbackHold } from './callback-hold.ts';
import { TrackedWork } from '../mechanisms/tracked-work.ts';

/** Where requests are kept across restarts (the store's `callbacks` repository). */
export interface CallbackStorePort {
  create(r: {
    callId: string;
    departmentId: string;
    number: string;
    arrivedAt: Date;
  }): Promise<void>;
  retryScheduled(callId: string, failedTries: number, retryAt: Date): Promise<void>;
  close(callId: string, end: 'reached' | 'failed'): Promise<void>;
}

/** A stored request to put back into its queue. */
export interface PendingCallback {
  callId: string;
  departmentId: string;
  number: string;
  arrivedAt: Date;
  failedTries: number;
  retryAt: Date | null;
  /** Ring attempts its call already has in the log. */
  attemptsMade: number;
}

export interface CallbackDeskOptions {
  send(event: DriverEvent): void;
  book: CallBook;
  recorder: CallRecorder;
  uac: SipUac;
  forwarding: ForwardingSource;
  scheduler: Scheduler;
  logger: Logger;
  /** The connected media server (null while there is none). */
  media(): MrfMediaServer | null;
  trunkUri: string | null;
  /** The toll-fraud check (the mobile allow-list's rules). */
  allowed(number: string): boolean;
  departmentName(departmentId: string): string;
  store?: CallbackStorePort;
  /** Told when a waiting caller's media is no longer the call's (it became a request). */
  callerTaken?(callId: string): void;
  /**
   * Until when (epoch ms) an INVITE that a dead instance sent to `number`
   * may still ring, or null when none may (takeover/lost-dial-outs.ts).
   */
  lostDialOutUntil?(number: string): number | null;
}

interface HeldRequest {
  departmentId: string;
  number: string;
  arrivedAt: number;
  /** The try in progress (ringing the agent, dialling or connected). */
  call: CallbackCall | null;
  /** The agent's ring of that try. */
  attempt: RingAttempt | null;
  dialing: DialCallback | null;
  /**
   * Customer dial-outs so far (from the stored failed tries after a restart):
   * every one but a connected last one failed.
   */
  tries: number;
}

export class CallbackDesk {
  readonly #requests = new Map<string, HeldRequest>();
  readonly #releasing = new TrackedWork();
  readonly #ringHold: CallbackHold;
  #asking: { callId: string; accepted: boolean } | null = null;

  constructor(private readonly o: CallbackDeskOptions) {
    this.#ringHold = new CallbackHold(o.scheduler);
  }

  /** True while the engine holds the request (queued, ringing, dialling, waiting to retry, connected). */
  carries(callId: string): boolean {
    return this.#requests.has(callId);
  }

  /** Requests held (tests, leak checks). */
  get requests(): number {
    return this.#requests.size;
  }

  /** Stored requests held back from the queue, their customer maybe still rung (leak checks). */
  get held(): number {
    return this.#ringHold.size;
  }

  /** Endpoints held by tries (leak checks). */
  get endpoints(): number {
    let n = 0;
    for (const r of this.#requests.values()) n += r.call?.endpoints ?? 0;
    return n;
  }

  /** The caller's menu asks for a callback; true when the engine keeps the call as a request. */
  request(callId: string, number: string): boolean {
    this.#asking = { callId, accepted: false };
    try {
      this.o.send({ type: 'callbackRequested', callId, number });
      return this.#asking.accepted;
    } finally {
      this.#asking = null;
    }
  }

  /**
   * Stored requests back into their queues, in the order they were made. A
   * request whose customer a dead instance's INVITE may still ring is held
   * until that INVITE is over, then queued: its place (the arrival time) is
   * kept, so it is still ahead of every later caller.
   */
  restore(pending: readonly PendingCallback[]): void {
    const fresh = pending.filter((p) => !this.#requests.has(p.callId));
    let held = 0;
    for (const p of fresh) {
      this.#requests.set(p.callId, {
        departmentId: p.departmentId,
        number: p.number,
        arrivedAt: p.arrivedAt.getTime(),
        call: null,
        attempt: null,
        dialing: null,
        tries: p.failedTries,
      });
      const until = this.o.lostDialOutUntil?.(p.number) ?? null;
      if (until === null) {
        this.#queueRestored(p);
        continue;
      }
      held++;
      this.o.logger.info(
        { callId: p.callId, number: p.number, until: new Date(until).toISOString() },
        'callback: held; a lost dial-out of a dead instance may still ring the customer',
      );
      this.#ringHold.hold(p.callId, until, () => {
        this.o.logger.info({ callId: p.callId }, 'callback: hold over; queued again');
        this.#queueRestored(p);
      });
    }
    if (fresh.length > 0) {
      this.o.logger.info(
        { requests: fresh.length - held, held },
        'callback: stored requests queued again',
      );
    }
  }

  #queueRestored(p: PendingCallback): void {
    this.o.send({
      type: 'callbackRestored',
      callId: p.callId,
      departmentId: p.departmentId,
      number: p.number,
      arrivedAt: p.arrivedAt.getTime(),
      failedTries: p.failedTries,
      retryAt: p.retryAt ? p.retryAt.getTime() : null,
      attemptsMade: p.attemptsMade,
    });
  }

  accepted(a: CallbackAccepted): void {
    if (this.#asking?.callId === a.callId) this.#asking.accepted = true;
    this.#requests.set(a.callId, {
      departmentId: a.departmentId,
      number: a.number,
      arrivedAt: a.arrivedAt,
      call: null,
      attempt: null,
      dialing: null,
      tries: 0,
    });
    this.o.book.handOver(a.callId);
    this.o.callerTaken?.(a.callId);
    this.o.recorder.callbackRequested(a);
    this.#store((s) =>
      s.create({
        callId: a.callId,
        departmentId: a.departmentId,
        number: a.number,
        arrivedAt: new Date(a.arrivedAt),
      }),
    );
  }

  /** The engine offers the request to an agent: rung with "Callback <number>" from an endpoint. */
  ring(a: Ring, listener: AttemptListener): void {
    const request = this.#requests.get(a.callId);
    const media = this.o.media();
    const trunk = this.o.trunkUri;
    if (!request || !media || !trunk) {
      this.o.logger.warn({ callId: a.callId }, 'callback: cannot ring (no media server or trunk)');
      this.o.send({ type: 'ringFailed', attemptId: a.attemptId, cause: 'unreachable' });
      return;
    }
    const number = request.number;
    const departmentName = this.o.departmentName(a.departmentId);
    const call = new CallbackCall({
      callId: a.callId,
      number,
      media,
      uac: this.o.uac,
      scheduler: this.o.scheduler,
      logger: this.o.logger,
      customerUri: trunkTarget(trunk, number),
      customerFrom: `${quotedDisplayName(departmentName)} <sip:callback@localhost>`,
      allowed: (n) => this.o.allowed(n),
      listener: this.#tryListener,
    });
    request.call = call;
    request.dialing = null;
    this.#hold(call);
    const attempt = new RingAttempt({
      attemptId: a.attemptId,
      callId: a.callId,
      agentId: a.agentId,
      uac: this.o.uac,
      scheduler: this.o.scheduler,
      listener,
    });
    request.attempt = attempt;
    this.o.book.addAttempt(attempt);
    attempt.start(() =>
      call.agentOffer().then((sdp) =>
        andThen(this.o.forwarding.planFor(a.agentId), (plan) =>
          legSpecs(plan, {
            caller: number,
            departmentName,
            sdp,
            displayName: `Callback ${number}`,
          }),
        ),
      ),
    );
    void attempt.settled.then(() => call.ringEnded());
  }

  /** The agent answered: the try takes the agent's dialog and dials the customer. */
  dial(a: DialCallback): void {
    const request = this.#requests.get(a.callId);
    const dialog = this.o.book.attempt(a.attemptId)?.takeAnswer() ?? null;
    const call = request?.call ?? null;
    if (!request || !call || !dialog) {
      if (dialog) void dialog.end('callback gone');
      this.o.send({ type: 'callbackNotReached', callId: a.callId, cause: 'no agent leg' });
      return;
    }
    request.dialing = a;
    request.tries += 1;
    this.o.recorder.callbackDialing(a, request.departmentId, request.tries);
    this.o.logger.info(
      { callId: a.callId, agentId: a.agentId, number: a.number },
      'callback: agent answered; dialling the customer',
    );
    call.dial(dialog);
  }

  endDial(a: EndCallbackDial): void {
    this.#requests.get(a.callId)?.call?.stop(`dial ${a.reason}`);
  }

  /** The engine hangs up a connected callback (maximum duration). */
  hangUp(callId: string, reason: string): void {
    this.#requests.get(callId)?.call?.stop(reason);
  }

  retryScheduled(a: CallbackRetryScheduled): void {
    const request = this.#requests.get(a.callId);
    this.o.recorder.callbackRetry(a, request ?? null);
    this.#store((s) => s.retryScheduled(a.callId, a.failedTries, new Date(a.retryAt)));
  }

  /** The engine completed a call; a request's stored row is closed. */
  completed(a: CallCompleted): void {
    const request = this.#requests.get(a.callId);
    if (!request) return;
    this.#requests.delete(a.callId);
    request.call?.stop('callback completed');
    const end = a.outcome === 'answered' ? 'reached' : 'failed';
    if (end === 'failed') {
      this.o.recorder.callbackFailed(a, request.number, request.tries);
    }
    this.o.logger.info({ callId: a.callId, outcome: a.outcome }, `callback: ${end}`);
    this.#store((s) => s.close(a.callId, end));
  }

  /** Ends every try in progress and every hold (shutdown); the stored requests stay for the next start. */
  close(): void {
    this.#ringHold.close();
    for (const r of this.#requests.values()) {
      r.attempt?.cancel('shutting down');
      r.call?.stop('shutting down');
    }
  }

  /** Resolves once every try's endpoints, dialogs and store writes are released. */
  settled(): Promise<void> {
    return this.#releasing.settled();
  }

  readonly #tryListener: CallbackCallListener = {
    reached: (call) => {
      const request = this.#requests.get(call.callId);
      const d = request?.dialing;
      if (!request || !d) return;
      const waitMs = this.o.scheduler.now() - request.arrivedAt;
      const bridge = {
        type: 'bridge' as const,
        callId: d.callId,
        agentId: d.agentId,
        attemptId: d.attemptId,
        waitMs,
      };
      this.o.recorder.answered(bridge, null);
      this.o.recorder.bridged(bridge);
      this.o.recorder.callbackConnected(d, request.departmentId, request.tries, waitMs);
      this.o.send({ type: 'callbackReached', callId: call.callId });
    },
    notReached: (call, cause) => {
      const d = this.#requests.get(call.callId)?.dialing;
      this.o.logger.info({ callId: call.callId, cause }, 'callback: customer not reached');
      if (d) this.o.recorder.callbackTryEnded(d, cause);
      this.o.send({ type: 'callbackNotReached', callId: call.callId, cause });
    },
    ended: (call) => this.o.send({ type: 'callEnded', callId: call.callId }),
  };

  /** Held until the try is over and released (the desk's `settled`). */
  #hold(call: CallbackCall): void {
    this.#track(call.ended.then(() => call.settled()));
  }

  #store(write: (s: CallbackStorePort) => Promise<void>): void {
    const store = this.o.store;
    if (!store) return;
    this.#track(
      write(store).catch((err: unknown) =>
        this.o.logger.error({ err }, 'callback: the stored request could not be updated'),
      ),
    );
  }

  #track(p: Promise<void>): void {
    void this.#releasing.track(p);
  }
}
