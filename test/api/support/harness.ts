/**
 * Starts the real app in-process on a free port, against embedded PGlite (a
 * temporary data folder) or a throwaway Postgres server, and talks to it
 * over real HTTP. One app per test file and backend (PGlite takes seconds to
 * boot); tests inside a file use unique names so they do not interfere.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll } from 'vitest';
import { loadConfig } from '../../../src/app/settings/config.ts';
import type { LayerStarter } from '../../../src/app/runtime/layer.ts';
import { createLogger } from '../../../src/app/runtime/logger.ts';
import { type AcdApp, startApp } from '../../../src/app/start-app.ts';
import { startPostgres, type TestPostgres } from '../../support/postgres.ts';

export type Backend = 'pglite' | 'postgres';
export const BACKENDS: readonly Backend[] = ['pglite', 'postgres'];

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
export const READ_TOKEN = 'test-read-token-0123456789';

export interface Reply<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

export interface Harness {
  readonly app: AcdApp;
  readonly url: string;
  /** JSON log lines the app wrote. */
  readonly logs: string[];
  /** A request with the admin token (or `token`, or none with token: null). */
  call<T = unknown>(
    method: string,
    urlPath: string,
    body?: unknown,
    options?: { token?: string | null; headers?: Record<string, string>; rawBody?: string },
  ): Promise<Reply<T>>;
}

let counter = 0;
/** A short unique suffix for names and numbers inside one test file. */
export function unique(): string {
  counter += 1;
  return `${process.pid % 10000}${counter}${Math.floor(Math.random() * 1000)}`;
}

/** A unique E.164 number. */
export function uniqueNumber(prefix = '+4930'): string {
  return `${prefix}${unique()}`.slice(0, 16);
}

export function captureLogs(lines: string[]) {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
}

export interface HarnessOptions {
  /** Config overrides on top of the test defaults. */
  overrides?: Record<string, unknown>;
  /** Layers started after the store (see src/app/runtime/layer.ts). */
  layers?: LayerStarter[];
}

export function useApp(backend: Backend, options: HarnessOptions = {}): Harness {
  let app: AcdApp | undefined;
  let pg: TestPostgres | undefined;
  let dir: string | undefined;
  const logs: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'acd-api-'));
    let databaseUrl: string | null = null;
    if (backend === 'postgres') {
      pg = await startPostgres();
      databaseUrl = await pg.createDatabase();
    }
    const config = loadConfig({
      env: {},
      overrides: {
        http: { host: '127.0.0.1', port: 0 },
        database: { url: databaseUrl, dataDir: dir },
        api: { token: ADMIN_TOKEN, readToken: READ_TOKEN },
        log: { level: 'info' },
        shutdown: { graceMs: 5000 },
        ...options.overrides,
      },
    });
    app = await startApp(config, {
      logger: createLogger({ level: 'info', destination: captureLogs(logs) }),
      ...(options.layers ? { layers: options.layers } : {}),
    });
    // PGlite compiles its WASM on boot: seconds when idle, far more on a busy 2-core CI machine.
  }, 180_000);

  afterAll(async () => {
    await app?.close();
    await pg?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  const harness: Harness = {
    get app() {
      if (!app) throw new Error('app not started');
      return app;
    },
    get url() {
      return harness.app.httpUrl;
    },
    logs,
    async call(method, urlPath, body, opts = {}) {
      const headers: Record<string, string> = { ...opts.headers };
      const token = opts.token === undefined ? ADMIN_TOKEN : opts.token;
      if (token !== null) headers.authorization = `Bearer ${token}`;
      let payload: string | undefined = opts.rawBody;
      if (body !== undefined) payload = JSON.stringify(body);
      if (payload !== undefined) headers['content-type'] ??= 'application/json';
      const res = await fetch(`${harness.url}${urlPath}`, {
        method,
        headers,
        ...(payload !== undefined ? { body: payload } : {}),
      });
      const text = await res.text();
      let parsed: unknown = text;
      if ((res.headers.get('content-type') ?? '').includes('application/json') && text !== '') {
        parsed = JSON.parse(text);
      }
      return { status: res.status, body: parsed as never, headers: res.headers };
    },
  };
  return harness;
}

/** The error body of the API. */
export interface ErrorReply {
  error: { code: string; message: string; field?: string; reason?: string };
}
