/**
 * The composition root: configuration in, a running application out.
 *
 *   config -> logger -> API token -> database (+ migrations) -> store
 *          -> event bus, metrics, agent status -> telephony (SIP edge, srf, leadership,
 *             media, call control) -> further layers (change feed, break ender)
 *          -> HTTP API + WebSocket events
 *
 * `close()` undoes it in reverse: stop accepting HTTP and let in-flight
 * requests (writes) finish, then stop the layers below, then close the pool.
 * main.ts calls it on SIGINT/SIGTERM; tests call it in afterEach/afterAll.
 */
import { createApiApp } from '../api/app.ts';
import { type ApiEvents, createEventBus } from '../api/events/api-events.ts';
import { storeErrorToApi } from '../api/http/store-errors.ts';
import { createTickets } from '../api/events/tickets.ts';
import { createLiveService, type LiveSource } from '../api/events/live-service.ts';
import { type ApiMetrics, createMetrics } from '../api/metrics.ts';
import { anchoredRecordingControl } from './recordings/anchored-recording-control.ts';
import { apiRoutes } from '../api/routes/index.ts';
import { startApiServer } from '../api/server.ts';
import { createStore, type Db, type Store } from '../store/index.ts';
import { uiAssets } from '../ui/build.ts';
import { AgentStatusService } from './runtime/agent-status.ts';
import { resolveApiToken } from './api-token.ts';
import type { LayerContext, LayerStarter } from './runtime/layer.ts';
import { startTelephony, type Telephony } from './telephony/start-telephony.ts';
import type { Config } from './settings/config.ts';
import { databaseProblem, migrateDatabase, migrationProblem, openDatabase } from './database.ts';
import { createLogger, type Logger } from './runtime/logger.ts';

export interface StartOptions {
  /**
   * Start telephony (start-telephony.ts) after the store: what `npm start`
   * does. Off by default, for tests of the API alone.
   */
  telephony?: boolean;
  /** Layers after telephony and before the HTTP API (layers.ts names `npm start`'s). */
  layers?: readonly LayerStarter[];
  /** Default: a JSON logger on stdout at `config.log.level`. */
  logger?: Logger;
  /**
   * An already opened database to use instead of the configured one (tests
   * use in-memory PGlite). The app owns it and closes it on `close()`.
   */
  db?: Db;
  /** Process metrics in /metrics (default true). */
  defaultMetrics?: boolean;
}

export interface AcdApp {
  /** Base URL of the HTTP API, e.g. http://127.0.0.1:8080 */
  httpUrl: string;
  config: Config;
  /** The admin bearer token in effect (configured, read from or written to `tokenFile`). */
  token: string;
  tokenFile: string | null;
  logger: Logger;
  /** Publish call and agent events here; the WebSocket stream forwards every event. */
  events: ApiEvents;
  /** Register further Prometheus metrics on `metrics.registry`. */
  metrics: ApiMetrics;
  store: Store;
  /** Null unless started with `telephony: true`. */
  telephony: Telephony | null;
  /** Graceful stop; safe to call more than once (later calls return the same promise). */
  close(): Promise<void>;
}

type Closer = { name: string; close: () => Promise<void> };

export async function startApp(config: Config, options: StartOptions = {}): Promise<AcdApp> {
  const logger = options.logger ?? createLogger({ level: config.log.level });
  // Closed in reverse order of opening, also when the start fails half-way.
  const closers: Closer[] = [];
  const closeAll = async () => {
    for (const c of closers.splice(0).reverse()) {
      try {
        await c.close();
      } catch (err) {
        logger.error({ err, component: c.name }, 'error while closing');
      }
    }
  };

  try {
    // A database handed in is ours from the start, so a failure below closes it too.
    if (options.db) closers.push({ name: 'database', close: () => options.db!.close() });
    const token = await resolveApiToken(config, logger);
    const db = options.db ?? (await openDatabase(config, logger));
    if (!options.db) closers.push({ name: 'database', close: () => db.close() });
    await migrateDatabase(db, logger);
    const store = createStore(db);

    const events = createEventBus({
      onListenerError: (err, event) =>
        logger.error({ err, type: event.type }, 'event listener failed'),
    });
    const metrics = createMetrics({ defaultMetrics: options.defaultMetrics ?? true });

    // Telephony and the later layers start here, between the store and the
    // HTTP API. They close after the HTTP server and before the database, so
    // in-flight call-log writes finish first.
    const agentStatus = new AgentStatusService(store, events, logger);
    const ctx: LayerContext = { config, logger, store, events, metrics, agentStatus };
    const readiness: Record<string, () => Promise<string | null>> = {};
    let liveSource: LiveSource = () => null;
    // The engine stops with its owner: from then on the view shows no calls.
    const showLive = (name: string, source: LiveSource) => {
      liveSource = source;
      closers.push({
        name: `${name} live view`,
        close: async () => {
          liveSource = () => null;
        },
      });
    };
    let telephony: Telephony | null = null;
    if (options.telephony) {
      const started = await startTelephony(ctx);
      telephony = started;
      closers.push({ name: 'telephony', close: () => started.close() });
      Object.assign(readiness, started.checks);
      showLive('telephony', started.live);
    }
    for (const startLayer of options.layers ?? []) {
      const layer = await startLayer(ctx);
      closers.push({ name: layer.name, close: () => layer.close() });
      if (layer.ready) readiness[layer.name] = layer.ready;
      if (layer.live) showLive(layer.name, layer.live);
      logger.info({ layer: layer.name }, 'layer started');
    }

    // The live view follows the bus; it pushes only while a wallboard watches.
    let watchers = () => 0;
    const live = createLiveService({
      store,
      events,
      source: () => liveSource(),
      watched: () => watchers() > 0,
      onError: (err) => logger.warn({ err }, 'live view failed'),
    });
    closers.push({ name: 'live view', close: async () => live.close() });

    const tickets = createTickets();
    // Built in memory now, so the first page view does not wait; a failure is logged
    // and the page answers 503 (the API works without it).
    uiAssets().catch((err: unknown) => logger.error({ err }, 'web UI build failed'));

    let stopping = false;
    const app = createApiApp({
      logger,
      metrics,
      tokens: { admin: token.token, read: config.api.readToken },
      routes: apiRoutes({
        store,
        events,
        status: agentStatus,
        realm: config.sip.realm,
        live,
        tickets,
        // A connected call not yet in the media server is moved there to be recorded.
        recordingControl: anchoredRecordingControl(
          () => telephony?.calls.media?.anchors.calls ?? null,
          () => liveSource(),
          (id) =>
            telephony?.calls.callControl.anchorConnected(id) ??
            Promise.resolve({ kind: 'not-connected' }),
        ),
        log: logger.child({ component: 'recordings' }),
      }),
      ui: uiAssets,
      checks: {
        database: () => databaseProblem(db),
        migrations: () => migrationProblem(db),
        ...readiness,
      },
      stopping: () => stopping,
      info: {
        title: 'open-acd admin API',
        version: '0.1.0',
        description: 'Departments, numbers, agents, memberships, status, call log; bearer token.',
      },
      mapError: storeErrorToApi,
    });
    const server = await startApiServer({
      app,
      host: config.http.host,
      port: config.http.port,
      tokens: { admin: token.token, read: config.api.readToken },
      events,
      stream: config.api.events,
      liveSnapshot: () => live.view(),
      redeemTicket: (t) => tickets.redeem(t),
      onError: (err) => logger.warn({ err }, 'HTTP server error'),
    });
    watchers = () => server.events.liveClientCount();
    closers.push({
      name: 'http',
      close: async () => {
        stopping = true;
        await server.close(config.shutdown.graceMs);
      },
    });
    logger.info({ url: server.url }, 'admin API listening');

    let closing: Promise<void> | null = null;
    return {
      httpUrl: server.url,
      config,
      token: token.token,
      tokenFile: token.file ?? null,
      logger,
      events,
      metrics,
      store,
      telephony,
      close() {
        closing ??= closeAll();
        return closing;
      },
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
