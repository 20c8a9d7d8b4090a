/**
 * The product as `npm start` runs it (startApp with telephony and the
 * production layers: the embedded SIP server, drachtio-srf, call control,
 * the store), started in this process on free loopback ports, with its JSON
 * log lines kept for the test to read. Configured through the admin API
 * only; the settings are the product's own (config/default.json) with the
 * test's addresses and ports over them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../../src/app/settings/config.ts';
import { productionLayers } from '../../../src/app/layers.ts';
import { createLogger } from '../../../src/app/runtime/logger.ts';
import { type AcdApp, startApp } from '../../../src/app/start-app.ts';
import type { Telephony } from '../../../src/app/telephony/start-telephony.ts';
import type { Db } from '../../../src/store/index.ts';

export const TOKEN = 'product-test-token-0123456789';

export interface Product {
  app: AcdApp;
  sipPort: number;
  telephony: Telephony;
  /** Every JSON line the app logged so far. */
  logLines: () => Array<Record<string, unknown>>;
  api<T = Record<string, unknown>>(method: string, p: string, body?: unknown): Promise<T>;
}

export interface ProductOptions {
  sipPort: number;
  /** PGlite in this folder (a restart finds the same rows); or one of the two below. */
  dataDir?: string;
  /** A Postgres server's database. */
  databaseUrl?: string;
  /** An opened database (in-memory PGlite); the app closes it. */
  db?: Db;
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

/** Products started; `stopProducts` closes them (afterEach; closing twice is harmless). */
const running = new Set<AcdApp>();
export async function stopProducts(): Promise<void> {
  const apps = [...running];
  running.clear();
  await Promise.all(apps.map((a) => a.close()));
}

export function merge(
  a: Record<string, unknown>,
  b: Record<string, unknown>,
): Record<string, unknown> {
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

/** The product's settings for a test: loopback, free ports, the test's token. */
export function productConfig(o: ProductOptions): ReturnType<typeof loadConfig> {
  const overrides = merge(
    {
      http: { host: '127.0.0.1', port: 0 },
      ...(o.dataDir ? { database: { url: null, dataDir: o.dataDir } } : {}),
      ...(o.databaseUrl ? { database: { url: o.databaseUrl } } : {}),
      api: { token: TOKEN },
      log: { level: o.logLevel ?? 'info' },
      sip: {
        host: '127.0.0.1',
        port: o.sipPort,
        trunk: { addresses: ['127.0.0.1'] },
        // sipp peers expect only INVITEs; an OPTIONS probe would fail their scenario.
        registrar: { probeIntervalS: 0 },
      },
      drachtio: { port: 0 },
      // Signalling tests: queued callers hear ringback, as sipp's scenarios
      // expect; test/app/caller-media.test.ts covers answering into media.
      media: { callers: 'ringback' },
    },
    o.overrides ?? {},
  );
  return loadConfig({ env: {}, overrides });
}

export async function startProduct(o: ProductOptions): Promise<Product> {
  const config = productConfig(o);
  const lines: Array<Record<string, unknown>> = [];
  const destination = {
    write(s: string) {
      for (const line of s.split('\n')) if (line.startsWith('{')) lines.push(JSON.parse(line));
    },
  };
  const app = await startApp(config, {
    ...(o.db ? { db: o.db } : {}),
    logger: createLogger({ level: config.log.level, destination }),
    defaultMetrics: false,
    telephony: true,
    layers: productionLayers(),
  });
  running.add(app);
  if (!app.telephony) throw new Error('the product started without telephony');
  return {
    app,
    sipPort: o.sipPort,
    telephony: app.telephony,
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
