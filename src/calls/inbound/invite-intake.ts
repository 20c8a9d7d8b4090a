/**
 * Takes callers' INVITEs in:
 *
 *   INVITE ─▶ caller identity (407 / agent) ─▶ feature code (*51 / *52), or
 *          ─▶ admission (403 / 404) ─▶ CallSession (180) ─▶ engine `callArrived`
 *
 * and records how the engine took the call: queued (`call.queued`, before
 * its first ring), rejected (the executor's `reject`), or refused outright
 * (an input error: 500, `call.ended` failed).
 *
 * ```
 *   open ──close()──▶ closed    (every new INVITE is then answered 503)
 * ```
 */
import type { AcdAction } from '../../acd/index.ts';
import type { DriverEvent } from '../engine/engine-driver.ts';
import type { Scheduler } from '../mechanisms/scheduler.ts';
import type { CallerMedia } from '../media/caller-media.ts';
import type { Logger } from '../ports/index.ts';
import type { CallRecorder } from '../recorder/call-recorder.ts';
import type { CallBook } from '../session/call-book.ts';
import { CallSession } from '../session/call-session.ts';
import type { InboundCall } from '../sip/sip.ts';
import {
  admit,
  type CallerSources,
  dialledNumber,
  headerUser,
  type NumberLookup,
} from './admission.ts';
import {
  type CallerAuthenticator,
  type CallerIdentity,
  identifyCaller,
} from './caller-identity.ts';
import { type FeatureCodePort, handleFeatureCode } from './feature-code-call.ts';
import { featureCodeOf } from './feature-codes.ts';
import { RefusalLog, type RefusalReason, refusalReasonOf } from './refusal-log.ts';

export interface InviteIntakeOptions {
  numbers: NumberLookup;
  sources: CallerSources;
  /** The call id of each admitted call (the composition root's id source). */
  newCallId: () => string;
  /** VIP callers jump the queue. */
  isVip?: (caller: string, departmentId: string) => Promise<boolean>;
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
  /** Answers queued callers into media (welcome, music, announcements); absent = ringback only. */
  media?: CallerMedia;
}

export interface IntakeDeps {
  book: CallBook;
  recorder: CallRecorder;
  send: (event: DriverEvent) => void;
  scheduler: Scheduler;
  logger: Logger;
}

export class InviteIntake {
  #state: 'open' | 'closed' = 'open';
  readonly #refusals: RefusalLog;

  constructor(
    private readonly o: InviteIntakeOptions,
    private readonly d: IntakeDeps,
  ) {
    this.#refusals = new RefusalLog({
      logger: d.logger,
      scheduler: d.scheduler,
      ...(o.refusedInvite ? { counted: o.refusedInvite } : {}),
    });
  }

  /** Handles a new INVITE from a caller. Resolves once it is queued or refused. */
  async handleInvite(call: InboundCall): Promise<void> {
    if (this.#closed()) {
      this.#refuseClosed(call);
      return;
    }
    const { logger } = this.d;
    const dialledUser = dialledNumber(call.uri, call.header('To'));
    const featureCode =
      this.o.featureCodes !== undefined &&
      dialledUser !== null &&
      featureCodeOf(dialledUser) !== null;
    let sources = this.o.sources;
    if (this.o.callerAuth) {
      let identity: CallerIdentity;
      try {
        identity = await identifyCaller(
          call,
          // A feature code acts on an agent: no trunk address vouches for that.
          featureCode ? [] : sources.trunkAddresses,
          this.o.callerAuth,
          logger,
        );
      } catch (err) {
        logger.error({ err, sipCallId: call.callId }, 'inbound: caller lookup failed');
        call.reject(500, 'Server Internal Error', { 'Retry-After': '5' });
        return;
      }
      if (identity.kind === 'answered') return;
      const agentId = identity.kind === 'agent' ? identity.agentId : null;
      sources = { trunkAddresses: sources.trunkAddresses, registeredAgentAt: async () => agentId };
    }
    if (featureCode && this.o.featureCodes && dialledUser !== null) {
      await this.#featureCode(call, dialledUser, this.o.featureCodes, sources);
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
        this.o.numbers,
      );
    } catch (err) {
      logger.error({ err, callId: call.callId }, 'inbound: lookup failed');
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
    const { route } = admission;
    const vip =
      (await this.o.isVip?.(admission.caller, route.departmentId).catch(() => false)) ?? false;
    // Closed while the lookups were under way.
    if (this.#closed()) {
      this.#refuseClosed(call);
      return;
    }
    const callId = this.o.newCallId();
    const inbound = this.o.media?.wrap(call, callId, route.departmentId, admission.caller) ?? call;
    const session = new CallSession(
      {
        callId,
        departmentId: route.departmentId,
        departmentName: route.departmentName,
        caller: admission.caller,
        dialled: admission.dialled,
        arrivedAt: this.d.scheduler.now(),
      },
      inbound,
      this.d.scheduler,
      this.d.book.listener,
    );
    this.d.book.open(session);
    this.d.recorder.arrived({
      callId,
      departmentId: route.departmentId,
      caller: admission.caller,
      dialled: admission.dialled,
      sipCallId: call.callId,
    });
    this.d.send({
      type: 'callArrived',
      callId,
      departmentId: route.departmentId,
      caller: admission.caller,
      vip,
    });
    // Ringback only for a call that joined a queue (not one refused at once, e.g. out of hours).
    session.ring();
  }

  /** The engine's actions for an event, before they are carried out: a queued arrival is recorded first. */
  beforeActions(event: DriverEvent, actions: readonly AcdAction[]): void {
    if (event.type !== 'callArrived') return;
    const refused = actions.some((a) => a.type === 'reject' && a.callId === event.callId);
    const session = this.d.book.live(event.callId);
    if (refused || !session) return;
    this.d.recorder.queued({
      callId: event.callId,
      departmentId: session.info.departmentId,
      caller: session.info.caller,
      dialled: session.info.dialled,
    });
  }

  /** The engine refused an event; for an arrival (its department vanished meanwhile) the call fails. */
  engineRefused(err: unknown, event: DriverEvent | null): void {
    if (event?.type !== 'callArrived') return;
    const session = this.d.book.live(event.callId);
    if (!session) return;
    this.d.book.refuse(event.callId, null);
    session.reject(500, 'Server Internal Error');
    this.d.recorder.refusedByEngine(event.callId);
    this.d.logger.error({ err, callId: event.callId }, 'engine refused the call');
  }

  /** From now on every INVITE is answered 503. */
  close(): void {
    this.#state = 'closed';
  }

  /** Stops the refusal log's timer (after the calls have ended). */
  dispose(): void {
    this.#refusals.close();
  }

  #closed(): boolean {
    return this.#state === 'closed';
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
          this.d.send({
            type: 'agentStatusChanged',
            agentId: id,
            status,
            reason: 'feature code',
          }),
        this.d.logger,
      );
    } catch (err) {
      this.d.logger.error({ err, sipCallId: call.callId }, 'feature code failed');
      call.reject(500, 'Server Internal Error');
    }
  }
}
