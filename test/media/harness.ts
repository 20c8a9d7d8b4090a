/**
 * drachtio-fsmrf 4.1.2 against the embedded media server, signalled through
 * drachtio-srf and the embedded SIP server (or a real drachtio-server, per
 * test/support/sip-target.ts), exactly as the product uses them.
 *
 * A `RtpPeer` stands in for the far end of an endpoint (a caller's phone):
 * a UDP socket that offers G.711, records what arrives and can send RTP and
 * RFC 4733 telephone-events.
 */
import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Srf from 'drachtio-srf';
import pino from 'pino';
import { expect } from 'vitest';
import {
  type EmbeddedMediaServer,
  type MediaCounts,
  startMediaServer,
} from '../../src/media/index.ts';
import { freePort, freePorts } from '../support/ports.ts';
import { type SipTarget, startSipTarget } from '../support/sip-target.ts';

// drachtio-fsmrf ships no types: the part the tests use.
export interface FsmrfEndpoint {
  uuid: string;
  local: { sdp: string; mediaIp: string; mediaPort: string };
  remote: { sdp: string; mediaIp: string; mediaPort: string };
  dtmfType: string;
  sip: { callId: string };
  dialog: { destroy(): Promise<void>; on(ev: string, cb: (...a: unknown[]) => void): void };
  connected: boolean;
  play(file: string | string[] | { file: string; timeoutSecs?: number }): Promise<{
    playbackSeconds: string;
    playbackMilliseconds: string;
    playbackLastOffsetPos: string;
  }>;
  playCollect(opts: Record<string, unknown>): Promise<{
    digits?: string;
    invalidDigits?: string;
    terminatorUsed?: string;
    playbackSeconds?: string;
    playbackMilliseconds?: string;
  }>;
  record(
    file: string,
    opts?: { timeLimitSecs?: number; silenceThresh?: number; silenceHits?: number },
  ): Promise<{ terminatorUsed?: string; recordSeconds?: string; recordMilliseconds?: string }>;
  set(name: string | Record<string, string>, value?: string): Promise<unknown>;
  execute(app: string, arg?: string): Promise<{ getHeader(name: string): string | undefined }>;
  api(cmd: string, args?: string | string[]): Promise<{ getBody(): string }>;
  bridge(other: FsmrfEndpoint): Promise<unknown>;
  unbridge(): Promise<unknown>;
  modify(sdp: string): Promise<unknown>;
  getChannelVariables(includeMedia?: boolean): Promise<Record<string, string | number>>;
  destroy(): Promise<void>;
  on(ev: 'dtmf', cb: (e: { dtmf: string; duration: string; source: string }) => void): void;
  on(ev: 'destroy', cb: (e?: { reason?: string }) => void): void;
  on(ev: 'playback-start' | 'playback-stop', cb: (e: { file: string }) => void): void;
}

export interface FsmrfMediaServer {
  sip: { ipv4: { udp: { address: string } } };
  maxSessions: number;
  createEndpoint(opts?: { remoteSdp?: string; codecs?: string[] }): Promise<FsmrfEndpoint>;
  api(cmd: string): Promise<string>;
  connected(): boolean;
  disconnect(): void;
  on(ev: string, cb: (...a: unknown[]) => void): void;
}

interface MrfLike {
  connect(opts: Record<string, unknown>): Promise<FsmrfMediaServer>;
}

interface SrfLike {
  connect(opts: { host: string; port: number; secret: string }): void;
  disconnect(): void;
  on(event: string, cb: (...a: never[]) => void): void;
}

export interface Rig {
  target: SipTarget;
  media: EmbeddedMediaServer;
  srf: SrfLike;
  mrf: MrfLike;
  esl: { host: string; port: number; password: string };
  dir: string;
  logs: Array<{ level: number; msg: string; [k: string]: unknown }>;
  connectMs(): Promise<FsmrfMediaServer>;
  close(): Promise<void>;
}

const require = (await import('node:module')).createRequire(import.meta.url);
const Mrf = require('drachtio-fsmrf') as new (srf: unknown) => MrfLike;

export async function startRig(
  opts: { soundDir?: string; localStreams?: Record<string, string>; heartbeatMs?: number } = {},
): Promise<Rig> {
  const target = await startSipTarget();
  const [eslPort, sipPort] = await freePorts(2);
  let rtpMin = await freePort();
  rtpMin += rtpMin % 2;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'media-test-'));
  const logs: Rig['logs'] = [];
  const logger = pino(
    { level: 'debug' },
    {
      write(line: string) {
        logs.push(JSON.parse(line));
      },
    },
  );
  const media = await startMediaServer({
    esl: { host: '127.0.0.1', port: eslPort as number },
    password: 'ClueCon',
    sip: { host: '127.0.0.1', port: sipPort as number },
    rtp: { host: '127.0.0.1', min: rtpMin, max: rtpMin + 40 },
    soundDir: opts.soundDir ?? dir,
    recordDir: dir,
    localStreams: opts.localStreams ?? {},
    sipTimers: { t1Ms: 50, t2Ms: 400 },
    ...(opts.heartbeatMs ? { heartbeatMs: opts.heartbeatMs } : {}),
    logger,
  });
  const srf = new (Srf as unknown as new () => SrfLike)();
  srf.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    srf.on('connect', ((err: Error | null) => (err ? reject(err) : resolve())) as never);
    srf.connect(target.drachtio);
  });
  const mrf = new Mrf(srf);
  const servers: FsmrfMediaServer[] = [];
  const rig: Rig = {
    target,
    media,
    srf,
    mrf,
    esl: { host: '127.0.0.1', port: eslPort as number, password: 'ClueCon' },
    dir,
    logs,
    async connectMs() {
      const ms = await mrf.connect({
        address: '127.0.0.1',
        port: eslPort,
        secret: 'ClueCon',
        listenAddress: '127.0.0.1',
      });
      servers.push(ms);
      return ms;
    },
    async close() {
      for (const ms of servers) ms.disconnect();
      srf.disconnect();
      await media.close();
      await target.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return rig;
}

/** Waits until `fn` holds (polling), or fails with the last value. */
export async function eventually<T>(fn: () => T, ok: (v: T) => boolean, ms = 5000): Promise<T> {
  const until = Date.now() + ms;
  let v = fn();
  while (!ok(v)) {
    if (Date.now() > until) throw new Error(`condition not met: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 20));
    v = fn();
  }
  return v;
}

export const ZERO_COUNTS: Omit<MediaCounts, 'eslInbound' | 'timers'> = {
  channels: 0,
  eslOutbound: 0,
  rtpPorts: 0,
  sipDialogs: 0,
  pendingByes: 0,
};

/** Every channel, outbound socket, RTP port, dialog, BYE and timer released. */
export async function expectNoLeaks(media: EmbeddedMediaServer): Promise<void> {
  const c = await eventually(
    () => media.counts(),
    (c) =>
      c.channels === 0 &&
      c.eslOutbound === 0 &&
      c.rtpPorts === 0 &&
      c.sipDialogs === 0 &&
      c.pendingByes === 0 &&
      c.timers === 2,
  );
  // What an idle server keeps: the HEARTBEAT interval and the media-timeout sweep.
  expect(c.timers).toBe(2);
}

/** A far end for an endpoint: receives RTP, can send RTP and telephone-events. */
export class RtpPeer {
  readonly received: Buffer[] = [];
  private constructor(
    private readonly socket: dgram.Socket,
    readonly port: number,
  ) {
    socket.on('message', (m) => this.received.push(m));
  }

  static async open(): Promise<RtpPeer> {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    return new RtpPeer(s, s.address().port);
  }

  offer(codecs: Array<'PCMU' | 'PCMA' | 'G722'> = ['PCMU', 'PCMA'], te = true): string {
    const pt = { PCMU: 0, PCMA: 8, G722: 9 } as const;
    const pts: number[] = codecs.map((c) => pt[c]);
    const lines = codecs.map((c) => `a=rtpmap:${pt[c]} ${c}/8000`);
    if (te) {
      pts.push(101);
      lines.push('a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16');
    }
    return `${[
      'v=0',
      'o=peer 1 1 IN IP4 127.0.0.1',
      's=peer',
      'c=IN IP4 127.0.0.1',
      't=0 0',
      `m=audio ${this.port} RTP/AVP ${pts.join(' ')}`,
      ...lines,
      'a=sendrecv',
    ].join('\r\n')}\r\n`;
  }

  /** Sends one digit as RFC 4733 (start, continuation, three end packets). */
  async sendDigit(digit: string, to: number, pt = 101): Promise<void> {
    const code = '0123456789*#'.indexOf(digit);
    const ssrc = 0x1234;
    const ts = Math.floor(Math.random() * 1e6);
    let seq = Math.floor(Math.random() * 1000);
    const pkt = (end: boolean, dur: number, marker: boolean): Buffer => {
      const b = Buffer.alloc(16);
      b[0] = 0x80;
      b[1] = (marker ? 0x80 : 0) | pt;
      b.writeUInt16BE(seq++ & 0xffff, 2);
      b.writeUInt32BE(ts, 4);
      b.writeUInt32BE(ssrc, 8);
      b[12] = code;
      b[13] = (end ? 0x80 : 0) | 10;
      b.writeUInt16BE(dur, 14);
      return b;
    };
    for (let i = 0; i < 5; i++) {
      this.socket.send(pkt(false, 160 * (i + 1), i === 0), to, '127.0.0.1');
      await new Promise((r) => setTimeout(r, 20));
    }
    for (let i = 0; i < 3; i++) this.socket.send(pkt(true, 960, false), to, '127.0.0.1');
  }

  /** Sends `ms` of PCMU audio (a 1 kHz-ish square wave) to `to`. */
  async sendTone(to: number, ms: number): Promise<void> {
    let seq = 1;
    let ts = 0;
    for (let t = 0; t < ms; t += 20) {
      const b = Buffer.alloc(12 + 160);
      b[0] = 0x80;
      b[1] = 0;
      b.writeUInt16BE(seq++, 2);
      b.writeUInt32BE(ts, 4);
      b.writeUInt32BE(0x4321, 8);
      for (let i = 0; i < 160; i++) b[12 + i] = i % 8 < 4 ? 0x20 : 0xa0;
      ts += 160;
      this.socket.send(b, to, '127.0.0.1');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(): Promise<void> {
    return new Promise((r) => this.socket.close(() => r()));
  }
}

/** The RTP port the endpoint's SDP names. */
export function sdpPort(sdp: string): number {
  return Number(/m=audio (\d+)/.exec(sdp)?.[1]);
}
