/**
 * Removes the hidden temporary files a crash leaves in the recording and
 * voicemail folders. The embedded media server writes every recording to
 * `.<name>.<8 hex>.part` beside its target and renames it into place when
 * complete (src/media/rtp/recorder.ts); a process that dies mid-recording
 * leaves that file behind, never listed and never deleted by retention.
 *
 * When is a `.part` file safe to delete? A running recorder writes its file
 * every half second (silence included: a frame per 20 ms tick), so its
 * modification time is never more than about a second old. Call recordings
 * have no length limit, so "older than the longest recording" would never
 * hold for them; "not written for `staleMs`" (default one hour) does, and it
 * holds for a recorder of another instance sharing the folder too. The
 * margin covers a disk that stalls for a while without the file being dead.
 *
 * Folders are walked to a small depth (recordings sit in one folder per day);
 * a folder that does not exist yet (nothing recorded so far) is no error.
 */
import type { Dirent } from 'node:fs';
import { readdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';

/** The recorder's temporary name: `.<name>.<8 hex>.part`. */
const PARTIAL = /^\..+\.[0-9a-f]{8}\.part$/;

/** Default: not written for an hour (a running recorder writes every half second). */
export const STALE_PARTIAL_MS = 3600 * 1000;

/** Recordings folder, day folder: two levels are enough. */
const MAX_DEPTH = 2;

export interface PartialSweepCounts {
  /** Stale `.part` files deleted. */
  deleted: number;
  /** `.part` files written recently (a recording may be running): kept. */
  kept: number;
  /** Stale ones that could not be deleted (logged; tried again next pass). */
  failed: number;
}

export interface PartialSweepOptions {
  dirs: readonly string[];
  now: Date;
  staleMs?: number;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

export async function sweepStalePartials(o: PartialSweepOptions): Promise<PartialSweepCounts> {
  const counts: PartialSweepCounts = { deleted: 0, kept: 0, failed: 0 };
  const cutoff = o.now.getTime() - (o.staleMs ?? STALE_PARTIAL_MS);
  for (const dir of new Set(o.dirs.map((d) => path.resolve(d)))) {
    await sweepDir(dir, 0, cutoff, counts, o.log);
  }
  if (counts.deleted + counts.failed > 0) {
    o.log.info({ ...counts }, 'stale partial recordings swept');
  }
  return counts;
}

async function sweepDir(
  dir: string,
  depth: number,
  cutoff: number,
  counts: PartialSweepCounts,
  log: PartialSweepOptions['log'],
): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      log.warn({ dir, err: String(err) }, 'partial recordings: folder not readable');
    }
    return;
  }
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (depth < MAX_DEPTH) await sweepDir(full, depth + 1, cutoff, counts, log);
      continue;
    }
    if (!e.isFile() || !PARTIAL.test(e.name)) continue;
    await sweepFile(full, cutoff, counts, log);
  }
}

async function sweepFile(
  file: string,
  cutoff: number,
  counts: PartialSweepCounts,
  log: PartialSweepOptions['log'],
): Promise<void> {
  try {
    const { mtimeMs } = await stat(file);
    if (mtimeMs > cutoff) {
      counts.kept++;
      return;
    }
    await unlink(file);
    counts.deleted++;
    log.info(
      { file, lastWritten: new Date(mtimeMs).toISOString() },
      'deleted a partial recording left by a crash',
    );
  } catch (err) {
    // Renamed into place or removed by its recorder meanwhile: nothing left to do.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    counts.failed++;
    log.warn({ file, err: String(err) }, 'partial recording not deleted');
  }
}
