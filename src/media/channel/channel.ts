/**
 * A media channel: what FreeSWITCH calls a session, created by the SIP UAS for
 * one INVITE from drachtio-fsmrf and driven over its outbound event socket.
 *
 * States:
 *
 *   offered ──ACK with SDP──▶ active ──hangup()──▶ hanging-up ──▶ gone
 *   (3pcc: 200 carried our offer)  ▲
 *   answered (200 sent) ───────────┘
 *
 * The channel owns its RTP channel, its variables and its application stack;
 * the host (the server) owns signalling and the event socket.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { MediaChannel, RemoteMedia } from '../rtp/engine-view.ts';
import { commonBlock, type ServerIdentity } from '../esl/wire/event-common.ts';
import type { EslEvent, EventHeaders } from '../esl/wire/frames.ts';
import type { HangupCause } from './causes.ts';
import { Frame } from './frame.ts';
import { SessionRecordings } from './session-recordings.ts';

/** How long a hanging-up channel waits for its applications to complete. */
const HANGUP_GRACE_MS = 5000;

export type ChannelState = 'offered' | 'active' | 'hanging-up' | 'gone';

export interface AppContext {
  ch: Channel;
  frame: Frame;
  arg: string;
}

/** An application returns its Application-Response (undefined = `_none_`). */
export type App = (ctx: AppContext) => Promise<string | undefined>;

export interface ChannelHost {
  identity: ServerIdentity;
  log: Logger;
  fire(ev: EslEvent): void;
  /** Signals the hangup to the SIP peer (BYE) when the media server ends the call. */
  sendBye(ch: Channel, cause: HangupCause): void;
  /** Called once, after the last event of the channel. */
  gone(ch: Channel): void;
  findChannel(uuid: string): Channel | undefined;
  app(name: string): App | undefined;
}

export interface ChannelInit {
  uuid?: string;
  callId: string;
  userAgent: string;
  eslOutbound: string;
  fromUser: string;
  networkAddr: string;
  media: MediaChannel;
  localIp: string;
  localSdp: string;
  remoteSdp?: string;
  remote?: RemoteMedia;
}

export class Channel {
  readonly uuid: string;
  readonly name: string;
  readonly vars = new Map<string, string>();
  readonly media: MediaChannel;
  readonly createdAt = Date.now();
  state: ChannelState;
  remote: RemoteMedia | undefined;
  hangupCause: HangupCause | undefined;
  bridgedTo: Channel | undefined;
  /** `record_session` / `uuid_record`: recordings of both directions, one per file. */
  readonly recordings: SessionRecordings;
  private hangupGrace: NodeJS.Timeout | undefined;
  /** Monotonic ms from which silence from the peer is counted (answer or new remote). */
  private mediaSince = performance.now();
  private readonly frames: Frame[] = [];
  private readonly onDtmf = (digit: string, durationMs: number): void =>
    this.dtmf(digit, durationMs);
  readonly log: Logger;

  constructor(
    private readonly host: ChannelHost,
    private readonly init: ChannelInit,
  ) {
    this.uuid = init.uuid ?? randomUUID();
    this.name = `sofia/drachtio_mrf/${init.fromUser}@${init.networkAddr}`;
    this.media = init.media;
    this.remote = init.remote;
    this.state = init.remoteSdp === undefined ? 'offered' : 'active';
    this.log = host.log.child({ channel: this.uuid });
    this.recordings = new SessionRecordings(this);
    // The drachtio image's dialplan, before `socket`: see freeswitch-esl.md §2.2.
    const v = this.vars;
    v.set('direction', 'inbound');
    v.set('uuid', this.uuid);
    v.set('session_id', '1');
    v.set('sip_from_user', init.fromUser);
    v.set('sip_call_id', init.callId);
    v.set('sip_user_agent', init.userAgent);
    v.set('sip_h_X-esl-outbound', init.eslOutbound);
    v.set('sip_network_ip', init.networkAddr);
    v.set('channel_name', this.name);
    v.set('dtmf_type', 'rfc2833');
    v.set('send_silence_when_idle', '-1');
    v.set('hangup_after_bridge', 'false');
    v.set('park_after_bridge', 'true');
    v.set('playback_terminators', 'none');
    v.set('local_media_ip', init.localIp);
    v.set('local_media_port', String(init.media.localPort));
    v.set('rtp_local_sdp_str', init.localSdp);
    this.applyRemote(init.remoteSdp, init.remote);
    init.media.on('dtmf', this.onDtmf);
  }

  get callId(): string {
    return this.init.callId;
  }

  /** The SIP side learnt (new) remote media: an INVITE/ACK/re-INVITE with SDP. */
  applyRemote(sdp: string | undefined, remote: RemoteMedia | undefined): void {
    if (sdp !== undefined) this.vars.set('switch_r_sdp', sdp);
    if (!remote) return;
    this.remote = remote;
    this.vars.set('remote_media_ip', remote.address);
    this.vars.set('remote_media_port', String(remote.port));
    this.vars.set('read_codec', remote.codec);
    this.vars.set('write_codec', remote.codec);
    this.vars.set('rtp_use_codec_name', remote.codec);
    this.vars.set('rtp_audio_recv_pt', String(remote.payloadType));
    if (remote.telephoneEventPt !== undefined) {
      this.vars.set('rtp_2833_send_payload', String(remote.telephoneEventPt));
      this.vars.set('rtp_2833_recv_payload', String(remote.telephoneEventPt));
    }
    this.media.setRemote(remote);
    this.mediaSince = performance.now();
    if (this.state === 'offered') this.state = 'active';
  }

  setLocalSdp(sdp: string): void {
    this.vars.set('rtp_local_sdp_str', sdp);
  }

  get alive(): boolean {
    return this.state === 'active' || this.state === 'offered';
  }

  get runningApps(): number {
    return this.frames.length;
  }

  // ---- events -------------------------------------------------------------

  /** Channel block, caller profile and (for extended events) every variable. */
  channelHeaders(withVars: boolean, profilePrefix = 'Caller'): EventHeaders {
    const codec = this.remote?.codec ?? 'PCMU';
    const answered = this.state !== 'offered';
    const h: EventHeaders = [
      [
        'Channel-State',
        this.state === 'gone' ? 'CS_DESTROY' : this.alive ? 'CS_EXECUTE' : 'CS_HANGUP',
      ],
      ['Channel-Call-State', this.alive ? 'ACTIVE' : 'HANGUP'],
      ['Channel-State-Number', this.alive ? '4' : '10'],
      ['Channel-Name', this.name],
      ['Unique-ID', this.uuid],
      ['Call-Direction', 'inbound'],
      ['Presence-Call-Direction', 'inbound'],
      ['Channel-HIT-Dialplan', 'true'],
      ['Channel-Call-UUID', this.uuid],
      ['Answer-State', this.alive ? (answered ? 'answered' : 'early') : 'hangup'],
    ];
    if (this.hangupCause) h.push(['Hangup-Cause', this.hangupCause]);
    h.push(
      ['Channel-Read-Codec-Name', codec],
      ['Channel-Read-Codec-Rate', '8000'],
      ['Channel-Read-Codec-Bit-Rate', '64000'],
      ['Channel-Write-Codec-Name', codec],
      ['Channel-Write-Codec-Rate', '8000'],
      ['Channel-Write-Codec-Bit-Rate', '64000'],
    );
    h.push(...this.profile(profilePrefix));
    if (withVars) for (const [k, v] of this.vars) h.push([`variable_${k}`, v]);
    return h;
  }

  private profile(prefix: string): EventHeaders {
    return [
      [`${prefix}-Direction`, 'inbound'],
      [`${prefix}-Logical-Direction`, 'inbound'],
      [`${prefix}-Username`, this.init.fromUser],
      [`${prefix}-Dialplan`, 'XML'],
      [`${prefix}-Caller-ID-Name`, this.init.fromUser],
      [`${prefix}-Caller-ID-Number`, this.init.fromUser],
      [`${prefix}-Network-Addr`, this.init.networkAddr],
      [`${prefix}-ANI`, this.init.fromUser],
      [`${prefix}-Destination-Number`, 'drachtio'],
      [`${prefix}-Unique-ID`, this.uuid],
      [`${prefix}-Source`, 'mod_sofia'],
      [`${prefix}-Context`, 'mrf'],
      [`${prefix}-Channel-Name`, this.name],
      [`${prefix}-Profile-Index`, '1'],
      [`${prefix}-Channel-Created-Time`, `${this.createdAt}000`],
    ];
  }

  /** CHANNEL_DATA as sent for `connect` and `uuid_dump`. */
  channelData(callingFunction: string): EventHeaders {
    return [
      ...commonBlock(this.host.identity, 'CHANNEL_DATA', callingFunction),
      ...this.profile('Channel'),
      ...this.channelHeaders(true),
    ];
  }

  fire(
    name: string,
    own: EventHeaders,
    opts: { vars?: boolean; subclass?: string; before?: EventHeaders } = {},
  ): void {
    const headers: EventHeaders = [
      ...commonBlock(this.host.identity, name, 'channel', opts.subclass),
      ...(opts.before ?? []),
      ...this.channelHeaders(opts.vars ?? true),
      ...own,
    ];
    this.host.fire(
      opts.subclass === undefined ? { name, headers } : { name, subclass: opts.subclass, headers },
    );
  }

  // ---- applications -------------------------------------------------------

  /**
   * Runs an application as `sendmsg execute` does: CHANNEL_EXECUTE now,
   * CHANNEL_EXECUTE_COMPLETE when it returns (after every application
   * started inside it). An unknown application hangs the channel up
   * (DESTINATION_OUT_OF_ORDER), as in FreeSWITCH.
   */
  execute(app: string, arg: string, applicationUuid: string = randomUUID()): void {
    if (!this.alive) return;
    const fn = this.host.app(app);
    if (!fn) {
      this.log.warn({ app, arg }, 'unknown application: hanging up (as FreeSWITCH does)');
      this.hangup('DESTINATION_OUT_OF_ORDER');
      return;
    }
    const frame = new Frame(app, arg, applicationUuid);
    const outer = this.frames.at(-1);
    outer?.pause();
    this.frames.push(frame);
    const appHeaders: EventHeaders = [
      ['Application', app],
      ['Application-Data', arg],
      ['Application-UUID', applicationUuid],
    ];
    this.fire('CHANNEL_EXECUTE', appHeaders);
    void this.runFrame(fn, frame, appHeaders);
  }

  private async runFrame(fn: App, frame: Frame, appHeaders: EventHeaders): Promise<void> {
    let response: string | undefined;
    try {
      response = await fn({ ch: this, frame, arg: frame.arg });
    } catch (err) {
      this.log.error({ err, app: frame.app, arg: frame.arg }, 'application failed');
      response = '-ERR';
    }
    // Completions are LIFO: an application started inside this one completes first.
    const idx = this.frames.indexOf(frame);
    await Promise.all(this.frames.slice(idx + 1).map((f) => f.done));
    this.frames.splice(this.frames.indexOf(frame), 1);
    this.fire('CHANNEL_EXECUTE_COMPLETE', [
      ...appHeaders.slice(0, 2),
      ['Application-Response', response ?? '_none_'],
      appHeaders[2] as [string, string],
    ]);
    frame.finished();
    // The application this one ran inside resumes.
    if (idx === this.frames.length) this.frames.at(-1)?.unpause();
    if (this.state === 'hanging-up' && this.frames.length === 0) this.finishHangup();
  }

  /** `uuid_break` / `break`: ends the innermost application's media (all: every one). */
  breakMedia(all: boolean, except?: Frame): void {
    const frames = this.frames.filter((f) => f !== except);
    const targets = all ? frames : frames.slice(-1);
    for (const f of targets) f.stop('break');
  }

  /**
   * A key press: the DTMF event, then the innermost application. `RTP` for
   * RFC 4733 telephone-events, `ENDPOINT` for SIP INFO (as FreeSWITCH names them).
   */
  dtmf(digit: string, durationMs: number, source: 'RTP' | 'ENDPOINT' = 'RTP'): void {
    if (!this.alive) return;
    this.fire(
      'DTMF',
      [
        ['DTMF-Digit', digit],
        ['DTMF-Duration', String(Math.round(durationMs * 8))],
        ['DTMF-Source', source],
      ],
      { vars: false },
    );
    this.frames.at(-1)?.digitSink?.(digit);
  }

  // ---- bridging -----------------------------------------------------------

  bridge(other: Channel): void {
    this.unbridge();
    other.unbridge();
    // Bridging ends whatever plays on either leg (FreeSWITCH transfers both legs).
    this.breakMedia(true);
    other.breakMedia(true);
    this.media.bridge(other.media);
    this.bridgedTo = other;
    other.bridgedTo = this;
    this.vars.set('bridge_uuid', other.uuid);
    other.vars.set('bridge_uuid', this.uuid);
  }

  unbridge(): void {
    const other = this.bridgedTo;
    if (!other) return;
    this.bridgedTo = undefined;
    other.bridgedTo = undefined;
    this.media.unbridge();
    other.media.unbridge();
  }

  /**
   * FreeSWITCH's media timeout: with `media_timeout` (ms) or `rtp_timeout_sec`
   * set, a channel that has received no RTP for that long hangs up with
   * MEDIA_TIMEOUT (the endpoint emits `destroy` with that reason).
   */
  checkMediaTimeout(now: number): void {
    if (this.state !== 'active') return;
    const ms =
      Number(this.vars.get('media_timeout')) || Number(this.vars.get('rtp_timeout_sec')) * 1000;
    if (!(ms > 0)) return;
    const last = Math.max(this.media.lastPacketAt ?? 0, this.mediaSince);
    if (now - last >= ms) {
      this.log.info({ silentMs: Math.round(now - last) }, 'no RTP from the peer: media timeout');
      this.hangup('MEDIA_TIMEOUT');
    }
  }

  // ---- hangup -------------------------------------------------------------

  /**
   * Ends the channel once. `byPeer` is true when the SIP peer sent the BYE;
   * otherwise the media server sends one. Every application completes
   * (innermost first), then CHANNEL_HANGUP events, then the host closes the
   * event socket.
   */
  hangup(cause: HangupCause, byPeer = false): void {
    if (!this.alive) return;
    this.state = 'hanging-up';
    this.hangupCause = cause;
    this.vars.set('hangup_cause', cause);
    this.log.info({ cause, byPeer }, 'channel hangup');
    this.media.off('dtmf', this.onDtmf);
    this.recordings.stop('all');
    this.unbridge();
    if (!byPeer) this.host.sendBye(this, cause);
    for (const f of [...this.frames].reverse()) f.stop('hangup');
    if (this.frames.length === 0) {
      this.finishHangup();
      return;
    }
    // Every application ends on `stop('hangup')`; should one not, the channel
    // still goes after a grace period instead of holding its port forever.
    this.hangupGrace = setTimeout(() => {
      this.log.warn(
        { apps: this.frames.map((f) => f.app) },
        'applications did not end after hangup: channel closed without their completion',
      );
      this.finishHangup();
    }, HANGUP_GRACE_MS);
  }

  /** Server shutdown: a channel still waiting for its applications goes now. */
  abandon(): void {
    if (this.alive) this.hangup('NORMAL_CLEARING');
    this.finishHangup();
  }

  private finishHangup(): void {
    if (this.state !== 'hanging-up') return;
    if (this.hangupGrace) clearTimeout(this.hangupGrace);
    this.hangupGrace = undefined;
    this.fire('CHANNEL_HANGUP', [], { vars: true });
    this.fire('CHANNEL_CALLSTATE', [], {
      vars: false,
      before: [
        ['Original-Channel-Call-State', 'ACTIVE'],
        ['Channel-Call-State-Number', '10'],
      ],
    });
    this.state = 'gone';
    this.media
      .close()
      .catch((err: unknown) => this.log.warn({ err }, 'closing RTP channel failed'));
    this.host.gone(this);
  }
}
