/**
 * Call control wired to the rest of the app:
 *
 *   srf REGISTER ─▶ Registrar (digest against the agents' stored hashes,
 *                   bindings in the store) ─▶ RegisteredSources, OPTIONS prober,
 *                   engine device counts
 *   srf INVITE   ─▶ CallControl (numbers, agents and VIPs from the routing
 *                   directory, ACD engine loaded from the store)
 *                   ─▶ call-log writer (store) + event bus (WebSocket)
 *   API events   ─▶ engine (live configuration changes, see engine-sync.ts)
 *   srf OPTIONS  ─▶ 200 with Allow / Accept (trunk providers' health checks)
 *
 * Close order: stop taking API changes, end every call, stop probing and
 * purging, flush the call log.
 */
import { createAcd } from '../../acd/index.ts';
import { type AgentStatusWriter, CallControl } from '../../calls/call-control.ts';
import { CallLogWriter } from '../../calls/recorder/call-log-writer.ts';
import { DigestAuthenticator } from '../../calls/digest/index.ts';
import { type ForwardingSource, forwardingSource } from '../../calls/dialer/forwarding-source.ts';
import { optionsAnswer } from '../../calls/srf/options-answer.ts';
import { RegisteredSources } from '../../calls/inbound/registered-sources.ts';
import { CallerMedia } from '../../calls/media/caller-media.ts';
import { VoicemailBox } from '../../calls/voicemail/voicemail-box.ts';
import { trunkTarget } from '../../calls/dialer/forwarding-plan.ts';
import { OptionsProber } from '../../calls/reachability/options-prober.ts';
import { closeOrphanCalls } from '../../calls/orphan-calls.ts';
import { journaledUac, type LegJournal } from '../../calls/takeover/journaled-uac.ts';
import type { LostDialOutBook } from '../../calls/takeover/lost-dial-outs.ts';
import {
  type CatchUpPorts,
  catchUpStatuses,
  reloadBindings,
  storedStatusEvent,
} from './takeover-catch-up.ts';
import { instanceId } from '../leadership/instance-id.ts';
import { liveCallsRoutedBy } from '../../store/instances.ts';
import { watchUncarriedCalls } from './uncarried-calls.ts';
import type { RegistrationBinding } from '../../calls/ports/index.ts';
import { AllowListHolder } from '../../calls/allow-list/allow-list-holder.ts';
import { DeviceReachability } from '../../calls/reachability/device-reachability.ts';
import { Registrar } from '../../calls/registrar/index.ts';
import type { CallEventPublisher, CallLogEvent } from '../../calls/recorder/call-events.ts';
import { asSrf, asSrfEvents, attachToSrf, srfUac } from '../../calls/srf/srf-adapter.ts';
import { type SrfRequester, srfSendOptions } from '../../calls/srf/srf-options.ts';
import type { SrfRequest, SrfResponse } from '../../calls/srf/srf-types.ts';
import {
  callLogSinkFrom,
  credentialsFrom,
  liveBindingsByAgent,
  loadAllowList,
  orphanCallPortsFrom,
  registrationStoreFrom,
  voicemailStoreFrom,
} from '../../calls/store-adapters.ts';
import type { LiveSource } from '../../api/events/live-service.ts';
import { type LogEventInput, loadAcdConfig } from '../../store/index.ts';
import type { EmbeddedSipServer } from '../../edge/index.ts';
import type { RoutableSrf, RoutingGate } from '../leadership/routing-gate.ts';
import type { LayerContext } from '../runtime/layer.ts';
import { statusEvent, syncEngineWithApi } from './engine-sync.ts';
import type { MediaConnection } from './media-connection.ts';
import { MediaDirectory } from './media-directory.ts';
import { recordingsDir, voicemailDir } from '../settings/media-folders.ts';
import { callRecordingFiles } from '../recordings/call-recordings.ts';
import { RoutingDirectory } from './routing-directory.ts';
import {
  registerCallLogMetrics,
  registerRefusedInviteMetric,
  registerTelephonyMetrics,
} from './telephony-metrics.ts';
import type { ConnectedSrf } from './srf-connection.ts';
import type { CallControlRuntime } from './call-control-runtime.ts';

export type { CallControlRuntime } from './call-control-runtime.ts';

/** How often routing re-reads numbers, agents and VIPs (catches changes made without the API). */
const DIRECTORY_REFRESH_MS = 30_000;

/** How often call control compares the engine's calls with its own (reconcile). */
const RECONCILE_EVERY_MS = 60_000;

/** What call control runs on, started before it (start-telephony.ts). */
export interface CallControlParts {
  srf: ConnectedSrf;
  /** The embedded SIP server (its counters go to /metrics); null with drachtio-server. */
  edge: EmbeddedSipServer | null;
  /** Null with `media.callers = 'ringback'`. */
  media: MediaConnection | null;
  /** Whether this instance routes new requests. */
  routing: RoutingGate;
  /** Numbers a dead leader's INVITEs may still ring (filled by the takeover before routing). */
  lostDialOuts: LostDialOutBook;
  /** The open-legs journal (several instances on a database server), or null (embedded). */
  openLegs: LegJournal | null;
}

export interface RunningCallControl {
  runtime: CallControlRuntime;
  /** The routing engine's picture, for the live view. */
  live: LiveSource;
  close(): Promise<void>;
}

export async function startCallControl(
  ctx: LayerContext,
  parts: CallControlParts,
): Promise<RunningCallControl> {
  const { config, logger, store, events, metrics } = ctx;
  const srfInstance = parts.srf;
  const log = logger.child({ component: 'calls' });
  const now = () => Date.now();

  // --- registrations: in memory for the hot paths, seeded from the store (restart keeps them)
  const sources = new RegisteredSources(now);
  const reachability = new DeviceReachability((agentId) => sources.bindings(agentId));
  const reachableDevices = (agentId: string) => reachability.count(agentId);

  const acdConfig = await loadAcdConfig(store, new Date());
  const engine = createAcd(acdConfig, {
    now: Date.now(),
    random: Math.random,
    minRoundIntervalMs: config.routing.minRoundIntervalMs,
  });
  const registrationStore = registrationStoreFrom(store);
  const stored = await store.registrations.list({ activeAt: new Date() });
  const storedAgents = [...new Set(stored.map((r) => r.agentId))];
  const storedBindings = new Map<string, RegistrationBinding[]>();
  for (const agentId of storedAgents) {
    storedBindings.set(agentId, await registrationStore.listForAgent(agentId));
  }

  // Callback requests of the previous run keep their calls open in the log.
  const pendingCallbacks = await store.callbacks.pending();
  const callbackCalls = new Set(pendingCallbacks.map((c) => c.callId));

  // Calls a crash cut off are still open in the log: end them before taking
  // new ones. Only in embedded mode, where this process is the only router
  // (the data folder is locked); with a database server other instances may
  // carry live calls, and the leader's reconcile closes what a dead
  // instance, or an earlier run of this one, left (leadership-layer.ts).
  if (config.database.url === null)
    await closeOrphanCalls({
      ports: orphanCallPortsFrom(store),
      // Nothing is carried yet but the stored callback requests, queued again below.
      carried: (callId) => callbackCalls.has(callId),
      cause: 'restart',
      logger: log,
      publisher: events,
    }).catch((err: unknown) =>
      log.error({ err }, 'could not close the calls left open by the previous run'),
    );

  const allowList = await AllowListHolder.load(
    () =>
      loadAllowList(store, (e) =>
        log.warn({ err: e.message }, 'mobile allow-list: a stored pattern is invalid; ignored'),
      ),
    log,
  );
  const memberships = await store.memberships.list();
  const mediaRows = parts.media ? await store.departments.list() : [];
  // Last: it starts a timer and follows events, which a failed start above would leak.
  const directory = await RoutingDirectory.open(store, events, log, DIRECTORY_REFRESH_MS);
  // Nothing below awaits until the layer is running, so a failed start leaves no timer or listener.

  // --- call log and events
  const writerMetrics = registerCallLogMetrics(metrics.registry);
  const writer = new CallLogWriter<LogEventInput>({
    sink: callLogSinkFrom(store),
    // A call's events a few ms apart go in one statement: far less database work under load.
    gatherMs: 25,
    logger: log,
    metrics: writerMetrics.metrics,
    describe: (e) => ({ type: e.type, callId: e.callId }),
  });
  const publisher: CallEventPublisher = events;

  // Declared before use by the registrar's callback; assigned below.
  let cc: CallControl | null = null;
  const send: CallControl['send'] = (event) => cc?.send(event);

  const prober =
    config.sip.registrar.probeIntervalS === 0
      ? null
      : new OptionsProber({
          sendOptions: srfSendOptions(srfInstance as unknown as SrfRequester),
          intervalMs: config.sip.registrar.probeIntervalS * 1000,
          logger: log,
          onChange: (target, reachable) => {
            reachability.probed(target.contactUri, reachable);
            log.info({ agentId: target.agentId, reachable }, 'device reachability changed');
            send({
              type: 'agentDevicesChanged',
              agentId: target.agentId,
              registeredDevices: reachableDevices(target.agentId),
            });
          },
        });

  // Agents this instance knows bindings of (so a reload can forget the ones gone since).
  const withBindings = new Set<string>();
  const bindingsChanged = (
    agentId: string,
    bindings: RegistrationBinding[],
    refreshed: string[] = [],
  ) => {
    if (bindings.length > 0) withBindings.add(agentId);
    else withBindings.delete(agentId);
    reachability.registered(bindings, refreshed);
    sources.update(agentId, bindings);
    prober?.bindingsChanged(agentId, bindings, refreshed);
    send({ type: 'agentDevicesChanged', agentId, registeredDevices: reachableDevices(agentId) });
  };
  for (const [agentId, bindings] of storedBindings) {
    if (bindings.length > 0) withBindings.add(agentId);
    sources.update(agentId, bindings);
    prober?.bindingsChanged(agentId, bindings);
  }
  // What the engine missed while another instance routed (takeover-catch-up.ts).
  const catchUp: CatchUpPorts = {
    liveBindings: () => liveBindingsByAgent(store, new Date()),
    withBindings: () => withBindings,
    bindingsChanged: (agentId, bindings) => bindingsChanged(agentId, bindings),
    agents: () => store.agents.list(),
    engine: () => engine.snapshot(),
    send,
  };

  // One authenticator for REGISTER and for agents' INVITEs, so guesses
  // through either count towards the same lock-out.
  const authenticator = new DigestAuthenticator({
    realm: config.sip.realm,
    credentials: credentialsFrom(store),
    algorithms: config.sip.registrar.algorithms,
    logger: log,
  });
  const registrar = new Registrar({
    authenticator,
    store: registrationStore,
    minExpiresS: config.sip.registrar.minExpires,
    maxExpiresS: config.sip.registrar.maxExpires,
    logger: log,
    onBindingsChanged: bindingsChanged,
  });

  const forwarding: ForwardingSource = {
    planFor(agentId) {
      const agent = directory.agent(agentId);
      return forwardingSource({
        agent: () =>
          agent
            ? {
                mode: agent.forwardingMode,
                mobileNumber: agent.mobileNumber,
                confirmMobileAnswer: agent.confirmMobileAnswer,
              }
            : null,
        bindings: (id) => sources.bindings(id),
        isUnreachable: (uri) => reachability.isUnreachable(uri),
        allowList: () => allowList.current(),
        trunkUri: config.sip.trunk.outboundUri,
        mobileDelayMs: (agent?.mobileDelayS ?? 0) * 1000,
        now,
      }).planFor(agentId);
    },
  };

  const agentStatus: AgentStatusWriter = {
    async pause(agentId, reason, missedRings) {
      await ctx.agentStatus.record(agentId, {
        status: 'away',
        reason: `${reason} (${missedRings})`,
        source: 'system',
      });
    },
  };

  const refusedMetric = registerRefusedInviteMetric(metrics.registry);
  // --- media for queued callers (when a media server is connected)
  const mediaWiring = parts.media;
  const mediaDirectory = mediaWiring ? new MediaDirectory(mediaRows, config.media, log) : null;
  const stopFollowingMedia = mediaDirectory?.follow(events) ?? (() => {});
  const trunk = config.sip.trunk.outboundUri;
  const voicemail = mediaWiring
    ? new VoicemailBox({
        dir: voicemailDir(config),
        store: voicemailStoreFrom(store),
        callLog: { append: (e: CallLogEvent) => writer.write(e as LogEventInput) },
        publisher,
        logger: log,
      })
    : null;
  const recordingFiles = mediaWiring
    ? callRecordingFiles({
        dir: recordingsDir(config),
        recordings: store.recordings,
        departmentOf: async (id) => (await store.callLog.getCall(id))?.departmentId ?? null,
        log,
      })
    : null;
  const callerMedia =
    mediaWiring && mediaDirectory
      ? new CallerMedia({
          media: () => mediaWiring.server(),
          department: (id) => mediaDirectory.get(id),
          forwardTarget: (n) => (trunk ? trunkTarget(trunk, n) : null),
          mediaTimeoutMs: config.media.timeoutS * 1000,
          voicemail,
          confirmTimeoutMs: config.media.confirmTimeoutS * 1000,
          recordings: recordingFiles,
          logger: log,
          // Callbacks dial out through the trunk: without one the key does nothing.
          ...(trunk
            ? {
                callbacks: {
                  allowed: (n: string) => allowList.current().allows(n),
                  request: (callId: string, n: string) => cc?.requestCallback(callId, n) ?? false,
                },
              }
            : {}),
        })
      : null;

  const callControl = new CallControl({
    engine,
    newCallId: () => crypto.randomUUID(),
    reconcileEveryMs: RECONCILE_EVERY_MS,
    refusedInvite: refusedMetric.count,
    uac:
      // Several instances share this database: journal each agent leg, so
      // that the instance taking over can end the legs of a dead one.
      parts.openLegs === null
        ? srfUac(asSrf(srfInstance))
        : journaledUac(srfUac(asSrf(srfInstance)), parts.openLegs, log),
    numbers: { route: async (dialled) => directory.route(dialled) },
    sources: {
      trunkAddresses: config.sip.trunk.addresses,
      registeredAgentAt: async (address, port) => sources.agentAt(address, port),
    },
    forwarding,
    publisher,
    callLog: { append: (e: CallLogEvent) => writer.write(e as LogEventInput) },
    agentStatus,
    logger: log,
    departmentName: (id) => directory.departmentName(id),
    isVip: async (caller) => caller !== '' && directory.isVip(caller),
    trunkUri: config.sip.trunk.outboundUri,
    callerAuth: authenticator,
    ...(callerMedia ? { media: callerMedia } : {}),
    ...(mediaWiring && trunk
      ? {
          callbacks: {
            media: () => mediaWiring.server(),
            allowed: (n: string) => allowList.current().allows(n),
            store: store.callbacks,
            lostDialOutUntil: (n: string) => parts.lostDialOuts.ringingUntil(n, now()),
          },
        }
      : {}),
    featureCodes: {
      agent: async (id) => {
        const a = await store.agents.get(id);
        return a ? { id, status: a.status, mayChangeOwnStatus: a.mayChangeOwnStatus } : null;
      },
      setStatus: async (agentId, status) => {
        await ctx.agentStatus.record(agentId, { status, source: 'agent' });
      },
    },
  });
  cc = callControl;
  const stopUncarriedSweep = watchUncarriedCalls({
    everyMs: RECONCILE_EVERY_MS,
    liveRoutedHere: () => liveCallsRoutedBy(store.db, instanceId(config)),
    carries: (id) => callControl.carries(id),
    flush: () => writer.flush(),
    ports: orphanCallPortsFrom(store),
    logger: log,
    publisher: events,
  });
  // Only the routing instance dials callbacks; a standby leaves them to the
  // leader, and queues the stored requests itself when it takes over.
  if (parts.routing.isOpen()) callControl.restoreCallbacks(pendingCallbacks);
  const stopRestoringCallbacks = parts.routing.onOpen(() => {
    Promise.all([reloadBindings(catchUp), catchUpStatuses(catchUp)]).then(
      ([, statuses]) =>
        log.info({ statuses }, 'taking over: registrations and statuses read again'),
      (err: unknown) => log.error({ err }, 'taking over: registrations or statuses not read'),
    );
    store.callbacks.pending().then(
      (pending) => callControl.restoreCallbacks(pending),
      (err: unknown) => log.error({ err }, 'callback: stored requests could not be read'),
    );
  });

  const unsubscribe = syncEngineWithApi({
    events,
    send,
    deviceCount: reachableDevices,
    memberships,
    allowListChanged: () => allowList.reload(),
  });

  // The engine hears status changes made outside it (API, ended breaks, other instances) from the one writer.
  const stopFollowingStatus = ctx.agentStatus.follow({
    changed: (change) => send(statusEvent(change)),
    storedElsewhere: (agent) => {
      const inEngine = engine.snapshot().agents.find((a) => a.id === agent.id)?.presence;
      const event = storedStatusEvent(agent, inEngine, 'changed elsewhere');
      if (event) send(event);
    },
  });

  const srfEvents = asSrfEvents(srfInstance);
  // A standby answers what still reaches it while its routes are withdrawn: it never routes.
  const gate = parts.routing;
  const routes = () => gate.isOpen();
  srfInstance.register((req, res) => {
    if (routes()) return registrar.handler(req as SrfRequest, res as SrfResponse);
    (res as SrfResponse).send(503, 'Not the routing instance');
  });
  let closing: Promise<void> | null = null;
  // Trunk providers' health checks: 200 while calls are taken, 503 once closing.
  const answerOptions = optionsAnswer(() => closing === null);
  srfInstance.options((req, res) => answerOptions(req as SrfRequest, res as SrfResponse));
  attachToSrf(srfEvents, {
    handleInvite: (call) => {
      if (routes()) return callControl.handleInvite(call);
      call.reject(503, 'Not the routing instance');
      return Promise.resolve();
    },
    // srf also says 'close' when the app itself disconnects at shutdown: not a loss then.
    connectionLost: () => {
      if (!closing) callControl.connectionLost();
    },
  });
  gate.attach(srfInstance as unknown as RoutableSrf, ['register', 'invite']);
  registrar.start();
  const runtime: CallControlRuntime = {
    callControl,
    registrar,
    prober,
    writer,
    sources,
    media: callerMedia,
    voicemail,
  };
  const unregisterMetrics = registerTelephonyMetrics(metrics.registry, {
    runtime,
    edge: parts.edge,
  });
  log.info(
    {
      departments: acdConfig.departments.length,
      agents: acdConfig.agents.length,
      registeredAgents: storedBindings.size,
    },
    'call control ready',
  );

  return {
    runtime,
    live: () => engine.liveState(),
    close() {
      closing ??= (async () => {
        gate.shut();
        unsubscribe();
        stopFollowingStatus();
        await directory.close();
        stopFollowingMedia();
        // Messages being left end now and keep what was said; calls then end as usual.
        voicemail?.stopAll();
        stopRestoringCallbacks();
        await stopUncarriedSweep();
        await callControl.close();
        await voicemail?.settled();
        await recordingFiles?.settled();
        await prober?.close();
        await registrar.close();
        await allowList.close();
        const { unwritten } = await writer.close();
        if (unwritten > 0) log.error({ unwritten }, 'call log: events left unwritten at shutdown');
        unregisterMetrics();
        writerMetrics.remove();
        refusedMetric.remove();
      })();
      return closing;
    },
  };
}
