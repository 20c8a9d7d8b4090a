/**
 * The app's side of call recordings: the daily retention layer (its timer
 * runs passes with an injected clock and is released on close) and the
 * adapter that names recording files and lists finished ones in the store.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { callRecordingFiles } from '../../src/app/recordings/call-recordings.ts';
import { recordingRetention } from '../../src/app/recordings/recording-retention.ts';
import type { LayerStarter } from '../../src/app/runtime/layer.ts';
import { createLogger } from '../../src/app/runtime/logger.ts';
import { loadConfig } from '../../src/app/settings/config.ts';
import { type AcdApp, startApp } from '../../src/app/start-app.ts';
import { openPglite } from '../../src/store/index.ts';
import { captureLogs } from '../api/support/harness.ts';

const DAY = 24 * 3600 * 1000;
const dir = mkdtempSync(path.join(tmpdir(), 'recordings-app-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const apps: AcdApp[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

async function app(layers: LayerStarter[], logs: string[]) {
  const a = await startApp(
    loadConfig({
      env: {},
      overrides: {
        http: { host: '127.0.0.1', port: 0 },
        database: { dataDir: '/nonexistent-not-used' },
        api: { token: 'recordings-token-0123456789' },
      },
    }),
    {
      db: await openPglite(),
      layers,
      logger: createLogger({ level: 'info', destination: captureLogs(logs) }),
    },
  );
  apps.push(a);
  return a;
}

async function until(fn: () => Promise<boolean> | boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('recording retention layer', () => {
  it('deletes what its fake clock says is past retention, logs each pass, and stops on close', async () => {
    const logs: string[] = [];
    // Two hundred days ahead of the real clock.
    const fakeNow = new Date(Date.now() + 200 * DAY);
    const a = await app(
      [recordingRetention({ firstRunMs: 20, intervalMs: 50, now: () => fakeNow })],
      logs,
    );
    const d = await a.store.departments.create({ name: 'Kept', recordingRetentionDays: 365 });
    const oldFile = path.join(dir, 'old.wav');
    const keptFile = path.join(dir, 'kept.wav');
    writeFileSync(oldFile, 'x');
    writeFileSync(keptFile, 'x');
    const now = new Date();
    await a.store.recordings.add({
      callId: 'old',
      departmentId: null,
      path: oldFile,
      startedAt: now,
      endedAt: now,
      bytes: 1,
    });
    await a.store.recordings.add({
      callId: 'kept',
      departmentId: d.id,
      path: keptFile,
      startedAt: now,
      endedAt: now,
      bytes: 1,
    });
    await until(async () => (await a.store.recordings.latestForCall('old')) === null);
    expect(existsSync(oldFile)).toBe(false);
    expect(existsSync(keptFile)).toBe(true);
    expect((await a.store.recordings.latestForCall('kept'))?.callId).toBe('kept');
    const passes = () => logs.filter((l) => l.includes('recording retention pass')).length;
    await until(() => passes() >= 2);
    expect(logs.some((l) => l.includes('"deleted":1'))).toBe(true);
    await a.close();
    const after = passes();
    await new Promise((r) => setTimeout(r, 200));
    expect(passes()).toBe(after);
    // PGlite compiles its WASM on boot: seconds when idle, far more on a busy machine.
  }, 180_000);
});

describe('recording files', () => {
  it('names a file per call and start in a folder per day, with only safe characters', () => {
    const files = callRecordingFiles({
      dir,
      recordings: { add: async () => Promise.reject(new Error('unused')) },
      departmentOf: async () => null,
      log: { info() {}, warn() {}, error() {} },
      now: () => Date.parse('2026-03-04T05:06:07Z'),
    });
    const f = files.fileFor('a1b2@10.0.0.1/../x y');
    expect(path.dirname(f)).toBe(path.join(dir, '2026-03-04'));
    expect(path.basename(f)).toMatch(/^[A-Za-z0-9._-]+\.wav$/);
    expect(path.basename(f).startsWith('.')).toBe(false);
    expect(f.includes(`..${path.sep}`)).toBe(false);
  });

  it("lists a finished file with its size and the call's department; a missing file is logged, not listed", async () => {
    const logs: string[] = [];
    const a = await app([], logs);
    const d = await a.store.departments.create({ name: 'Sales' });
    const warnings: string[] = [];
    const files = callRecordingFiles({
      dir,
      recordings: a.store.recordings,
      departmentOf: async () => d.id,
      log: {
        info() {},
        warn(_o: object, m: string) {
          warnings.push(m);
        },
        error() {},
      },
    });
    const file = files.fileFor('call-7');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, Buffer.alloc(1234));
    const startedAt = Date.now() - 5000;
    files.saved({ callId: 'call-7', path: file, startedAt, endedAt: Date.now() });
    files.saved({
      callId: 'call-8',
      path: path.join(dir, 'never-written.wav'),
      startedAt,
      endedAt: Date.now(),
    });
    await files.settled();
    const row = await a.store.recordings.latestForCall('call-7');
    expect(row).toMatchObject({ callId: 'call-7', departmentId: d.id, path: file, bytes: 1234 });
    expect(await a.store.recordings.latestForCall('call-8')).toBeNull();
    expect(warnings).toEqual(['recording file not found: not listed']);
  }, 180_000);
});
