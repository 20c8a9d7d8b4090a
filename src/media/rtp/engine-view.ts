/**
 * What the channel layer needs of the RTP engine (src/media/rtp), written as
 * interfaces so the ESL/SIP side depends on the engine's shape only; the
 * engine class satisfies them structurally.
 */

import type {
  PlayEnd,
  PlaySource,
  RecordOptions,
  RecordResult,
  RemoteMedia,
  SessionRecordOptions,
} from './types.ts';

export type {
  G711,
  PlayEnd,
  PlaySource,
  RecordOptions,
  RecordResult,
  RemoteMedia,
  SessionRecordOptions,
} from './types.ts';

export interface MediaChannel {
  readonly localPort: number;
  setRemote(remote: RemoteMedia): void;
  play(source: PlaySource, signal?: AbortSignal): Promise<PlayEnd>;
  record(path: string, opts: RecordOptions, signal?: AbortSignal): Promise<RecordResult>;
  recordSession(
    path: string,
    opts: SessionRecordOptions,
    signal?: AbortSignal,
  ): Promise<RecordResult>;
  stopMedia(): void;
  bridge(other: MediaChannel): void;
  unbridge(): void;
  readonly lastPacketAt: number | undefined;
  readonly stats: { packetsIn: number; packetsOut: number; dropped: number; malformed: number };
  on(event: 'dtmf', listener: (digit: string, durationMs: number) => void): unknown;
  off(event: 'dtmf', listener: (digit: string, durationMs: number) => void): unknown;
  close(): Promise<void>;
}

export interface MediaEngine {
  open(): Promise<MediaChannel>;
  readonly openChannels: number;
  /** Port pairs bound now (src/media/rtp's engine tells; others may not). */
  readonly portsInUse?: number;
  /** Timers the engine holds (its scheduler's while a channel is open). */
  readonly timers?: number;
  close(): Promise<void>;
}
