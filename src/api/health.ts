/**
 * Liveness and readiness, outside `/api` and without a token, for load
 * balancers and orchestrators:
 * - `/healthz`: the process serves HTTP (200 while it runs, 503 while stopping);
 * - `/readyz`: the database answers and every migration is applied.
 * `/metrics` serves Prometheus text from the app's registry.
 */
import { type Request, type Response, Router } from 'express';
import type { ApiMetrics } from './metrics.ts';

/** Resolves to null when fine, else a short reason that is safe to show without a token. */
export type ReadinessCheck = () => Promise<string | null>;

/**
 * /readyz answers without a token, so a thrown error shows only its code
 * (ECONNREFUSED, 57P01...), never its message, which may name hosts or users.
 */
function publicReason(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? `failed (${code})` : 'failed';
}

export interface HealthOptions {
  metrics: ApiMetrics;
  checks: Record<string, ReadinessCheck>;
  /** True once shutdown started: both probes answer 503 so traffic drains. */
  stopping: () => boolean;
  /** Readiness checks slower than this count as failed. */
  timeoutMs?: number;
}

async function runCheck(check: ReadinessCheck, timeoutMs: number): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
  });
  try {
    return await Promise.race([check().catch(publicReason), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function healthRouter(options: HealthOptions): Router {
  const router = Router();
  const timeoutMs = options.timeoutMs ?? 2000;

  router.get('/healthz', (_req: Request, res: Response) => {
    if (options.stopping()) res.status(503).json({ status: 'stopping' });
    else res.json({ status: 'ok' });
  });

  router.get('/readyz', async (_req: Request, res: Response) => {
    const results: Record<string, string> = {};
    let ok = !options.stopping();
    await Promise.all(
      Object.entries(options.checks).map(async ([name, check]) => {
        const problem = await runCheck(check, timeoutMs);
        results[name] = problem ?? 'ok';
        if (problem !== null) ok = false;
      }),
    );
    res.status(ok ? 200 : 503).json({
      status: ok ? 'ready' : options.stopping() ? 'stopping' : 'not ready',
      checks: results,
    });
  });

  router.get('/metrics', async (_req: Request, res: Response) => {
    res.setHeader('Content-Type', options.metrics.registry.contentType);
    res.send(await options.metrics.registry.metrics());
  });

  return router;
}
