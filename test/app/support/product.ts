/**
 * The product as `npm start` runs it (startApp with productionLayers: the
 * embedded SIP server, drachtio-srf, call control, the store on PGlite),
 * started in this process on free loopback ports, with its JSON log lines
 * kept for the test to read. Configured through the admin API only.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../../src/app/config.ts';
import { productionLayers } from '../../../src/app/layers.ts';
import { createLogger } from '../../../src/app/logger.ts';
import { type AcdApp, startApp } from '../../../src/app/start-app.ts';
import type { CallControlRuntime } from '../../../src/app/telephony/call-control-layer.ts';
import type { TelephonyWiring } from '../../../src/app/telephony/wiring.ts';

export const TOKEN = 'product-test-token-0123456789';

export interface Product {
  app: AcdApp;
  sipPort: number;
  runtime: () => CallControlRuntime | null;
  wiring: TelephonyWiring;
  /** Every JSON line the app logged so far. */
  logLines: () => Array<Record<string, unknown>>;
  api<T = Record<string, unknown>>(method: string, p: string, body?: unknown): Promise<T>;
}

export interface ProductOptions {
  dataDir: string;
  sipPort: number;
  /** Deep-merged over the test's defaults (e.g. `{ sip: { trunk: {...} } }`). */
  overrides?: Record<string, unknown>;
  logLevel?: string;
}

/** A fresh data folder; `removeDataDirs` deletes them. */
const dirs: string[] = [];
export async function newDataDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'acd-product-'));
  dirs.push(dir);
  return dir;
}
export async function removeDataDirs(): Promise<void> {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

function merge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && prev && typeof prev === 'object'
        ? merge(prev as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

export async function startProduct(o: ProductOptions): Promise<Product> {
  const overrides = merge(
    {
      http: { host: '127.0.0.1', port: 0 },
      database: { url: null, dataDir: o.dataDir },
      api: { token: TOKEN },
      log: { level: o.logLevel ?? 'info' },
      sip: {
        host: '127.0.0.1',
        port: o.sipPort,
        registrar: { algorithms: ['MD5'] },
        trunk: { addresses: ['127.0.0.1'] },
      },
      drachtio: { port: 0 },
      // Signalling tests: queued callers hear ringback, as sipp's scenarios
      // expect; test/app/caller-media.test.ts covers answering into media.
      media: { callers: 'ringback' },
    },
    o.overrides ?? {},
  );
  const config = loadConfig({ env: {}, overrides });
  const lines: Array<Record<string, unknown>> = [];
  const destination = {
    write(s: string) {
      for (const line of s.split('\n')) if (line.startsWith('{')) lines.push(JSON.parse(line));
    },
  };
  let runtime: CallControlRuntime | null = null;
  let wiring: TelephonyWiring | null = null;
  const app = await startApp(config, {
    logger: createLogger({ level: o.logLevel ?? 'info', destination }),
    defaultMetrics: false,
    layers: productionLayers(config, {
      // sipp peers expect only INVITEs; an OPTIONS probe would fail their scenario.
      optionsProbe: false,
      onCallControl: (rt) => {
        runtime = rt;
      },
      onWiring: (w) => {
        wiring = w;
      },
    }),
  });
  if (!wiring) throw new Error('productionLayers did not hand out its wiring');
  return {
    app,
    sipPort: o.sipPort,
    runtime: () => runtime,
    wiring,
    logLines: () => lines,
    async api<T>(method: string, p: string, body?: unknown): Promise<T> {
      const res = await fetch(`${app.httpUrl}/api${p}`, {
        method,
        headers: {
          authorization: `Bearer ${TOKEN}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${text}`);
      return (text ? JSON.parse(text) : {}) as T;
    },
  };
}
