/**
 * Call recordings in the store (Postgres server and PGlite): rows, the
 * department settings that ask for them, and the retention sweep that
 * deletes file and row once the department's retention has run out, driven
 * by a fake clock. Files are real files in a temporary folder.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { sweepRecordings } from '../../src/app/recordings/recording-retention.ts';
import { ConstraintError } from '../../src/store/index.ts';
import { eachBackend } from './backends.ts';

const DAY = 24 * 3600 * 1000;
const dir = mkdtempSync(path.join(tmpdir(), 'recordings-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function wavFile(): string {
  n += 1;
  const file = path.join(dir, `r${n}-${process.pid}.wav`);
  writeFileSync(file, Buffer.alloc(100, 1));
  return file;
}

const quiet = { info: () => undefined, warn: () => undefined };

eachBackend('recordings', (ctx) => {
  it('a department records no calls and keeps recordings 90 days unless told otherwise', async () => {
    const { store } = ctx();
    const d = await store.departments.create({ name: 'Defaults' });
    expect(d.recordCalls).toBe(false);
    expect(d.recordingRetentionDays).toBe(90);
    const changed = await store.departments.update(d.id, {
      recordCalls: true,
      recordingRetentionDays: 30,
    });
    expect(changed.recordCalls).toBe(true);
    expect(changed.recordingRetentionDays).toBe(30);
  });

  it('refuses a retention outside 1-3650 days, naming the field', async () => {
    const { store } = ctx();
    const d = await store.departments.create({ name: 'Bad retention' });
    for (const days of [0, 3651]) {
      const err = await store.departments
        .update(d.id, { recordingRetentionDays: days })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConstraintError);
      expect((err as ConstraintError).field).toBe('recordingRetentionDays');
    }
  });

  it("lists a call's recordings and gives the latest", async () => {
    const { store } = ctx();
    const d = await store.departments.create({ name: 'Listed' });
    const t0 = new Date('2026-01-10T10:00:00Z');
    const first = await store.recordings.add({
      callId: 'call-a',
      departmentId: d.id,
      path: wavFile(),
      startedAt: t0,
      endedAt: new Date(t0.getTime() + 60_000),
      bytes: 100,
    });
    const second = await store.recordings.add({
      callId: 'call-a',
      departmentId: d.id,
      path: wavFile(),
      startedAt: new Date(t0.getTime() + 120_000),
      endedAt: new Date(t0.getTime() + 180_000),
      bytes: 100,
    });
    expect(first.departmentId).toBe(d.id);
    expect((await store.recordings.latestForCall('call-a'))?.id).toBe(second.id);
    expect(await store.recordings.latestForCall('no-such-call')).toBeNull();
    expect(await store.recordings.remove(second.id)).toBe(true);
    expect(await store.recordings.remove(second.id)).toBe(false);
    expect(await store.recordings.remove('not-a-uuid')).toBe(false);
  });

  it('refuses a relative path and an end before the start', async () => {
    const { store } = ctx();
    const base = {
      callId: 'call-b',
      departmentId: null,
      startedAt: new Date('2026-01-10T10:00:00Z'),
      endedAt: new Date('2026-01-10T10:01:00Z'),
      bytes: 1,
    };
    await expect(store.recordings.add({ ...base, path: 'relative.wav' })).rejects.toBeInstanceOf(
      ConstraintError,
    );
    await expect(
      store.recordings.add({ ...base, path: '/x.wav', endedAt: new Date('2026-01-10T09:00:00Z') }),
    ).rejects.toBeInstanceOf(ConstraintError);
  });

  it("the retention sweep deletes file and row after each department's retention, not before", async () => {
    const { store } = ctx();
    const short = await store.departments.create({ name: 'Short', recordingRetentionDays: 7 });
    const long = await store.departments.create({ name: 'Long', recordingRetentionDays: 365 });
    const now = new Date('2026-06-01T12:00:00Z');
    const ended = (daysAgo: number) => new Date(now.getTime() - daysAgo * DAY);
    const add = (callId: string, departmentId: string | null, daysAgo: number, file = wavFile()) =>
      store.recordings.add({
        callId,
        departmentId,
        path: file,
        startedAt: new Date(ended(daysAgo).getTime() - 60_000),
        endedAt: ended(daysAgo),
        bytes: 100,
      });
    const shortOld = await add('s-old', short.id, 8);
    const shortNew = await add('s-new', short.id, 6);
    const longOld = await add('l-old', long.id, 300);
    // A department that is gone: the default 90 days.
    const orphanOld = await add('o-old', '00000000-0000-4000-8000-000000000000', 91);
    const orphanNew = await add('o-new', '00000000-0000-4000-8000-000000000000', 89);
    // A row whose file someone already removed.
    const gone = path.join(dir, `gone-${process.pid}.wav`);
    const goneRow = await add('gone', short.id, 30, gone);

    const lines: Array<Record<string, unknown>> = [];
    const log = { info: (o: object) => lines.push(o as Record<string, unknown>), warn: () => {} };
    const counts = await sweepRecordings({ recordings: store.recordings, log }, now);
    expect(counts).toEqual({ deleted: 3, missingFiles: 1, failed: 0 });
    expect(lines).toEqual([expect.objectContaining({ deleted: 3, missingFiles: 1, failed: 0 })]);
    for (const r of [shortOld, orphanOld]) {
      expect(existsSync(r.path)).toBe(false);
      expect(await store.recordings.latestForCall(r.callId)).toBeNull();
    }
    expect(await store.recordings.latestForCall(goneRow.callId)).toBeNull();
    for (const r of [shortNew, longOld, orphanNew]) {
      expect(existsSync(r.path)).toBe(true);
      expect((await store.recordings.latestForCall(r.callId))?.id).toBe(r.id);
    }

    // A year later the rest goes too; a second pass finds nothing.
    const later = new Date(now.getTime() + 366 * DAY);
    expect(await sweepRecordings({ recordings: store.recordings, log: quiet }, later)).toEqual({
      deleted: 3,
      missingFiles: 0,
      failed: 0,
    });
    expect(await sweepRecordings({ recordings: store.recordings, log: quiet }, later)).toEqual({
      deleted: 0,
      missingFiles: 0,
      failed: 0,
    });
  });

  it('a file that cannot be deleted keeps its row for the next pass, and the pass ends', async () => {
    const { store } = ctx();
    const d = await store.departments.create({ name: 'Stuck', recordingRetentionDays: 1 });
    const now = new Date('2026-06-01T12:00:00Z');
    const r = await store.recordings.add({
      callId: 'stuck',
      departmentId: d.id,
      path: wavFile(),
      startedAt: new Date(now.getTime() - 3 * DAY),
      endedAt: new Date(now.getTime() - 2 * DAY),
      bytes: 100,
    });
    const refuse = async () => {
      throw Object.assign(new Error('permission denied'), { code: 'EACCES' });
    };
    const counts = await sweepRecordings(
      { recordings: store.recordings, log: quiet, removeFile: refuse },
      now,
    );
    expect(counts).toEqual({ deleted: 0, missingFiles: 0, failed: 1 });
    expect((await store.recordings.latestForCall('stuck'))?.id).toBe(r.id);
    expect(existsSync(r.path)).toBe(true);
  });
});
