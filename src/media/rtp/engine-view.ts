/**
 * What the channel layer needs of the RTP engine (src/media/rtp), written as
 * interfaces so the ESL/SIP side depends on the engine's shape only; the
 * engine class satisfies them structurally.
 */

import type { RtpChannel, RtpChannelEvents, RtpChannelStats } from './types.ts';

export type {
  G711,
  PlayEnd,
  PlaySource,
  RecordOptions,
  RecordResult,
  RemoteMedia,
  SessionRecordOptions,
} from './types.ts';

type DtmfListener = (...event: RtpChannelEvents['dtmf']) => void;

/**
 * The members of the engine's channel (RtpChannel, documented there) that
 * the channel layer uses: not `sendDtmf`, nor the RTCP count, and of its
 * events only `dtmf`.
 */
export interface MediaChannel
  extends Pick<
    RtpChannel,
    | 'localPort'
    | 'setRemote'
    | 'play'
    | 'record'
    | 'recordSession'
    | 'stopMedia'
    | 'unbridge'
    | 'lastPacketAt'
    | 'close'
  > {
  /** Another channel of the same engine (RtpChannel.bridge). */
  bridge(other: MediaChannel): void;
  readonly stats: Readonly<Omit<RtpChannelStats, 'rtcp'>>;
  on(event: 'dtmf', listener: DtmfListener): unknown;
  off(event: 'dtmf', listener: DtmfListener): unknown;
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
