/**
 * Serves the web UI at `/` (the page) and `/assets/*` (script and
 * stylesheet), same origin as the API. Every answer carries a strict
 * Content-Security-Policy: scripts and styles only from this origin (no
 * inline code, no eval), connections only back to it, no framing, no
 * plugins, no forms posting elsewhere. The token never appears in a URL: the
 * page keeps it in sessionStorage and sends it as a bearer header.
 */
import type { NextFunction, Request, Response, Router } from 'express';
import express from 'express';

export interface StaticAsset {
  body: Buffer;
  contentType: string;
}

export const UI_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

function secure(res: Response): void {
  res.setHeader('Content-Security-Policy', UI_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
}

/** `assets` resolves to the built files (path below `/` to content); a failed build answers 503. */
export function uiRouter(assets: () => Promise<ReadonlyMap<string, StaticAsset>>): Router {
  const router = express.Router();
  const send = (name: string) => async (req: Request, res: Response, next: NextFunction) => {
    let files: ReadonlyMap<string, StaticAsset>;
    try {
      files = await assets();
    } catch {
      secure(res);
      res.status(503).type('text/plain').send('the web UI could not be built; see the log');
      return;
    }
    const file = files.get(name === '*' ? `assets/${req.params.file}` : name);
    if (!file) return next();
    secure(res);
    res.setHeader('Content-Type', file.contentType);
    // The page is small and must pick up a new build; assets are named the same across builds.
    res.setHeader('Cache-Control', 'no-cache');
    res.status(200).end(req.method === 'HEAD' ? undefined : file.body);
  };
  router.get('/', send('index.html'));
  router.get('/assets/:file', send('*'));
  return router;
}
