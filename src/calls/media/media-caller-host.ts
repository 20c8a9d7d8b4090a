/** What a `MediaCaller` needs from `CallerMedia`: the media server, counters, settings, hooks. */
import type { Logger } from '../ports/index.ts';
import type { VoicemailBox } from '../voicemail/voicemail-box.ts';
import type { CallbackMenu } from './callback-menu.ts';
import type { DepartmentMedia } from './department-media.ts';
import type { MrfEndpoint, MrfMediaServer } from './mrf-types.ts';

export interface MediaCallerHost {
  media: MrfMediaServer;
  logger: Logger;
  now(): number;
  /** Counts endpoints in use (leak checks). */
  endpointOpened(): void;
  endpointReleased(): void;
  /** Refer-To target for a forward exit after the answer (null = no trunk: hang up instead). */
  forwardTarget(number: string): string | null;
  /** No RTP from the caller for this long: the media server ends the channel (MEDIA_TIMEOUT). */
  mediaTimeoutMs: number;
  /** Where `voicemail` exits record (null: they end with goodbye, as `hangup` does). */
  voicemail: VoicemailBox | null;
  /** The callback dialogue for this caller (absent: the callback key does nothing). */
  callbackMenu?(dept: DepartmentMedia, play: (files: string[]) => Promise<void>): CallbackMenu;
  /** The call is bridged in the media server (`record`: the department records its calls). */
  anchored?(callId: string, endpoint: MrfEndpoint, record: boolean): void;
  /** The anchored call's bridge is gone (either side hung up). */
  anchorEnded?(callId: string): void;
}
