/**
 * The folders the media server records into: voicemail (`media.voicemailDir`,
 * or `<database.dataDir>/voicemail`) and call recordings
 * (`media.recordingsDir`, or `<database.dataDir>/recordings`). Absolute,
 * because the media server gets the path as it is (a relative one would land
 * in its own record folder). Created here when missing; when one cannot be,
 * the app still starts and each recording there fails with a logged error,
 * as a full disk would make it.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../calls/ports/index.ts';
import type { Config } from '../settings/config.ts';

async function mediaFolder(configured: string | null, fallback: string, log: Logger, what: string) {
  const dir = path.resolve(configured ?? fallback);
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    log.error({ err, dir }, `${what}: folder cannot be created; ${what}s will fail`);
  }
  return dir;
}

export function voicemailDir(config: Config, log: Logger): Promise<string> {
  const fallback = path.join(config.database.dataDir, 'voicemail');
  return mediaFolder(config.media.voicemailDir, fallback, log, 'voicemail');
}

export function recordingsDir(config: Config, log: Logger): Promise<string> {
  const fallback = path.join(config.database.dataDir, 'recordings');
  return mediaFolder(config.media.recordingsDir, fallback, log, 'recording');
}
