/**
 * The folders the media server records into: voicemail (`media.voicemailDir`,
 * or `<database.dataDir>/voicemail`) and call recordings
 * (`media.recordingsDir`, or `<database.dataDir>/recordings`). Absolute,
 * because the media server gets the path as it is (a relative one would land
 * in its own record folder). Neither is created at start: the voicemail box
 * creates its folder with the first message, the media server a recording's
 * folder when it starts writing (and a folder it cannot create fails that
 * recording with a logged error, as a full disk would).
 */
import path from 'node:path';
import type { Config } from './config.ts';

export function voicemailDir(config: Config): string {
  return path.resolve(config.media.voicemailDir ?? path.join(config.database.dataDir, 'voicemail'));
}

export function recordingsDir(config: Config): string {
  return path.resolve(
    config.media.recordingsDir ?? path.join(config.database.dataDir, 'recordings'),
  );
}
