/**
 * The RTP engine's public types: the contract between the engine and the
 * event-socket/SIP side of the embedded media server. Extend, never break.
 */
import type { EventEmitter } from 'node:events';

import type { G711 } from '../audio/g711.ts';

export type { G711 };

export interface RemoteMedia {
  /** From the peer's SDP c= line. */
  address: string;
  /** From the peer's SDP m= line. */
  port: number;
  codec: G711;
  /** 0 for PCMU, 8 for PCMA (as negotiated). */
  payloadType: number;
  /** RFC 4733 payload type, e.g. 101. */
  telephoneEventPt?: number;
}

export type PlaySource =
  /** WAV: PCM 16-bit mono or stereo (any rate, resampled to 8 kHz), or G.711 WAV (format 6/7). */
  | { kind: 'file'; path: string }
  /** Music on hold: a list, optionally endless. */
  | { kind: 'files'; paths: string[]; loop: boolean }
  /** tone_stream / beep: the sum of the frequencies, `onMs` on, `offMs` off, `repeat` times (0 or less: until stopped). */
  | { kind: 'tone'; frequencies: number[]; onMs: number; offMs: number; repeat: number }
  | { kind: 'silence'; durationMs: number };

export type PlayEnd = 'done' | 'stopped';

export interface RecordOptions {
  maxMs: number;
  /** DTMF digits that end the recording (e.g. '#'). */
  terminators?: string;
  /** End after this much silence (optional). */
  silenceStopMs?: number;
}

export interface RecordResult {
  reason: 'max' | 'terminator' | 'silence' | 'stopped' | 'error';
  durationMs: number;
  error?: string;
  /** Set when a session recording got no audio and its file was removed. */
  discarded?: boolean;
}

/**
 * A session recording (FreeSWITCH's `record_session`): both directions of
 * the channel. `read` is what the peer sends, `write` what the channel sends
 * it (for a bridged channel: the other leg's audio). `stereo` puts read left
 * and write right, `stereo-swap` the reverse, `mono` mixes them.
 */
export interface SessionRecordOptions {
  maxMs: number;
  layout: 'mono' | 'stereo' | 'stereo-swap';
}

export interface RtpChannelEvents {
  /** RFC 4733 telephone-event, one per key press (end packet, deduplicated). */
  dtmf: [digit: string, durationMs: number];
}

export interface RtpChannelStats {
  /** Valid RTP packets accepted from the peer (audio and telephone-event). */
  packetsIn: number;
  packetsOut: number;
  /** Well-formed packets not used: unexpected source, unknown payload type, no remote yet. */
  dropped: number;
  /** Packets that are not RTP/RTCP at all (short, wrong version, bad lengths). */
  malformed: number;
  /** RTCP packets received (on the odd port or muxed); read and ignored. */
  rtcp: number;
}

export interface RtpChannel extends EventEmitter<RtpChannelEvents> {
  readonly localPort: number;
  /** Symmetric RTP: once packets arrive from elsewhere, send there (latches on the first valid packet). */
  setRemote(remote: RemoteMedia): void;
  /** One at a time; a new play stops the old ('stopped'). Rejects with a clear error for an unreadable file. */
  play(source: PlaySource, signal?: AbortSignal): Promise<PlayEnd>;
  /** Records what the peer sends; while playing or not. A disk error resolves with reason 'error'. */
  record(path: string, opts: RecordOptions, signal?: AbortSignal): Promise<RecordResult>;
  /**
   * Records both directions until the limit, the signal or `close`; several may
   * run at once (one per path), beside `record`. A disk error resolves with
   * reason 'error' and leaves no file; a recording without audio is discarded.
   */
  recordSession(
    path: string,
    opts: SessionRecordOptions,
    signal?: AbortSignal,
  ): Promise<RecordResult>;
  /** Ends the current play and record as 'stopped' (session recordings go on). */
  stopMedia(): void;
  /** Relays audio both ways (transcodes PCMU<->PCMA if needed) and DTMF as RFC 4733 events; stops playback. */
  bridge(other: RtpChannel): void;
  unbridge(): void;
  /** Sends RFC 4733 telephone-events to the peer (needs `telephoneEventPt` in the remote). */
  sendDtmf(digits: string, durationMs?: number): void;
  /** Monotonic ms (performance.now()) of the last valid RTP from the peer (media timeout). */
  readonly lastPacketAt: number | undefined;
  readonly stats: Readonly<RtpChannelStats>;
  /** Idempotent; frees the port exactly once. */
  close(): Promise<void>;
}

export interface RtpLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export interface RtpEngineOptions {
  /** Bind address, e.g. 127.0.0.1. */
  address: string;
  /** Even ports in this range carry RTP; the odd port above each one takes RTCP. */
  ports: { min: number; max: number };
  log?: RtpLogger;
  /** Bytes of decoded audio kept in the file cache (default 64 MiB). */
  cacheBytes?: number;
}
