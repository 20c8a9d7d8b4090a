/**
 * Where call recordings go and how a finished one is listed: `fileFor`
 * names the WAV file of a call's next recording (a folder per day, so no
 * folder grows without bound), `saved` lists a completed file in the store
 * with its size and the call's department, so the API can serve it and the
 * retention job can delete it in time.
 *
 * The media server writes the file under a hidden temporary name and renames
 * it when complete, so `saved` sees only whole files; a file that is not
 * there (the recording failed, the disk was full) is logged and not listed.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { RecordingsRepo } from '../../store/recordings.ts';

export interface SavedRecording {
  callId: string;
  path: string;
  startedAt: Date | number;
  endedAt: Date | number;
}

export interface CallRecordingFiles {
  /** Absolute path for a new recording of the call (unique per call and start). */
  fileFor(callId: string): string;
  /** Lists a completed recording (fire and forget: failures are logged). */
  saved(recording: SavedRecording): void;
  /** Resolves when every `saved` under way has been written (shutdown, tests). */
  settled(): Promise<void>;
}

export interface CallRecordingFilesOptions {
  /** The recording folder, as both the media server and the app see it. */
  dir: string;
  recordings: Pick<RecordingsRepo, 'add'>;
  /** The call's department (from the call log), null when unknown. */
  departmentOf(callId: string): Promise<string | null>;
  log: {
    info(obj: object, msg: string): void;
    warn(obj: object, msg: string): void;
    error(obj: object, msg: string): void;
  };
  now?: () => number;
}

/** Call ids come from SIP: only safe characters reach a file name. */
function fileSafe(callId: string): string {
  return (
    callId
      .replace(/[^A-Za-z0-9._-]/g, '_')
      .replace(/^\.+/, '_')
      .slice(0, 120) || 'call'
  );
}

/** How long a finished recording's file may take to appear. */
const COMPLETION_WAIT_MS = 10_000;

export function callRecordingFiles(options: CallRecordingFilesOptions): CallRecordingFiles {
  const now = options.now ?? Date.now;
  const dir = path.resolve(options.dir);
  const pending = new Set<Promise<void>>();

  /**
   * The file's size once the media server has completed it. A recording
   * that ends with its call is completed as the channel hangs up, which may
   * come a moment after the call's end reaches us: wait for it a while.
   */
  async function completedSize(file: string): Promise<number> {
    const deadline = Date.now() + COMPLETION_WAIT_MS;
    for (;;) {
      try {
        return (await stat(file)).size;
      } catch (err) {
        if (Date.now() >= deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  async function list(r: SavedRecording): Promise<void> {
    let bytes: number;
    try {
      bytes = await completedSize(r.path);
    } catch (err) {
      options.log.warn(
        { callId: r.callId, path: r.path, err: String(err) },
        'recording file not found: not listed',
      );
      return;
    }
    const departmentId = await options.departmentOf(r.callId).catch(() => null);
    await options.recordings.add({
      callId: r.callId,
      departmentId,
      path: r.path,
      startedAt: new Date(r.startedAt),
      endedAt: new Date(r.endedAt),
      bytes,
    });
    options.log.info({ callId: r.callId, bytes }, 'recording listed');
  }

  return {
    fileFor(callId) {
      const at = new Date(now());
      const day = at.toISOString().slice(0, 10);
      return path.join(dir, day, `${fileSafe(callId)}-${at.getTime()}.wav`);
    },
    saved(r) {
      const p = list(r)
        .catch((err: unknown) =>
          options.log.error({ callId: r.callId, err }, 'listing a recording failed'),
        )
        .finally(() => pending.delete(p));
      pending.add(p);
    },
    async settled() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}
