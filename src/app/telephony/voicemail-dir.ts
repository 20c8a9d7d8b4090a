/**
 * The folder voicemail recordings go to: `media.voicemailDir`, or
 * `<database.dataDir>/voicemail`. Absolute, because the media server gets the
 * path as it is (a relative one would land in its own record folder). Created
 * here when missing; when it cannot be, the app still starts and each
 * voicemail fails with a logged error, as a full disk would make it.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../calls/ports/index.ts';
import type { Config } from '../settings/config.ts';

export async function voicemailDir(config: Config, log: Logger): Promise<string> {
  const dir = path.resolve(
    config.media.voicemailDir ?? path.join(config.database.dataDir, 'voicemail'),
  );
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    log.error({ err, dir }, 'voicemail: folder cannot be created; voicemails will fail');
  }
  return dir;
}
