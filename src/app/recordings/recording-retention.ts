/**
 * Deletes call recordings whose department's retention has run out: the file
 * first, then its row, so a listed recording always has its file (a file
 * already gone is counted and its row removed). Runs once a day (and
 * `firstRunMs` after start, so a product that restarts daily still sweeps);
 * every pass logs its counts. Each pass, and the layer's start, also
 * deletes the `.part` files a crash left in the recording and voicemail
 * folders once nothing has written them for an hour (stale-partials.ts).
 *
 * The layer owns one timer, re-armed after each pass and cleared once on
 * close; a pass still running is awaited. Two instances sweeping at once do
 * no harm: a file or row already deleted is skipped.
 */
import { unlink } from 'node:fs/promises';
import type { Recording, RecordingsRepo } from '../../store/recordings.ts';
import type { LayerStarter } from '../runtime/layer.ts';
import { recordingsDir, voicemailDir } from '../settings/media-folders.ts';
import { sweepStalePartials } from './stale-partials.ts';

const DAY_MS = 24 * 3600 * 1000;
const BATCH = 500;

export interface SweepCounts {
  /** Files and rows deleted. */
  deleted: number;
  /** Rows deleted whose file was already gone. */
  missingFiles: number;
  /** Files that could not be deleted (kept, with their rows, for the next pass). */
  failed: number;
}

export interface SweepDeps {
  recordings: Pick<RecordingsRepo, 'expired' | 'remove'>;
  removeFile?: (path: string) => Promise<void>;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

/** One pass at `now`. */
export async function sweepRecordings(deps: SweepDeps, now: Date): Promise<SweepCounts> {
  const removeFile = deps.removeFile ?? unlink;
  const counts: SweepCounts = { deleted: 0, missingFiles: 0, failed: 0 };
  const failedIds = new Set<string>();
  for (;;) {
    const batch = (await deps.recordings.expired(now, BATCH + failedIds.size)).filter(
      (r) => !failedIds.has(r.id),
    );
    if (batch.length === 0) break;
    for (const r of batch) await sweepOne(deps, removeFile, r, counts, failedIds);
    if (batch.length < BATCH) break;
  }
  deps.log.info({ ...counts, at: now.toISOString() }, 'recording retention pass');
  return counts;
}

async function sweepOne(
  deps: SweepDeps,
  removeFile: (path: string) => Promise<void>,
  r: Recording,
  counts: SweepCounts,
  failedIds: Set<string>,
): Promise<void> {
  try {
    await removeFile(r.path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      failedIds.add(r.id);
      counts.failed++;
      deps.log.warn({ recordingId: r.id, err: String(err) }, 'recording file not deleted');
      return;
    }
    counts.missingFiles++;
  }
  if (await deps.recordings.remove(r.id)) counts.deleted++;
}

export interface RecordingRetentionOptions {
  /** Between passes (default one day). */
  intervalMs?: number;
  /** From start to the first pass (default one minute). */
  firstRunMs?: number;
  now?: () => Date;
  removeFile?: (path: string) => Promise<void>;
  /** Folders swept for stale `.part` files (default: the recording and voicemail folders). */
  partialDirs?: string[];
  /** A `.part` file not written for this long is a crash's leftover (default one hour). */
  partialStaleMs?: number;
}

export function recordingRetention(options: RecordingRetentionOptions = {}): LayerStarter {
  const intervalMs = options.intervalMs ?? DAY_MS;
  const now = options.now ?? (() => new Date());
  return async ({ config, store, logger }) => {
    const log = logger.child({ component: 'recording-retention' });
    const dirs = options.partialDirs ?? [recordingsDir(config), voicemailDir(config)];
    const sweepPartials = () =>
      sweepStalePartials({
        dirs,
        now: now(),
        log,
        ...(options.partialStaleMs !== undefined ? { staleMs: options.partialStaleMs } : {}),
      }).catch((err: unknown) => log.warn({ err }, 'partial recordings sweep failed'));
    const deps: SweepDeps = {
      recordings: store.recordings,
      log,
      ...(options.removeFile ? { removeFile: options.removeFile } : {}),
    };
    let timer: NodeJS.Timeout | undefined;
    let running: Promise<void> | null = null;
    let closed = false;
    const arm = (ms: number) => {
      if (closed) return;
      timer = setTimeout(pass, ms);
      timer.unref();
    };
    const pass = () => {
      timer = undefined;
      running = sweepRecordings(deps, now())
        .then(() => undefined)
        .catch((err: unknown) => log.warn({ err }, 'recording retention pass failed'))
        .then(sweepPartials)
        .then(() => undefined)
        .finally(() => {
          running = null;
          arm(intervalMs);
        });
    };
    // Leftovers of a crash go at once: the first retention pass is a minute away.
    // (A pass overlapping it is harmless: a file already deleted is skipped.)
    const atStart: Promise<void> = sweepPartials().then(() => undefined);
    arm(options.firstRunMs ?? 60_000);
    return {
      name: 'recording-retention',
      async close() {
        closed = true;
        if (timer) clearTimeout(timer);
        timer = undefined;
        await Promise.all([atStart, running]);
      },
    };
  };
}
