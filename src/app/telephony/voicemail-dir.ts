/**
 * The folder voicemail recordings go to: `media.voicemailDir`, or
 * `<database.dataDir>/voicemail`. Absolute, because the media server gets the
 * path as it is (a relative one would land in its own record folder). The
 * voicemail box creates it with the first message.
 */
import path from 'node:path';
import type { Config } from '../settings/config.ts';

export function voicemailDir(config: Config): string {
  return path.resolve(config.media.voicemailDir ?? path.join(config.database.dataDir, 'voicemail'));
}
