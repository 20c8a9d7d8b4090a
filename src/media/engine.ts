/**
 * What the channel layer needs of the RTP engine (src/media/rtp), written as
 * interfaces so the ESL/SIP side depends on the engine's shape only; the
 * engine class satisfies them structurally.
 */

export type G711 = 'PCMU' | 'PCMA';

export interface RemoteMedia {
  address: string;
  port: number;
  codec: G711;
  payloadType: number;
  telephoneEventPt?: number;
}

export type PlaySource =
  | { kind: 'file'; path: string }
  | { kind: 'files'; paths: string[]; loop: boolean }
  | { kind: 'tone'; frequencies: number[]; onMs: number; offMs: number; repeat: number }
  | { kind: 'silence'; durationMs: number };

export type PlayEnd = 'done' | 'stopped';

export interface RecordOptions {
  maxMs: number;
  terminators?: string;
  silenceStopMs?: number;
}

export interface RecordResult {
  reason: 'max' | 'terminator' | 'silence' | 'stopped' | 'error';
  durationMs: number;
  error?: string;
}

export interface MediaChannel {
  readonly localPort: number;
  setRemote(remote: RemoteMedia): void;
  play(source: PlaySource, signal?: AbortSignal): Promise<PlayEnd>;
  record(path: string, opts: RecordOptions, signal?: AbortSignal): Promise<RecordResult>;
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
  close(): Promise<void>;
}
