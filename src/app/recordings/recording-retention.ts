/**
 * Deletes call recordings whose department's retention has run out: the file
 * first, then its row, so a listed recording always has its file (a file
 * already gone is counted and its row removed). Runs once a day (and
 * `firstRunMs` after start, so a product that restarts daily still sweeps);
 * every pass logs its counts.
 *
 * The layer owns one timer, re-armed after each pass and cleared once on
 * close; a pass still running is awaited. Two instances sweeping at once do
 * no harm: a file or row already deleted is skipped.
 */
import { unlink } from 'node:fs/promises';
import type { Recording, RecordingsRepo } from '../../store/recordings.ts';
import type { LayerStarter } from '../runtime/layer.ts';

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
}

export function recordingRetention(options: RecordingRetentionOptions = {}): LayerStarter {
  const intervalMs = options.intervalMs ?? DAY_MS;
  const now = options.now ?? (() => new Date());
  return async ({ store, logger }) => {
    const log = logger.child({ component: 'recording-retention' });
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
        .finally(() => {
          running = null;
          arm(intervalMs);
        });
    };
    arm(options.firstRunMs ?? 60_000);
    return {
      name: 'recording-retention',
      async close() {
        closed = true;
        if (timer) clearTimeout(timer);
        timer = undefined;
        await running;
      },
    };
  };
}
