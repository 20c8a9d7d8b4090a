/**
 * The embedded media server's RTP engine: G.711 over UDP (RFC 3550), RFC 4733
 * telephone-events in and out, WAV playback, tones, recording and bridging,
 * every channel paced by one monotonic-clock scheduler. See README.md here.
 */
export { RtpEngine } from './engine.ts';
export type {
  G711,
  PlayEnd,
  PlaySource,
  RecordOptions,
  RecordResult,
  RemoteMedia,
  RtpChannel,
  RtpChannelEvents,
  RtpChannelStats,
  RtpEngineOptions,
  RtpLogger,
} from './types.ts';
