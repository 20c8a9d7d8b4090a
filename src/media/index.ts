/**
 * Embedded media server: stands in for FreeSWITCH (drachtio's mrf profile)
 * under drachtio-fsmrf, as src/edge stands in for drachtio-server under
 * drachtio-srf. See docs/media.md.
 */
import os from 'node:os';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import type { MediaEngine } from './rtp/engine-view.ts';
import { RtpEngine } from './rtp/index.ts';
import { type MediaCounts, MediaServer } from './server.ts';

export type { MediaCounts } from './server.ts';

export interface StartMediaServerOptions {
  /** Inbound event socket (FreeSWITCH: 127.0.0.1:8021). */
  esl?: { host: string; port: number };
  /** Event socket password (FreeSWITCH's default: ClueCon). */
  password?: string;
  /** SIP UAS for fsmrf's INVITEs (FreeSWITCH's drachtio_mrf profile: 5080). */
  sip?: { host: string; port: number; advertisedHost?: string };
  /** RTP bind address and port range (even ports carry RTP). */
  rtp?: { host: string; min: number; max: number; advertisedHost?: string };
  /** Relative playback paths are looked up here (FreeSWITCH's sound_prefix). */
  soundDir?: string;
  /** Relative record paths are written here. */
  recordDir?: string;
  /** `local_stream://<name>` -> folder of WAV files played in a loop. */
  localStreams?: Record<string, string>;
  sipTimers?: { t1Ms: number; t2Ms: number };
  heartbeatMs?: number;
  maxSessions?: number;
  logger?: Logger;
  /** The RTP engine to use instead of src/media/rtp's (for embedding with a shared engine). */
  engine?: MediaEngine;
}

export interface EmbeddedMediaServer {
  readonly eslAddress: { host: string; port: number };
  readonly sipAddress: { host: string; port: number };
  /**
   * Open channels, event-socket connections, RTP ports, SIP dialogs and live
   * timers (leak checks; an idle server has two: HEARTBEAT and the media-timeout sweep).
   */
  counts(): MediaCounts;
  close(): Promise<void>;
}

function firstLanIpv4(): string | undefined {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

export async function startMediaServer(
  opts: StartMediaServerOptions = {},
): Promise<EmbeddedMediaServer> {
  const log = opts.logger ?? pino({ level: 'silent' });
  const rtp = opts.rtp ?? { host: '127.0.0.1', min: 30000, max: 30100 };
  const engine =
    opts.engine ??
    new RtpEngine({
      address: rtp.host,
      ports: { min: rtp.min, max: rtp.max },
      log: log.child({ part: 'rtp' }),
    });
  const sip = { ...(opts.sip ?? { host: '127.0.0.1', port: 5080 }) };
  // A wildcard bind still needs an address fsmrf can send its INVITEs to.
  if (!sip.advertisedHost && (sip.host === '0.0.0.0' || sip.host === '::')) {
    sip.advertisedHost = firstLanIpv4() ?? '127.0.0.1';
  }
  const rtpAddress =
    rtp.advertisedHost ?? (rtp.host === '0.0.0.0' ? (sip.advertisedHost ?? '127.0.0.1') : rtp.host);
  const server = new MediaServer({
    esl: opts.esl ?? { host: '127.0.0.1', port: 8021 },
    password: opts.password ?? 'ClueCon',
    sip,
    rtpAddress,
    engine,
    soundDir: path.resolve(opts.soundDir ?? '.'),
    recordDir: path.resolve(opts.recordDir ?? '.'),
    localStreams: opts.localStreams ?? {},
    log,
    sipTimers: opts.sipTimers ?? { t1Ms: 500, t2Ms: 4000 },
    heartbeatMs: opts.heartbeatMs ?? 20_000,
    mediaTimeoutCheckMs: 250,
    maxSessions: opts.maxSessions ?? 1000,
    profile: 'drachtio_mrf',
    sdpUser: 'Jambonz-Mediaserver',
  });
  try {
    await server.start();
  } catch (err) {
    await server.close().catch(() => {});
    throw err;
  }
  return {
    get eslAddress() {
      return server.eslAddress;
    },
    get sipAddress() {
      return server.sipAddress;
    },
    counts: () => server.counts(),
    close: () => server.close(),
  };
}
