/**
 * The `.part` files a crash leaves in the recording and voicemail folders:
 * deleted (with a log line) once nothing has written them for the stale
 * time, at the retention layer's start and by its passes; fresh ones (a
 * recording may be running), finished recordings and other files are kept.
 * Real files in a temporary folder, ages set with utimes.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { recordingRetention } from '../../src/app/recordings/recording-retention.ts';
import { sweepStalePartials } from '../../src/app/recordings/stale-partials.ts';
import type { LayerContext } from '../../src/app/runtime/layer.ts';
import { Recorder } from '../../src/media/rtp/recorder.ts';

const root = mkdtempSync(path.join(tmpdir(), 'stale-partials-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const HOUR = 3600 * 1000;

function file(rel: string, ageMs: number, now: Date): string {
  const full = path.join(root, rel);
  mkdirSync(path.dirname(full), { recursive: true });
  writeFileSync(full, Buffer.alloc(64, 1));
  const t = new Date(now.getTime() - ageMs);
  utimesSync(full, t, t);
  return full;
}

function logSink() {
  const lines: Array<{ obj: Record<string, unknown>; msg: string }> = [];
  const add = (obj: object, msg: string) =>
    void lines.push({ obj: obj as Record<string, unknown>, msg });
  return { lines, log: { info: add, warn: add } };
}

it('deletes stale .part files in the recording day folders and the voicemail folder, keeps fresh ones and everything else', async () => {
  const now = new Date();
  const oldCall = file('t1/recordings/2026-01-02/.c1-1.wav.0a1b2c3d.part', 2 * HOUR, now);
  const freshCall = file('t1/recordings/2026-01-02/.c2-2.wav.deadbeef.part', 1000, now);
  const finished = file('t1/recordings/2026-01-02/c3-3.wav', 30 * 24 * HOUR, now);
  const oldVoicemail = file('t1/voicemail/.v1.wav.00ff00ff.part', 5 * HOUR, now);
  // Not the recorder's name: not ours to delete, however old.
  const foreign = file('t1/voicemail/notes.part', 5 * HOUR, now);
  const { lines, log } = logSink();

  const counts = await sweepStalePartials({
    dirs: [path.join(root, 't1/recordings'), path.join(root, 't1/voicemail')],
    now,
    log,
  });

  expect(counts).toEqual({ deleted: 2, kept: 1, failed: 0 });
  expect(existsSync(oldCall)).toBe(false);
  expect(existsSync(oldVoicemail)).toBe(false);
  expect(existsSync(freshCall)).toBe(true);
  expect(existsSync(finished)).toBe(true);
  expect(existsSync(foreign)).toBe(true);
  const deletions = lines.filter((l) => l.msg === 'deleted a partial recording left by a crash');
  expect(deletions.map((l) => l.obj.file).sort()).toEqual([oldCall, oldVoicemail].sort());
});

it('a folder that does not exist yet is no error, and nothing is logged when nothing was stale', async () => {
  const { lines, log } = logSink();
  const counts = await sweepStalePartials({
    dirs: [path.join(root, 'missing/recordings')],
    now: new Date(),
    log,
  });
  expect(counts).toEqual({ deleted: 0, kept: 0, failed: 0 });
  expect(lines).toEqual([]);
});

it('the retention layer sweeps at its start, before its first pass, and its close waits for it', async () => {
  const now = new Date();
  const stale = file('t3/recordings/2026-02-03/.c9-9.wav.12345678.part', 90 * 60 * 1000, now);
  const running = file('t3/voicemail/.v9.wav.87654321.part', 0, now);
  const { lines, log } = logSink();
  const logger = { child: () => log };
  let passes = 0;
  const ctx = {
    config: {},
    logger,
    store: {
      recordings: {
        expired: async () => {
          passes += 1;
          return [];
        },
        remove: async () => false,
      },
    },
  } as unknown as LayerContext;

  const layer = await recordingRetention({
    firstRunMs: 3_600_000,
    partialDirs: [path.join(root, 't3/recordings'), path.join(root, 't3/voicemail')],
  })(ctx);
  await layer.close();

  expect(passes).toBe(0);
  expect(existsSync(stale)).toBe(false);
  expect(existsSync(running)).toBe(true);
  expect(lines.some((l) => l.msg === 'deleted a partial recording left by a crash')).toBe(true);
});

it("a running recorder's .part file is written every half second, so a sweep with a one-second stale time keeps it", async () => {
  const dir = path.join(root, 't4/recordings/2026-03-04');
  mkdirSync(dir, { recursive: true });
  const rec = new Recorder(path.join(dir, 'live-1.wav'), { maxMs: 60_000, channels: 2 });
  const frame = new Int16Array(320).fill(1000);
  const sweeps: Array<{ deleted: number; kept: number }> = [];
  // Three seconds of 20 ms stereo frames in real time, a sweep every half second.
  for (let tick = 1; tick <= 150; tick++) {
    rec.push(frame);
    await new Promise((res) => setTimeout(res, 20));
    if (tick % 25 === 0) {
      const { deleted, kept } = await sweepStalePartials({
        dirs: [path.join(root, 't4/recordings')],
        now: new Date(),
        staleMs: 1000,
        log: logSink().log,
      });
      sweeps.push({ deleted, kept });
    }
  }
  expect(sweeps.every((c) => c.deleted === 0 && c.kept === 1)).toBe(true);
  rec.finish('stopped');
  const result = await rec.result;
  expect(result.reason).toBe('stopped');
  expect(readdirSync(dir)).toEqual(['live-1.wav']);
});
