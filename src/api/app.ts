/**
 * The express application: health and metrics at the root, the OpenAPI
 * document, then everything else under `/api` behind the bearer token.
 */
import { randomUUID } from 'node:crypto';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { healthRouter, type ReadinessCheck } from './health.ts';
import { type ApiTokens, requireToken } from './http/auth.ts';
import { ApiError } from './http/errors.ts';
import { type ErrorMapper, errorHandler } from './http/error-handler.ts';
import { mountRoutes, type RouteDef } from './http/route.ts';
import { type ApiMetrics, metricsMiddleware } from './metrics.ts';
import { buildOpenApi, type OpenApiInfo } from './openapi.ts';
import { type StaticAsset, uiRouter } from './ui-static.ts';

export interface ApiAppOptions {
  logger: Logger;
  metrics: ApiMetrics;
  tokens: ApiTokens;
  routes: readonly RouteDef[];
  checks: Record<string, ReadinessCheck>;
  stopping: () => boolean;
  info: OpenApiInfo;
  mapError?: ErrorMapper;
  /** The web UI's built files, served at `/` (none: no UI). */
  ui?: () => Promise<ReadonlyMap<string, StaticAsset>>;
}

/** Polled by orchestrators and Prometheus every few seconds: logged at debug only. */
const PROBES = new Set(['/healthz', '/readyz', '/metrics']);

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

function requestLog(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const start = process.hrtime.bigint();
    // A caller's (or proxy's) X-Request-Id is kept so logs on both sides match.
    const offered = req.get('x-request-id');
    const requestId = offered && REQUEST_ID.test(offered) ? offered : randomUUID();
    res.locals.requestId = requestId;
    res.setHeader('X-Request-Id', requestId);
    res.once('finish', () => {
      const ms = Math.round(Number(process.hrtime.bigint() - start) / 1e3) / 1e3;
      // Only the path: query strings may carry a token (?token=) or personal data.
      const path = req.originalUrl.split('?')[0];
      const entry = { requestId, method: req.method, path, status: res.statusCode, ms };
      if (res.statusCode >= 500) logger.error(entry, 'request');
      else if (PROBES.has(path ?? '') && res.statusCode < 400) logger.debug(entry, 'request');
      else logger.info(entry, 'request');
    });
    next();
  };
}

export function createApiApp(options: ApiAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(metricsMiddleware(options.metrics));
  app.use(requestLog(options.logger.child({ component: 'http' })));
  app.use(
    healthRouter({ metrics: options.metrics, checks: options.checks, stopping: options.stopping }),
  );

  const openapi = buildOpenApi(options.routes, options.info);
  app.get('/api/openapi.json', (_req, res) => {
    res.json(openapi);
  });

  const api = express.Router();
  api.use(requireToken(options.tokens));
  api.use(express.json({ limit: '256kb' }));
  mountRoutes(api, options.routes);
  api.use((req: Request, _res: Response, next: NextFunction) => {
    next(new ApiError(404, 'not_found', `no route ${req.method} ${req.baseUrl}${req.path}`));
  });
  app.use('/api', api);
  if (options.ui) app.use(uiRouter(options.ui));
  app.use((req: Request, _res: Response, next: NextFunction) => {
    next(new ApiError(404, 'not_found', `no route ${req.method} ${req.path}`));
  });
  app.use(errorHandler(options.logger, options.mapError));
  return app;
}
