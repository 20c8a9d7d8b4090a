/**
 * Builds the web UI (src/ui/web) with esbuild into memory when the app
 * starts: one JavaScript bundle, one stylesheet (uPlot's included), and the
 * page. Nothing is written to disk, so a checkout stays clean and no second
 * server or CDN is involved; the API serves the result at `/`.
 * Built once per process (tests start many apps).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export interface UiAsset {
  body: Buffer;
  contentType: string;
}

/** Path below `/` (e.g. `index.html`, `assets/app.js`) to its content. */
export type UiAssets = ReadonlyMap<string, UiAsset>;

const WEB = path.join(path.dirname(fileURLToPath(import.meta.url)), 'web');

async function buildOnce(): Promise<UiAssets> {
  const result = await build({
    entryPoints: { app: path.join(WEB, 'main.ts'), style: path.join(WEB, 'styles.css') },
    bundle: true,
    write: false,
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: false,
    outdir: '/assets',
    logLevel: 'silent',
    legalComments: 'none',
  });
  const assets = new Map<string, UiAsset>();
  for (const file of result.outputFiles) {
    const name = path.basename(file.path);
    const contentType = name.endsWith('.css')
      ? 'text/css; charset=utf-8'
      : 'text/javascript; charset=utf-8';
    assets.set(`assets/${name}`, { body: Buffer.from(file.contents), contentType });
  }
  assets.set('index.html', {
    body: await readFile(path.join(WEB, 'index.html')),
    contentType: 'text/html; charset=utf-8',
  });
  return assets;
}

let built: Promise<UiAssets> | null = null;

/** The built UI; a failed build is retried on the next call. */
export function uiAssets(): Promise<UiAssets> {
  if (!built) {
    const attempt = buildOnce();
    built = attempt;
    attempt.catch(() => {
      if (built === attempt) built = null;
    });
  }
  return built;
}
