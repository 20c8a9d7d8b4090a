/**
 * The embedded media server: what FreeSWITCH with drachtio's mrf profile is to
 * drachtio-fsmrf. It owns the inbound event socket, the SIP UAS, the RTP
 * engine, the channels and their outbound event sockets, and wires them:
 *
 *   INVITE (X-esl-outbound, User-Agent drachtio-fsmrf:<id>)
 *     -> negotiate SDP, open an RTP channel, create the channel, 200 OK
 *     -> connect to X-esl-outbound (after the ACK when the INVITE had no SDP)
 *     -> `connect` answered with CHANNEL_DATA; `sendmsg execute` runs apps
 *   hangup (app, uuid_kill, BYE, lost socket) -> completions, CHANNEL_HANGUP,
 *     CHANNEL_CALLSTATE HANGUP, BYE (unless the peer sent it), disconnect notice.
 */
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import os from 'node:os';
import type { Logger } from 'pino';
import { getHeader, type SipRequest } from '../edge/sip/index.ts';
import { applications } from './channel/apps/index.ts';
import { HANGUP_CAUSES, type HangupCause } from './channel/causes.ts';
import { type App, Channel, type ChannelHost } from './channel/channel.ts';
import type { MediaEngine } from './rtp/engine-view.ts';
import type { ApiHost } from './esl/api.ts';
import { type ConnHost, EslConnection } from './esl/connection.ts';
import { commonBlock, type ServerIdentity } from './esl/wire/event-common.ts';
import type { EslEvent } from './esl/wire/frames.ts';
import { answerSdp, negotiate, offerSdp } from './sip/sdp.ts';
import { type InviteAnswer, type Peer, SipUas } from './sip/uas.ts';

export interface MediaServerOptions {
  esl: { host: string; port: number };
  password: string;
  sip: { host: string; port: number; advertisedHost?: string };
  /** RTP address written into SDP (the engine's bind address unless set). */
  rtpAddress: string;
  engine: MediaEngine;
  soundDir: string;
  recordDir: string;
  localStreams: Record<string, string>;
  log: Logger;
  sipTimers: { t1Ms: number; t2Ms: number };
  heartbeatMs: number;
  /** How often media timeouts are checked. */
  mediaTimeoutCheckMs: number;
  maxSessions: number;
  profile: string;
  sdpUser: string;
}

export interface MediaCounts {
  channels: number;
  eslInbound: number;
  eslOutbound: number;
  rtpPorts: number;
  sipDialogs: number;
  pendingByes: number;
  timers: number;
}

interface CallLeg {
  channel: Channel;
  dialogId: string;
  conn?: EslConnection;
  /** Connecting to fsmrf's listener is under way. */
  connecting?: net.Socket;
  /** 3pcc: where to connect once the ACK brings the SDP answer. */
  eslTarget?: Peer;
  byes: Set<Promise<void>>;
}

export class MediaServer implements ChannelHost, ConnHost, ApiHost {
  readonly identity: ServerIdentity;
  readonly log: Logger;
  readonly password: string;
  readonly profile: string;
  readonly startedAt = Date.now();
  readonly maxSessions: number;
  sessionsSinceStart = 0;
  readonly channels = new Map<string, Channel>();
  private readonly legs = new Map<string, CallLeg>();
  private readonly byDialog = new Map<string, CallLeg>();
  private readonly conns = new Set<EslConnection>();
  private readonly apps: Map<string, App>;
  private readonly uas: SipUas;
  private eslServer: net.Server | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  /** One sweep a while for every channel's media timeout. */
  private mediaWatch: NodeJS.Timeout | undefined;
  private closing = false;
  eslPort = 0;

  constructor(private readonly opts: MediaServerOptions) {
    this.log = opts.log;
    this.password = opts.password;
    this.profile = opts.profile;
    this.maxSessions = opts.maxSessions;
    this.identity = {
      coreUuid: randomUUID(),
      hostname: os.hostname(),
      ipv4: opts.sip.advertisedHost ?? opts.sip.host,
      version: '1.10.11-release+embedded',
      seq: { next: 1 },
    };
    this.apps = applications(opts);
    this.uas = new SipUas(
      {
        host: opts.sip.host,
        port: opts.sip.port,
        ...(opts.sip.advertisedHost ? { advertisedHost: opts.sip.advertisedHost } : {}),
        timers: opts.sipTimers,
        userAgent: opts.sdpUser,
        log: opts.log.child({ part: 'sip' }),
      },
      {
        invite: (req, source, id) => this.invite(req, source, id),
        reinvite: (id, sdp) => this.reinvite(id, sdp),
        ack: (id, sdp) => this.ack(id, sdp),
        info: (id, type, body) => this.info(id, type, body),
        ended: (id, why) => this.dialogEnded(id, why),
      },
    );
  }

  get recordDir(): string {
    return this.opts.recordDir;
  }

  get sipUrl(): string {
    return `sip:mod_sofia@${this.uas.host}:${this.uas.port}`;
  }

  get sipAddress(): { host: string; port: number } {
    return { host: this.uas.host, port: this.uas.port };
  }

  get eslAddress(): { host: string; port: number } {
    return { host: this.opts.esl.host, port: this.eslPort };
  }

  async start(): Promise<void> {
    await this.uas.start();
    const server = net.createServer((socket) => {
      if (this.closing) {
        socket.destroy();
        return;
      }
      this.conns.add(new EslConnection(this, socket, 'inbound'));
    });
    this.eslServer = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.opts.esl.host, port: this.opts.esl.port, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.log.warn({ err }, 'event socket listener error'));
    this.eslPort = (server.address() as net.AddressInfo).port;
    this.heartbeat = setInterval(() => this.fireHeartbeat(), this.opts.heartbeatMs);
    this.mediaWatch = setInterval(() => {
      const now = performance.now();
      for (const ch of this.channels.values()) ch.checkMediaTimeout(now);
    }, this.opts.mediaTimeoutCheckMs);
  }

  counts(): MediaCounts {
    let inbound = 0;
    let outbound = 0;
    for (const c of this.conns) {
      if (c.kind === 'inbound') inbound++;
      else outbound++;
    }
    const connecting = [...this.legs.values()].filter((l) => l.connecting).length;
    const u = this.uas.counts;
    return {
      channels: this.channels.size,
      eslInbound: inbound,
      eslOutbound: outbound + connecting,
      rtpPorts: this.opts.engine.portsInUse ?? this.opts.engine.openChannels,
      sipDialogs: u.dialogs,
      pendingByes: u.pendingByes,
      timers:
        u.timers +
        (this.heartbeat ? 1 : 0) +
        (this.mediaWatch ? 1 : 0) +
        (this.opts.engine.timers ?? 0),
    };
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    if (this.mediaWatch) clearInterval(this.mediaWatch);
    this.mediaWatch = undefined;
    const byes: Promise<void>[] = [];
    for (const leg of this.legs.values()) {
      leg.channel.hangup('NORMAL_CLEARING');
      byes.push(...leg.byes);
    }
    // BYEs get a moment to be answered; the UAS drops what is left.
    await Promise.race([Promise.all(byes), new Promise((r) => setTimeout(r, 500))]);
    for (const ch of [...this.channels.values()]) ch.abandon();
    for (const c of this.conns) c.end();
    // Clients get a moment to read the goodbye and close; then their sockets go.
    const until = Date.now() + 300;
    while (this.conns.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    for (const c of [...this.conns]) c.destroy();
    const server = this.eslServer;
    if (server) await new Promise<void>((r) => server.close(() => r()));
    await this.uas.close();
    await this.opts.engine.close();
  }

  // ---- ChannelHost / ConnHost ---------------------------------------------

  fire(ev: EslEvent): void {
    for (const c of this.conns) c.offer(ev);
  }

  app(name: string): App | undefined {
    return this.apps.get(name);
  }

  findChannel(uuid: string): Channel | undefined {
    return this.channels.get(uuid);
  }

  sendBye(ch: Channel, cause: HangupCause): void {
    const leg = this.legs.get(ch.uuid);
    if (!leg) return;
    const p = this.uas.bye(leg.dialogId, `Q.850;cause=${HANGUP_CAUSES[cause]};text="${cause}"`);
    leg.byes.add(p);
    void p.then(() => leg.byes.delete(p));
  }

  gone(ch: Channel): void {
    const leg = this.legs.get(ch.uuid);
    this.channels.delete(ch.uuid);
    if (!leg) return;
    this.legs.delete(ch.uuid);
    this.byDialog.delete(leg.dialogId);
    leg.connecting?.destroy();
    leg.conn?.end();
  }

  closed(conn: EslConnection): void {
    this.conns.delete(conn);
    const ch = conn.channel;
    if (ch?.alive) {
      // fsmrf's side of the channel is gone; nothing can control it any more.
      ch.log.info('outbound event socket closed while the channel was up: hanging up');
      ch.hangup('NORMAL_CLEARING');
    }
  }

  // ---- SIP ----------------------------------------------------------------

  private async invite(req: SipRequest, source: Peer, dialogId: string): Promise<InviteAnswer> {
    if (this.closing) return { status: 503, reason: 'Service Unavailable' };
    const ua = getHeader(req, 'user-agent') ?? '';
    const esl = getHeader(req, 'x-esl-outbound') ?? '';
    const eslTarget = parseHostPort(esl);
    if (!/^drachtio-fsmrf:/.test(ua)) {
      this.log.warn({ ua }, 'INVITE without a drachtio-fsmrf User-Agent: no route (404)');
      return { status: 404, reason: 'Not Found', warning: 'User-Agent is not drachtio-fsmrf:<id>' };
    }
    if (!eslTarget) {
      this.log.warn({ esl }, 'INVITE without a valid X-esl-outbound: rejected (400)');
      return { status: 400, reason: 'Bad Request', warning: 'X-esl-outbound must be host:port' };
    }
    if (this.channels.size >= this.maxSessions) {
      return { status: 503, reason: 'Service Unavailable', warning: 'maximum sessions reached' };
    }
    const sdp = req.body.length > 0 ? req.body.toString('utf8') : undefined;
    const negotiated = sdp === undefined ? undefined : negotiate(sdp);
    if (negotiated && !negotiated.ok) {
      this.log.warn({ reason: negotiated.reason }, 'INVITE: offer not acceptable (488)');
      return { status: 488, reason: 'Not Acceptable Here', warning: negotiated.reason };
    }
    let media: Awaited<ReturnType<MediaEngine['open']>>;
    try {
      media = await this.opts.engine.open();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'INVITE: no RTP port (503)');
      return { status: 503, reason: 'Service Unavailable', warning: 'no RTP port free' };
    }
    if (this.closing) {
      await media.close();
      return { status: 503, reason: 'Service Unavailable' };
    }
    const sdpOpts = {
      user: this.opts.sdpUser,
      sessionId: String(1_000_000_000 + Math.floor(Math.random() * 8_999_999_999)),
      version: 1,
      address: this.opts.rtpAddress,
      port: media.localPort,
    };
    const localSdp =
      negotiated?.ok === true ? answerSdp(sdpOpts, negotiated.remote) : offerSdp(sdpOpts);
    const fromUri = /sip:([^@;>]+)@/.exec(getHeader(req, 'from') ?? '');
    const channel = new Channel(this, {
      callId: getHeader(req, 'call-id') ?? '',
      userAgent: ua,
      eslOutbound: esl,
      fromUser: fromUri?.[1] ?? 'unknown',
      networkAddr: source.address,
      media,
      localIp: this.opts.rtpAddress,
      localSdp,
      ...(sdp !== undefined ? { remoteSdp: sdp } : {}),
      ...(negotiated?.ok ? { remote: negotiated.remote } : {}),
    });
    const leg: CallLeg = { channel, dialogId, byes: new Set() };
    this.channels.set(channel.uuid, channel);
    this.legs.set(channel.uuid, leg);
    this.byDialog.set(dialogId, leg);
    this.sessionsSinceStart++;
    channel.log.info({ callId: channel.callId, threePcc: sdp === undefined }, 'channel created');
    // FreeSWITCH runs the dialplan (and so `socket`) as it answers; for an
    // INVITE without SDP only once the ACK brings the answer.
    if (sdp !== undefined) setImmediate(() => this.connectOutbound(leg, eslTarget));
    else leg.eslTarget = eslTarget;
    return { status: 200, sdp: localSdp };
  }

  private reinvite(dialogId: string, sdp: string | undefined): InviteAnswer {
    const leg = this.byDialog.get(dialogId);
    if (!leg?.channel.alive) return { status: 481, reason: 'Call/Transaction Does Not Exist' };
    const ch = leg.channel;
    const current = ch.vars.get('rtp_local_sdp_str') ?? '';
    if (sdp === undefined) return { status: 200, sdp: current };
    const n = negotiate(sdp);
    if (!n.ok) {
      ch.log.warn({ reason: n.reason }, 're-INVITE: offer not acceptable (488)');
      return { status: 488, reason: 'Not Acceptable Here', warning: n.reason };
    }
    const version = Number(/^o=\S+ \S+ (\d+)/m.exec(current)?.[1] ?? '1') + 1;
    const answer = answerSdp(
      {
        user: this.opts.sdpUser,
        sessionId: /^o=\S+ (\S+)/m.exec(current)?.[1] ?? '1',
        version,
        address: this.opts.rtpAddress,
        port: ch.media.localPort,
      },
      n.remote,
    );
    ch.applyRemote(sdp, n.remote);
    ch.setLocalSdp(answer);
    return { status: 200, sdp: answer };
  }

  private ack(dialogId: string, sdp: string | undefined): void {
    const leg = this.byDialog.get(dialogId);
    if (!leg) return;
    if (sdp !== undefined) {
      const n = negotiate(sdp);
      if (n.ok) leg.channel.applyRemote(sdp, n.remote);
      else leg.channel.log.warn({ reason: n.reason }, 'ACK: answer not usable, media stays idle');
    }
    const target = leg.eslTarget;
    if (target) {
      leg.eslTarget = undefined;
      this.connectOutbound(leg, target);
    }
  }

  /** SIP INFO digits: application/dtmf-relay (`Signal=5`, `Duration=160`) or application/dtmf (`5`). */
  private info(dialogId: string, contentType: string, body: string): void {
    const leg = this.byDialog.get(dialogId);
    if (!leg) return;
    const type = contentType.split(';')[0]?.trim().toLowerCase();
    let digit: string | undefined;
    let durationMs = 100;
    if (type === 'application/dtmf-relay') {
      digit = /^\s*Signal\s*=\s*(\S)/im.exec(body)?.[1];
      const d = Number(/^\s*Duration\s*=\s*(\d+)/im.exec(body)?.[1]);
      if (d > 0) durationMs = d;
    } else if (type === 'application/dtmf') {
      digit = body.trim()[0];
    } else {
      return;
    }
    const key = digit?.toUpperCase();
    if (!key || !/^[0-9*#A-D]$/.test(key)) {
      leg.channel.log.info({ body: body.slice(0, 80) }, 'SIP INFO without a usable digit ignored');
      return;
    }
    leg.channel.dtmf(key, durationMs, 'ENDPOINT');
  }

  private dialogEnded(dialogId: string, why: 'bye' | 'no-ack'): void {
    const leg = this.byDialog.get(dialogId);
    if (!leg) return;
    if (why === 'bye') leg.channel.hangup('NORMAL_CLEARING', true);
    else leg.channel.hangup('RECOVERY_ON_TIMER_EXPIRE');
  }

  // ---- outbound event socket -----------------------------------------------

  private connectOutbound(leg: CallLeg, target: Peer): void {
    const ch = leg.channel;
    if (!ch.alive || this.closing) return;
    const socket = net.connect({ host: target.address, port: target.port });
    leg.connecting = socket;
    socket.once('error', (err) => {
      if (leg.connecting !== socket) return;
      leg.connecting = undefined;
      ch.log.warn(
        { target: `${target.address}:${target.port}`, err: err.message },
        'cannot connect to X-esl-outbound: hanging up',
      );
      ch.hangup('DESTINATION_OUT_OF_ORDER');
    });
    socket.once('connect', () => {
      leg.connecting = undefined;
      if (!ch.alive) {
        socket.destroy();
        return;
      }
      const conn = new EslConnection(this, socket, 'outbound', ch);
      leg.conn = conn;
      this.conns.add(conn);
    });
  }

  private fireHeartbeat(): void {
    const live = this.channels.size;
    const up = Math.floor((Date.now() - this.startedAt) / 1000);
    this.fire({
      name: 'HEARTBEAT',
      headers: [
        ...commonBlock(this.identity, 'HEARTBEAT', 'send_heartbeat'),
        ['Event-Info', 'System Ready'],
        ['Up-Time', `0 years, 0 days, 0 hours, 0 minutes, ${up} seconds`],
        ['FreeSWITCH-Version', this.identity.version],
        ['Uptime-msec', String(Date.now() - this.startedAt)],
        ['Session-Count', String(live)],
        ['Max-Sessions', String(this.maxSessions)],
        ['Session-Per-Sec', '30'],
        ['Session-Since-Startup', String(this.sessionsSinceStart)],
        ['Session-Peak-Max', String(live)],
        ['Idle-CPU', '100.000000'],
      ],
    });
  }
}

function parseHostPort(text: string): Peer | undefined {
  // FreeSWITCH: the text after the last ':' is the port; '|' separates fallbacks (first one used).
  const first = text.split('|')[0]?.trim() ?? '';
  const i = first.lastIndexOf(':');
  if (i <= 0) return undefined;
  const port = Number(first.slice(i + 1));
  const host = first.slice(0, i).replace(/^\[|\]$/g, '');
  if (!host || !Number.isInteger(port) || port <= 0 || port > 65535) return undefined;
  return { address: host, port };
}
