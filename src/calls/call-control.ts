/**
 * Call control: the orchestrator between SIP (through drachtio-srf, behind
 * the interfaces of `session/sip.ts`) and the ACD engine (through the
 * `EngineDriver`).
 *
 *   INVITE ─▶ admission (403 / 404) ─▶ CallSession (180) ─▶ callArrived
 *   ring ─▶ RingAttempt (legs from the forwarding plan) ─▶ agentAnswered / ringFailed / ringTimedOut
 *   bridge ─▶ answer the caller with the agent's SDP, join the legs
 *   cancelRing / dropLateAnswer / reject / overflow ─▶ the session or attempt concerned
 *   caller CANCEL / BYE, agent BYE ─▶ callerHungUp / callEnded
 *
 * Everything a call holds is owned by its session (attempts, legs, dialogs);
 * `close()` ends every call and resolves once all of them are released.
 */
import type {
  AcdAction,
  Announce,
  Bridge as BridgeAction,
  CallCompleted,
  CancelRing,
  DropLateAnswer,
  Overflow,
  PauseAgent,
  Reject,
  Ring,
} from '../acd/index.ts';
import { andThen, type ForwardingSource } from './dialer/forwarding-source.ts';
import { legSpecs } from './dialer/leg-specs.ts';
import { type AttemptListener, type AttemptRecord, RingAttempt } from './dialer/ring-attempt.ts';
import { type RingLatencyObserver, timedUac } from './dialer/ring-latency.ts';
import {
  type CallOperations,
  type DriverEvent,
  EngineDriver,
  type RoutingEngine,
} from './engine-driver.ts';
import { featureCodeOf } from './feature-codes.ts';
import {
  admit,
  type CallerSources,
  dialledNumber,
  headerUser,
  type NumberLookup,
} from './inbound/admission.ts';
import {
  type CallerAuthenticator,
  type CallerIdentity,
  identifyCaller,
} from './inbound/caller-identity.ts';
import { type FeatureCodePort, handleFeatureCode } from './inbound/feature-code-call.ts';
import { exitResponse, logOutcome } from './inbound/exit-response.ts';
import { RefusalLog, type RefusalReason, refusalReasonOf } from './inbound/refusal-log.ts';
import type { CallerMedia } from './media/caller-media.ts';
import { type Logger, silentLogger } from './ports.ts';
import {
  type CallEventPublisher,
  type CallLogEvent,
  type CallLogSink,
  decisionJson,
  nullCallLog,
  nullPublisher,
} from './session/call-events.ts';
import { type CallEnd, CallSession } from './session/call-session.ts';
import { realScheduler, type Scheduler } from './session/scheduler.ts';
import type { InboundCall, SipUac } from './session/sip.ts';

/** Persists the engine's automatic pause (status away, reason missed-rings). */
export interface AgentStatusWriter {
  pause(agentId: string, reason: 'missed-rings', missedRings: number): Promise<void>;
}

export interface CallControlOptions {
  engine: RoutingEngine;
  uac: SipUac;
  numbers: NumberLookup;
  sources: CallerSources;
  forwarding: ForwardingSource;
  scheduler?: Scheduler;
  publisher?: CallEventPublisher;
  callLog?: CallLogSink;
  agentStatus?: AgentStatusWriter;
  logger?: Logger;
  /** Department name for caller ID after an overflow (default: the id). */
  departmentName?: (departmentId: string) => string | undefined;
  /** VIP callers jump the queue. */
  isVip?: (caller: string, departmentId: string) => Promise<boolean>;
  /** Outbound trunk, for `forward` exits (302 to the number through the trunk). */
  trunkUri?: string | null;
  /**
   * Arm a ring timer per attempt as well as the engine's (default true): the
   * attempt then ends on time even if the engine's tick is late.
   */
  attemptRingTimer?: boolean;
  /** Counts every refused INVITE (metrics); the log lines about them are rate-limited per address. */
  refusedInvite?: (reason: RefusalReason) => void;
  /** Agent feature codes (*51 / *52) from registered softphones; absent = routed like numbers. */
  featureCodes?: FeatureCodePort;
  /**
   * Digest check for INVITEs that do not come from a trunk (407 challenge):
   * the caller is then the agent the credentials name. Absent, an agent is
   * recognised by the address its device registered from (tests only: a
   * UDP source is easy to forge).
   */
  callerAuth?: CallerAuthenticator;
  newCallId?: () => string;
  /** Answers queued callers into media (welcome, music, announcements); absent = ringback only. */
  media?: CallerMedia;
}

export class CallControl implements CallOperations {
  readonly #o: CallControlOptions;
  readonly #scheduler: Scheduler;
  readonly #logger: Logger;
  readonly #publisher: CallEventPublisher;
  readonly #log: CallLogSink;
  readonly driver: EngineDriver;
  readonly #sessions = new Map<string, CallSession>();
  /** Ended sessions whose releases are still under way. */
  readonly #ending = new Set<CallSession>();
  readonly #attempts = new Map<string, RingAttempt>();
  /** Everything still being released (ended sessions' last BYEs, cancelled legs). */
  readonly #releasing = new Set<Promise<void>>();
  /** Calls the engine itself refused: their session end is not reported back. */
  readonly #refusedByEngine = new Set<string>();
  readonly #exitKinds = new Map<string, string>();
  readonly #ringingLogged = new Set<string>();
  #closed = false;
  #ringLatency: RingLatencyObserver | null = null;
  readonly #refusals: RefusalLog;

  constructor(options: CallControlOptions) {
    this.#o = options;
    this.#scheduler = options.scheduler ?? realScheduler;
    this.#logger = options.logger ?? silentLogger;
    this.#publisher = options.publisher ?? nullPublisher;
    this.#log = options.callLog ?? nullCallLog;
    this.#refusals = new RefusalLog({
      logger: this.#logger,
      scheduler: this.#scheduler,
      ...(options.refusedInvite ? { counted: options.refusedInvite } : {}),
    });
    this.driver = new EngineDriver({
      engine: options.engine,
      scheduler: this.#scheduler,
      operations: this,
      publisher: this.#publisher,
      logger: this.#logger,
      onError: (err, event) => this.#engineError(err, event),
      beforeActions: (event, actions) => this.#beforeActions(event, actions),
    });
  }

  /** Live calls (tests, wallboard, shutdown). */
  get sessions(): ReadonlyMap<string, CallSession> {
    return this.#sessions;
  }

  /** True while a session of this process holds the call (live, or ended with releases under way). */
  carries(callId: string): boolean {
    if (this.#sessions.has(callId)) return true;
    for (const s of this.#ending) if (s.id === callId) return true;
    return false;
  }

  /** Ring attempts not yet released. */
  get attempts(): ReadonlyMap<string, RingAttempt> {
    return this.#attempts;
  }

  /**
   * Reports each ring attempt's latency from the engine's `ring` to the first
   * INVITE leaving (see `dialer/ring-latency.ts`); one observer at a time, for
   * the load benchmark. Returns the function that stops the observation.
   */
  observeRingLatency(observer: RingLatencyObserver): () => void {
    this.#ringLatency = observer;
    return () => {
      if (this.#ringLatency === observer) this.#ringLatency = null;
    };
  }

  /** Feeds a non-SIP event (status change, registrations, config change) to the engine. */
  send(event: DriverEvent): void {
    this.driver.send(event);
  }

  // ------------------------------------------------------------ inbound

  /** Handles a new INVITE from a caller. Resolves once it is queued or refused. */
  async handleInvite(call: InboundCall): Promise<void> {
    if (this.#closed) {
      this.#refuseClosed(call);
      return;
    }
    const dialledUser = dialledNumber(call.uri, call.header('To'));
    const featureCode =
      this.#o.featureCodes !== undefined &&
      dialledUser !== null &&
      featureCodeOf(dialledUser) !== null;
    let sources = this.#o.sources;
    if (this.#o.callerAuth) {
      let identity: CallerIdentity;
      try {
        identity = await identifyCaller(
          call,
          // A feature code acts on an agent: no trunk address vouches for that.
          featureCode ? [] : sources.trunkAddresses,
          this.#o.callerAuth,
          this.#logger,
        );
      } catch (err) {
        this.#logger.error({ err, sipCallId: call.callId }, 'inbound: caller lookup failed');
        call.reject(500, 'Server Internal Error', { 'Retry-After': '5' });
        return;
      }
      if (identity.kind === 'answered') return;
      const agentId = identity.kind === 'agent' ? identity.agentId : null;
      sources = { trunkAddresses: sources.trunkAddresses, registeredAgentAt: async () => agentId };
    }
    if (featureCode && this.#o.featureCodes && dialledUser !== null) {
      await this.#featureCode(call, dialledUser, this.#o.featureCodes, sources);
      return;
    }
    let admission: Awaited<ReturnType<typeof admit>>;
    try {
      admission = await admit(
        {
          uri: call.uri,
          to: call.header('To'),
          from: call.header('From'),
          sourceAddress: call.sourceAddress,
          sourcePort: call.sourcePort,
        },
        sources,
        this.#o.numbers,
      );
    } catch (err) {
      this.#logger.error({ err, callId: call.callId }, 'inbound: lookup failed');
      call.reject(500, 'Server Internal Error', { 'Retry-After': '5' });
      return;
    }
    if (admission.kind === 'refuse') {
      this.#refusals.refused({
        source: call.sourceAddress,
        reason: refusalReasonOf(admission.why),
        status: admission.status,
        sipCallId: call.callId,
      });
      call.reject(admission.status, admission.reason);
      return;
    }
    const vip =
      (await this.#o.isVip?.(admission.caller, admission.route.departmentId).catch(() => false)) ??
      false;
    if (this.#closed) {
      this.#refuseClosed(call);
      return;
    }
    const callId = this.#o.newCallId?.() ?? crypto.randomUUID();
    const inbound = this.#o.media?.wrap(call, callId, admission.route.departmentId) ?? call;
    const session = new CallSession(
      {
        callId,
        departmentId: admission.route.departmentId,
        departmentName: admission.route.departmentName,
        caller: admission.caller,
        dialled: admission.dialled,
        arrivedAt: this.#scheduler.now(),
      },
      inbound,
      this.#scheduler,
      { ended: (s, end) => this.#sessionEnded(s, end) },
    );
    this.#sessions.set(callId, session);
    this.#append({
      type: 'call.arrived',
      callId,
      // The dialled number's department, so that a call refused before it
      // queues (out of hours...) still counts there.
      departmentId: admission.route.departmentId,
      payload: {
        caller: admission.caller,
        dialledNumber: admission.dialled,
        sipCallId: call.callId,
      },
    });
    this.driver.send({
      type: 'callArrived',
      callId,
      departmentId: admission.route.departmentId,
      caller: admission.caller,
      vip,
    });
    // Ringback only for a call that joined a queue (not one refused at once, e.g. out of hours).
    session.ring();
  }

  #refuseClosed(call: InboundCall): void {
    this.#refusals.refused({
      source: call.sourceAddress,
      reason: 'shutting-down',
      status: 503,
      sipCallId: call.callId,
    });
    call.reject(503, 'Service Unavailable');
  }

  async #featureCode(
    call: InboundCall,
    dialled: string,
    port: FeatureCodePort,
    sources: CallerSources,
  ): Promise<void> {
    try {
      // Only an agent may use them: the one the digest credentials name (or,
      // without callerAuth, the one registered from the source address).
      const agentId = await sources.registeredAgentAt(
        call.sourceAddress,
        call.sourcePort,
        headerUser(call.header('From')),
      );
      await handleFeatureCode(
        call,
        dialled,
        agentId,
        port,
        (id, status) =>
          this.driver.send({
            type: 'agentStatusChanged',
            agentId: id,
            status,
            reason: 'feature code',
          }),
        this.#logger,
      );
    } catch (err) {
      this.#logger.error({ err, sipCallId: call.callId }, 'feature code failed');
      call.reject(500, 'Server Internal Error');
    }
  }

  // ---------------------------------------------------- engine actions

  ring(a: Ring): void {
    const startedAt = this.#ringLatency ? performance.now() : 0;
    const session = this.#sessions.get(a.callId);
    if (a.decision) {
      this.#append({
        type: 'call.routed',
        callId: a.callId,
        payload: { explanation: decisionJson(a.decision) },
      });
    }
    if (session?.state !== 'queued') {
      // The engine offered a call we no longer hold: let it roll over at once.
      this.driver.send({ type: 'ringFailed', attemptId: a.attemptId, cause: 'unreachable' });
      return;
    }
    const attempt = new RingAttempt({
      attemptId: a.attemptId,
      callId: a.callId,
      agentId: a.agentId,
      uac: this.#ringLatency
        ? timedUac(this.#o.uac, startedAt, session.info.caller, this.#ringLatency)
        : this.#o.uac,
      scheduler: this.#scheduler,
      timeoutMs: this.#o.attemptRingTimer === false ? null : a.timeoutMs,
      listener: this.#attemptListener,
      onTransition: (what, t) =>
        this.#logger.debug(
          { callId: a.callId, what, from: t.from, to: t.to, cause: t.cause },
          'transition',
        ),
    });
    this.#attempts.set(a.attemptId, attempt);
    this.#hold(attempt.settled.then(() => void this.#attempts.delete(a.attemptId)));
    session.addAttempt(attempt);
    const info = session.info;
    attempt.start(() =>
      andThen(this.#o.forwarding.planFor(a.agentId), (plan) =>
        legSpecs(plan, {
          caller: info.caller,
          departmentName: info.departmentName,
          sdp: session.inbound.sdp,
        }),
      ),
    );
  }

  cancelRing(a: CancelRing): void {
    this.#attempts.get(a.attemptId)?.cancel(a.reason);
  }

  bridge(a: BridgeAction): void {
    const session = this.#sessions.get(a.callId);
    if (!session) {
      this.#attempts.get(a.attemptId)?.dropAnswer('call gone');
      this.driver.send({ type: 'callEnded', callId: a.callId });
      return;
    }
    const answered = this.#attempts.get(a.attemptId)?.record();
    this.#append({
      type: 'call.answered',
      callId: a.callId,
      agentId: a.agentId,
      payload: {
        attemptId: a.attemptId,
        device: answered?.answeredBy?.device ?? null,
        // Lets another instance end this leg if this one dies mid-call.
        agentSipCallId: answered?.answeredSipCallId ?? null,
        ringMs: answered?.ringMs ?? null,
        waitMs: a.waitMs,
      },
    });
    session.connect(a.attemptId);
  }

  dropLateAnswer(a: DropLateAnswer): void {
    this.#attempts.get(a.attemptId)?.dropAnswer('late answer');
  }

  reject(a: Reject): void {
    const session = this.#sessions.get(a.callId);
    this.#exitKinds.set(a.callId, a.exit.kind);
    const r = exitResponse(a, this.#o.trunkUri ?? null);
    this.#append({
      type: 'call.rejected',
      callId: a.callId,
      payload: { reason: a.reason, exit: a.exit.kind, status: r.status },
    });
    this.#publisher.publish('call.rejected', {
      callId: a.callId,
      reason: a.reason,
      exit: a.exit.kind,
      status: r.status,
    });
    if (!session) return;
    this.#refusedByEngine.add(a.callId);
    this.#o.media?.exiting(a.callId, a.reason);
    session.reject(r.status, r.reason, r.headers);
  }

  overflow(a: Overflow): void {
    const session = this.#sessions.get(a.callId);
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
    session?.moveTo(
      a.toDepartmentId,
      this.#o.departmentName?.(a.toDepartmentId) ?? a.toDepartmentId,
    );
    this.#o.media?.moved(a.callId, a.toDepartmentId);
  }

  announce(a: Announce): void {
    // Without media the caller hears ringback and the announcement is only logged.
    this.#o.media?.announce(a.callId, a.position, a.expectedWaitS);
    this.#logger.debug(
      { callId: a.callId, position: a.position, expectedWaitS: a.expectedWaitS },
      'announce',
    );
  }

  pauseAgent(a: PauseAgent): void {
    const writer = this.#o.agentStatus;
    if (!writer) return;
    this.#hold(
      writer.pause(a.agentId, a.reason, a.missedRings).catch((err: unknown) => {
        this.#logger.error({ err, agentId: a.agentId }, 'could not persist automatic pause');
      }),
    );
  }

  callCompleted(a: CallCompleted): void {
    const exitKind = this.#exitKinds.get(a.callId);
    this.#exitKinds.delete(a.callId);
    this.#refusedByEngine.delete(a.callId);
    const outcome = logOutcome(a.outcome, a.reason, exitKind);
    // Why a queued caller left on its own: no RTP any more, or the exit key.
    const cause = this.#o.media?.completed(a.callId) ?? null;
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
      this.#publisher.publish('call.abandoned', {
        callId: a.callId,
        departmentId: a.departmentId,
        waitMs: a.waitMs,
      });
    }
    this.#publisher.publish('call.ended', {
      callId: a.callId,
      departmentId: a.departmentId,
      outcome,
      agentId: a.agentId ?? null,
      waitMs: a.waitMs,
      talkMs: a.talkMs ?? null,
      reason: reason ?? null,
    });
  }

  // ------------------------------------------------------------ shutdown

  /** Ends every call (503 to waiting callers, BYE to connected ones) and waits until all is released. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const s of [...this.#sessions.values()]) s.hangUp('shutting down');
    await this.settled();
    this.driver.close();
    this.#refusals.close();
  }

  /**
   * The connection to the SIP server is gone (srf 'close'): every call
   * ends at once, is logged, and the engine releases its agents. Nothing is
   * sent and nothing pending on the dead connection is waited for.
   */
  connectionLost(): void {
    this.#logger.error(
      { calls: this.#sessions.size },
      'SIP server connection lost: ending every call',
    );
    for (const s of [...this.#sessions.values(), ...this.#ending]) s.lost();
    for (const a of [...this.#attempts.values()]) a.lost();
    this.#o.media?.lost();
  }

  /** Resolves when no call is live and nothing of an ended call is left to release. */
  async settled(): Promise<void> {
    while (this.#sessions.size > 0 || this.#releasing.size > 0) {
      await Promise.all([
        ...this.#releasing,
        ...[...this.#sessions.values()].map((s) => s.whenEnded),
      ]);
    }
    await this.#o.media?.settled();
  }

  // ------------------------------------------------------------ internal

  readonly #attemptListener: AttemptListener = {
    answered: (att) => this.driver.send({ type: 'agentAnswered', attemptId: att.id }),
    failed: (att, cause) => this.driver.send({ type: 'ringFailed', attemptId: att.id, cause }),
    timedOut: (att) => this.driver.send({ type: 'ringTimedOut', attemptId: att.id }),
    ended: (att, record) => this.#attemptEnded(att, record),
    legsStarted: (att) => this.#logRinging(att.record()),
  };

  #logRinging(r: AttemptRecord): void {
    if (this.#ringingLogged.has(r.attemptId)) return;
    this.#ringingLogged.add(r.attemptId);
    const devices = r.legs.map((l) => l.device);
    this.#append({
      type: 'call.ringing',
      at: new Date(r.startedAt),
      callId: r.callId,
      agentId: r.agentId,
      payload: { attemptId: r.attemptId, device: devices.length > 0 ? devices.join(', ') : 'none' },
    });
  }

  #attemptEnded(_att: RingAttempt, r: AttemptRecord): void {
    // An attempt that ended before its legs were built still gets its row.
    this.#logRinging(r);
    this.#ringingLogged.delete(r.attemptId);
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

  #sessionEnded(s: CallSession, end: CallEnd): void {
    this.#sessions.delete(s.id);
    this.#ending.add(s);
    this.#hold(s.settled().then(() => void this.#ending.delete(s)));
    if (this.#refusedByEngine.has(s.id)) return;
    if (end.phase === 'connected') this.driver.send({ type: 'callEnded', callId: s.id });
    else this.driver.send({ type: 'callerHungUp', callId: s.id });
  }

  /** A call the engine took into a queue is announced before its first ring. */
  #beforeActions(event: DriverEvent, actions: readonly AcdAction[]): void {
    if (event.type !== 'callArrived') return;
    const refused = actions.some((a) => a.type === 'reject' && a.callId === event.callId);
    const session = this.#sessions.get(event.callId);
    if (refused || !session) return;
    this.#append({
      type: 'call.queued',
      callId: event.callId,
      departmentId: session.info.departmentId,
      payload: {},
    });
    this.#publisher.publish('call.queued', {
      callId: event.callId,
      departmentId: session.info.departmentId,
      caller: session.info.caller,
      dialled: session.info.dialled,
    });
  }

  #engineError(err: unknown, event: DriverEvent | null): void {
    if (event?.type !== 'callArrived') return;
    // The engine refused the call (e.g. its department vanished between lookup and arrival).
    const session = this.#sessions.get(event.callId);
    if (!session) return;
    this.#refusedByEngine.add(event.callId);
    session.reject(500, 'Server Internal Error');
    this.#append({ type: 'call.ended', callId: event.callId, payload: { outcome: 'failed' } });
    this.#logger.error({ err, callId: event.callId }, 'engine refused the call');
  }

  #append(e: Omit<CallLogEvent, 'at'> & { at?: Date }): void {
    try {
      this.#log.append({ ...e, at: e.at ?? new Date(this.#scheduler.now()) });
    } catch (err) {
      this.#logger.error({ err, type: e.type }, 'call log sink failed');
    }
  }

  #hold(p: Promise<void>): void {
    const held = p.finally(() => this.#releasing.delete(held));
    this.#releasing.add(held);
  }
}
