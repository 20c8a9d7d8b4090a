/**
 * Call control: the meeting point of SIP (through drachtio-srf, behind the
 * interfaces of `sip/sip.ts`) and the ACD engine (through the `EngineDriver`).
 * It puts four parts together, one job each:
 *
 *   InviteIntake    INVITE ─▶ identity, admission ─▶ CallSession ─▶ `callArrived`
 *   EngineDriver    events in, actions out, the engine's one wake-up timer
 *   ActionExecutor  ring / cancelRing / bridge / reject / overflow ... on the calls held
 *   CallRecorder    every call-log row and every live event
 *
 * and the `CallBook` of the calls held. A session's end goes back to the
 * engine as `callerHungUp` (still waiting) or `callEnded` (connected), unless
 * the engine ended the call itself.
 *
 * Everything a call holds is owned by its session (attempts, legs, dialogs);
 * `close()` ends every call and resolves once all of them are released.
 */
import { ActionExecutor, type AgentStatusWriter } from './actions/action-executor.ts';
import {
  CallbackDesk,
  type CallbackStorePort,
  type PendingCallback,
} from './callback/callback-desk.ts';
import type { OnDemandResult } from './anchor/on-demand-anchor.ts';
import type { ForwardingSource } from './dialer/forwarding-source.ts';
import type { RingAttempt } from './dialer/ring-attempt.ts';
import { type DriverEvent, EngineDriver, type RoutingEngine } from './engine/engine-driver.ts';
import { type InviteIntakeOptions, InviteIntake } from './inbound/invite-intake.ts';
import { realScheduler, type Scheduler } from './mechanisms/scheduler.ts';
import { type Logger, silentLogger } from './ports/index.ts';
import {
  type CallEventPublisher,
  type CallLogSink,
  nullCallLog,
  nullPublisher,
  type ReconcileFixed,
} from './recorder/call-events.ts';
import { CallRecorder } from './recorder/call-recorder.ts';
import { CallBook } from './session/call-book.ts';
import type { CallSession } from './session/call-session.ts';
import type { InboundCall, SipUac } from './sip/sip.ts';
import type { MrfMediaServer } from './media/mrf-types.ts';

export type { AgentStatusWriter } from './actions/action-executor.ts';

export interface CallControlOptions extends InviteIntakeOptions {
  engine: RoutingEngine;
  uac: SipUac;
  forwarding: ForwardingSource;
  scheduler?: Scheduler;
  publisher?: CallEventPublisher;
  callLog?: CallLogSink;
  agentStatus?: AgentStatusWriter;
  logger?: Logger;
  /** Department name for caller ID after an overflow (default: the id). */
  departmentName?: (departmentId: string) => string | undefined;
  /** Outbound trunk, for `forward` exits (302 to the number through the trunk). */
  trunkUri?: string | null;
  /** Runs `reconcile()` this often (default: never; the app runs it every minute). */
  reconcileEveryMs?: number;
  /** Callback requests (docs/callbacks.md); absent = callers cannot ask for one. */
  callbacks?: {
    media(): MrfMediaServer | null;
    /** The toll-fraud check for the numbers dialled (the mobile allow-list's rules). */
    allowed(number: string): boolean;
    store?: CallbackStorePort;
    /** Until when a dead instance's INVITE to `number` may still ring (null: none may). */
    lostDialOutUntil?(number: string): number | null;
  };
}

/** One disagreement found and corrected by `reconcile()`. */
export type ReconcileFix = Extract<ReconcileFixed, { what: 'call' }>;

export class CallControl {
  readonly driver: EngineDriver;
  readonly #book: CallBook;
  readonly #intake: InviteIntake;
  readonly #logger: Logger;
  readonly #media: CallControlOptions['media'];
  readonly #engine: RoutingEngine;
  readonly #publisher: CallEventPublisher;
  readonly #callbacks: CallbackDesk | null;
  #stopReconcile: (() => void) | null = null;

  constructor(o: CallControlOptions) {
    const scheduler = o.scheduler ?? realScheduler;
    const logger = o.logger ?? silentLogger;
    this.#logger = logger;
    this.#media = o.media;
    this.#engine = o.engine;
    this.#publisher = o.publisher ?? nullPublisher;
    const recorder = new CallRecorder(
      o.callLog ?? nullCallLog,
      o.publisher ?? nullPublisher,
      scheduler,
      logger,
    );
    const send = (event: DriverEvent) => this.driver.send(event);
    this.#book = new CallBook((session, end) =>
      send(
        end.phase === 'connected'
          ? { type: 'callEnded', callId: session.id }
          : { type: 'callerHungUp', callId: session.id },
      ),
    );
    this.#intake = new InviteIntake(o, { book: this.#book, recorder, send, scheduler, logger });
    const cb = o.callbacks;
    this.#callbacks = cb
      ? new CallbackDesk({
          send,
          book: this.#book,
          recorder,
          uac: o.uac,
          forwarding: o.forwarding,
          scheduler,
          logger,
          media: () => cb.media(),
          trunkUri: o.trunkUri ?? null,
          allowed: (n) => cb.allowed(n),
          departmentName: (id) => o.departmentName?.(id) ?? id,
          ...(cb.store ? { store: cb.store } : {}),
          lostDialOutUntil: (n) => cb.lostDialOutUntil?.(n) ?? null,
          callerTaken: (id) => o.media?.callbackTaken(id),
        })
      : null;
    const executor = new ActionExecutor({
      book: this.#book,
      recorder,
      send,
      // Legs that ask for it are anchored in the media server (recording, human-answer check).
      uac: o.media ? o.media.anchors.uac(o.uac) : o.uac,
      forwarding: o.forwarding,
      scheduler,
      logger,
      ...(o.agentStatus ? { agentStatus: o.agentStatus } : {}),
      ...(o.departmentName ? { departmentName: o.departmentName } : {}),
      ...(o.trunkUri !== undefined ? { trunkUri: o.trunkUri } : {}),
      ...(o.media ? { media: o.media } : {}),
      ...(this.#callbacks ? { callbacks: this.#callbacks } : {}),
    });
    this.driver = new EngineDriver({
      engine: o.engine,
      scheduler,
      operations: executor,
      logger,
      onError: (err, event) => this.#intake.engineRefused(err, event),
      beforeActions: (event, actions) => this.#intake.beforeActions(event, actions),
    });
    const every = o.reconcileEveryMs;
    if (every !== undefined && every > 0) {
      const again = () => {
        this.#stopReconcile = scheduler.schedule(every, () => {
          this.reconcile();
          again();
        });
      };
      again();
    }
  }

  /** Live calls (tests, wallboard, shutdown). */
  get sessions(): ReadonlyMap<string, CallSession> {
    return this.#book.sessions;
  }

  /** True while a session of this process holds the call (live, or ended with releases under way). */
  carries(callId: string): boolean {
    return this.#book.carries(callId) || (this.#callbacks?.carries(callId) ?? false);
  }

  /**
   * Moves a connected call's media into the media server so that it can be
   * recorded (anchor/on-demand-anchor.ts); anchored already: nothing to do.
   */
  anchorConnected(callId: string): Promise<OnDemandResult> {
    const bridge = this.#book.live(callId)?.bridge ?? null;
    if (!bridge) return Promise.resolve({ kind: 'not-connected' });
    const media = this.#media;
    if (!media) return Promise.resolve({ kind: 'failed', reason: 'no media server' });
    return media.anchors.anchorConnected(callId, bridge);
  }

  /** Callback requests held (null without callbacks). */
  get callbacks(): CallbackDesk | null {
    return this.#callbacks;
  }

  /** A waiting caller asks to be called back; true when the call stays queued as a request. */
  requestCallback(callId: string, number: string): boolean {
    return this.#callbacks?.request(callId, number) ?? false;
  }

  /** Stored callback requests back into their queues (at start, in the order they were made). */
  restoreCallbacks(pending: readonly PendingCallback[]): void {
    this.#callbacks?.restore(pending);
  }

  /** Ring attempts not yet released. */
  get attempts(): ReadonlyMap<string, RingAttempt> {
    return this.#book.attempts;
  }

  /**
   * Compares the engine's calls with the calls this process carries. A call
   * the engine still holds (its agent busy) with no session behind it can
   * only come from a fault; it is ended in the engine, which frees the
   * agent, and reported with what was fixed and why. Returns the fixes.
   */
  reconcile(): ReconcileFix[] {
    const fixes: ReconcileFix[] = [];
    for (const callId of this.#engine.heldCallIds()) {
      if (this.carries(callId)) continue;
      const fix: ReconcileFix = {
        what: 'call',
        callId,
        fix: 'ended in the routing engine (its agent is free again)',
        why: 'the engine held the call but no live call of this process carries it',
      };
      this.#logger.warn(fix, 'reconcile: fixed a call');
      this.#publisher.publish('reconcile.fixed', fix);
      this.driver.send({ type: 'callEnded', callId });
      fixes.push(fix);
    }
    return fixes;
  }

  /** Feeds a non-SIP event (status change, registrations, config change) to the engine. */
  send(event: DriverEvent): void {
    this.driver.send(event);
  }

  /** Handles a new INVITE from a caller. Resolves once it is queued or refused. */
  handleInvite(call: InboundCall): Promise<void> {
    return this.#intake.handleInvite(call);
  }

  /** Ends every call (503 to waiting callers, BYE to connected ones) and waits until all is released. */
  async close(): Promise<void> {
    this.#stopReconcile?.();
    this.#stopReconcile = null;
    this.#intake.close();
    for (const s of [...this.#book.sessions.values()]) s.hangUp('shutting down');
    this.#callbacks?.close();
    await this.settled();
    this.driver.close();
    this.#intake.dispose();
  }

  /**
   * The connection to the SIP server is gone (srf 'close'): every call
   * ends at once, is logged, and the engine releases its agents. Nothing is
   * sent and nothing pending on the dead connection is waited for.
   */
  connectionLost(): void {
    this.#logger.error(
      { calls: this.#book.sessions.size },
      'SIP server connection lost: ending every call',
    );
    for (const s of this.#book.allSessions()) s.lost();
    for (const a of [...this.#book.attempts.values()]) a.lost();
    this.#media?.lost();
  }

  /** Resolves when no call is live and nothing of an ended call is left to release. */
  async settled(): Promise<void> {
    await this.#book.settled();
    await this.#callbacks?.settled();
    await this.#media?.settled();
  }
}
