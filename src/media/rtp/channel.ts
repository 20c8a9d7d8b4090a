/**
 * One RTP session: a port pair, the peer, what is played to it, what it sends.
 *
 * Output, decided each 20 ms tick (`produce`), in this order:
 *   an RFC 4733 event being sent  >  the current play  >  the bridged
 *   partner's received audio  >  silence (sent while idle, as FreeSWITCH does
 *   with send_silence_when_idle, which keeps NAT bindings open).
 * Nothing is sent until `setRemote`. Play, bridge and record are independent
 * slots, each with one owner: `#play`, `#partner`, `#recorder`; session
 * recordings (both directions) are taps in `#sessions`, one per file.
 *
 * Channel life: open -> closing -> closed (`close()` is idempotent).
 */
import { randomInt } from 'node:crypto';
import type dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { AudioCache } from '../audio/cache.ts';
import { decodeG711, encodeG711 } from '../audio/g711.ts';
import { DtmfReceiver, DtmfSender } from './dtmf.ts';
import { RTP_HEADER_BYTES, type RtpPacket, classify, writeRtpHeader } from './packet.ts';
import { immediateSource, loadSource } from './play.ts';
import { closeSocket, type PortPair } from './port-pool.ts';
import { RateLimitedLog } from './rate-log.ts';
import { Recorder, recordArgumentsProblem } from './recorder.ts';
import { SampleFifo } from './sample-fifo.ts';
import { SessionTap, sessionArgumentsProblem } from './session-tap.ts';
import type { FrameSource } from './sources.ts';
import type {
  PlayEnd,
  PlaySource,
  RecordOptions,
  RecordResult,
  RemoteMedia,
  RtpChannel,
  RtpChannelEvents,
  RtpChannelStats,
  RtpLogger,
  SessionRecordOptions,
} from './types.ts';

export const FRAME_SAMPLES = 160;
/** Frames a recording is caught up by after a stall (the rest of a longer stall is lost). */
const MAX_CATCH_UP_FRAMES = 50;
const COMFORT_NOISE_PT = 13; // RFC 3389: accepted, carries no audio we use

export interface ChannelDeps {
  pair: PortPair;
  cache: AudioCache;
  log: RtpLogger | undefined;
  /** The scheduler's current tick (RTP timestamps are derived from it). */
  currentTick(): number;
  /** Called once when the channel has closed its sockets. */
  released(channel: Channel): void;
}

interface Playing {
  /** Undefined while files load. */
  source: FrameSource | undefined;
  settle(end: PlayEnd | Error): void;
}

type Life = 'open' | 'closing' | 'closed';

export class Channel extends EventEmitter<RtpChannelEvents> implements RtpChannel {
  readonly localPort: number;
  readonly #deps: ChannelDeps;
  readonly #rtp: dgram.Socket;
  readonly #rtcp: dgram.Socket;
  readonly #warn: RateLimitedLog;
  readonly #stats: RtpChannelStats = {
    packetsIn: 0,
    packetsOut: 0,
    dropped: 0,
    malformed: 0,
    rtcp: 0,
  };
  #life: Life = 'open';
  #closed: Promise<void> | undefined;

  #remote: RemoteMedia | undefined;
  /** Where packets go: the SDP address until the first valid packet, then its source. */
  #target: { address: string; port: number } | undefined;
  #latched: string | undefined;
  #lastPacketAt: number | undefined;

  readonly #ssrc = randomInt(0, 2 ** 32);
  #sequence = randomInt(0, 2 ** 16);
  readonly #timestampBase = randomInt(0, 2 ** 32);
  readonly #firstTick: number;
  /** Set when the next packet starts a talk spurt (RFC 3550 marker bit). */
  #startOfSpurt = true;

  #play: Playing | undefined;
  #partner: Channel | undefined;
  #recorder: Recorder | undefined;
  readonly #sessions = new Set<SessionTap>();
  readonly #inbound = new SampleFifo();
  readonly #decoded = new Int16Array(2048);
  readonly #inFrame = new Int16Array(FRAME_SAMPLES);
  /** This tick's received frame, if the peer's audio kept up. */
  #inFrameValid = false;
  readonly #outFrame = new Int16Array(FRAME_SAMPLES);
  readonly #silence = new Int16Array(FRAME_SAMPLES);
  readonly #dtmfIn = new DtmfReceiver();
  readonly #dtmfOut = new DtmfSender();

  constructor(deps: ChannelDeps) {
    super();
    this.#deps = deps;
    this.localPort = deps.pair.port;
    this.#rtp = deps.pair.rtp;
    this.#rtcp = deps.pair.rtcp;
    this.#warn = new RateLimitedLog(deps.log);
    this.#firstTick = deps.currentTick();
    this.#rtp.on('message', this.#onRtp);
    this.#rtcp.on('message', this.#onRtcp);
    const onError = (err: Error) =>
      this.#warn.warn('socket', { port: this.localPort, err: err.message }, 'rtp: socket error');
    this.#rtp.on('error', onError);
    this.#rtcp.on('error', onError);
  }

  get lastPacketAt(): number | undefined {
    return this.#lastPacketAt;
  }

  get stats(): Readonly<RtpChannelStats> {
    return this.#stats;
  }

  setRemote(remote: RemoteMedia): void {
    if (this.#life !== 'open') return;
    if (remote.codec !== 'PCMU' && remote.codec !== 'PCMA')
      throw new TypeError(`codec ${String(remote.codec)} is not G.711`);
    if (!Number.isInteger(remote.port) || remote.port < 1 || remote.port > 65535)
      throw new TypeError(`remote port ${remote.port} is not valid`);
    this.#remote = { ...remote };
    this.#target = { address: remote.address, port: remote.port };
    this.#latched = undefined; // a new offer: latch again on the first valid packet
    this.#inbound.clear();
    this.#startOfSpurt = true;
  }

  // ---------------------------------------------------------------- receive

  readonly #onRtp = (msg: Buffer, from: dgram.RemoteInfo): void => {
    if (this.#life !== 'open') return;
    const d = classify(msg);
    if (d.kind === 'malformed') {
      this.#stats.malformed++;
      this.#warn.warn(
        'malformed',
        { port: this.localPort, from: `${from.address}:${from.port}`, reason: d.reason },
        'rtp: malformed packet dropped',
      );
      return;
    }
    if (d.kind === 'rtcp') {
      this.#stats.rtcp++; // RTCP multiplexed on the RTP port: read and ignored
      return;
    }
    this.#onPacket(d.packet, from);
  };

  readonly #onRtcp = (msg: Buffer, from: dgram.RemoteInfo): void => {
    if (this.#life !== 'open') return;
    if (classify(msg).kind === 'rtcp') this.#stats.rtcp++;
    else {
      this.#stats.malformed++;
      this.#warn.warn(
        'malformed-rtcp',
        { port: this.localPort + 1, from: `${from.address}:${from.port}` },
        'rtp: malformed RTCP dropped',
      );
    }
  };

  #isOwn(from: dgram.RemoteInfo): boolean {
    if (from.port !== this.localPort) return false;
    const own = this.#rtp.address();
    return from.address === own.address;
  }

  #drop(kind: string, from: dgram.RemoteInfo, extra: object, msg: string): void {
    this.#stats.dropped++;
    this.#warn.warn(
      kind,
      { port: this.localPort, from: `${from.address}:${from.port}`, ...extra },
      msg,
    );
  }

  #onPacket(p: RtpPacket, from: dgram.RemoteInfo): void {
    if (this.#isOwn(from)) {
      // A channel still pointed at itself (a 3pcc endpoint before its answer) hears its own
      // packets; latching onto one that arrives after the answer would keep it talking to itself.
      return;
    }
    const remote = this.#remote;
    if (!remote) {
      this.#drop('no-remote', from, {}, 'rtp: packet before the remote is known, dropped');
      return;
    }
    const isAudio = p.payloadType === remote.payloadType;
    const isEvent =
      remote.telephoneEventPt !== undefined && p.payloadType === remote.telephoneEventPt;
    if (!isAudio && !isEvent && p.payloadType !== COMFORT_NOISE_PT) {
      this.#drop(
        'payload-type',
        from,
        { payloadType: p.payloadType },
        'rtp: unknown payload type, dropped',
      );
      return;
    }
    const source = `${from.address}:${from.port}`;
    if (this.#latched === undefined) {
      this.#latched = source;
      if (from.address !== this.#target?.address || from.port !== this.#target?.port) {
        this.#deps.log?.info(
          { port: this.localPort, sdp: this.#target, source },
          'rtp: peer sends from elsewhere; sending there (symmetric RTP)',
        );
      }
      this.#target = { address: from.address, port: from.port };
    } else if (source !== this.#latched) {
      this.#drop(
        'source',
        from,
        { expected: this.#latched },
        'rtp: packet from an unexpected source, dropped',
      );
      return;
    }
    this.#stats.packetsIn++;
    this.#lastPacketAt = performance.now();
    if (isAudio) {
      const n = Math.min(p.payload.length, this.#decoded.length);
      decodeG711(remote.codec, p.payload.subarray(0, n), this.#decoded);
      this.#inbound.push(this.#decoded.subarray(0, n));
    } else if (isEvent) {
      const r = this.#dtmfIn.onPacket(p.timestamp, p.payload);
      if (r.kind === 'malformed') {
        this.#stats.malformed++;
        return;
      }
      for (const press of r.presses) this.#onPress(press.digit, press.durationMs);
    }
  }

  #onPress(digit: string, durationMs: number): void {
    this.#recorder?.dtmf(digit);
    const partner = this.#partner;
    if (partner) partner.#dtmfOut.enqueue(digit, durationMs);
    try {
      this.emit('dtmf', digit, durationMs);
    } catch (err) {
      this.#deps.log?.warn(
        { port: this.localPort, err: String(err) },
        'rtp: a dtmf listener threw',
      );
    }
  }

  // ------------------------------------------------------------------ ticks

  /**
   * Phase one of a tick: take this tick's received frame (for the recorder and
   * the partner). After a stall the frames of the skipped ticks are waiting in
   * the buffer: the recorder gets them all (a file has no pacing to keep), the
   * partner only the newest.
   */
  takeInbound(skipped: number): void {
    if (this.#life !== 'open') return;
    for (let k = Math.min(skipped, MAX_CATCH_UP_FRAMES); k >= 0; k--) {
      this.#inFrameValid = this.#inbound.take(this.#inFrame);
      const received = this.#inFrameValid ? this.#inFrame : this.#silence;
      this.#recorder?.push(received);
      for (const tap of this.#sessions) tap.read(received);
    }
  }

  /** This tick's frame from the peer, or undefined when its audio did not keep up (read by the bridged partner). */
  receivedFrame(): Int16Array | undefined {
    return this.#inFrameValid ? this.#inFrame : undefined;
  }

  /** Phase two of a tick: send this tick's frame. `skipped` ticks were lost to a stall. */
  produce(tick: number, skipped: number): void {
    if (this.#life !== 'open') return;
    if (skipped > 0) this.#startOfSpurt = true;
    const frame = this.#nextFrame();
    for (const tap of this.#sessions) tap.write(frame);
    const remote = this.#remote;
    const target = this.#target;
    if (!remote || !target) return;
    const timestamp = (this.#timestampBase + (tick - this.#firstTick) * FRAME_SAMPLES) >>> 0;
    const event =
      remote.telephoneEventPt === undefined
        ? undefined
        : this.#dtmfOut.next(timestamp, FRAME_SAMPLES);
    let packet: Buffer;
    if (event) {
      packet = Buffer.allocUnsafe(RTP_HEADER_BYTES + event.payload.length);
      writeRtpHeader(packet, {
        payloadType: remote.telephoneEventPt!,
        marker: event.marker,
        sequence: this.#sequence,
        timestamp: event.timestamp,
        ssrc: this.#ssrc,
      });
      event.payload.copy(packet, RTP_HEADER_BYTES);
    } else {
      packet = Buffer.allocUnsafe(RTP_HEADER_BYTES + FRAME_SAMPLES);
      writeRtpHeader(packet, {
        payloadType: remote.payloadType,
        marker: this.#startOfSpurt,
        sequence: this.#sequence,
        timestamp,
        ssrc: this.#ssrc,
      });
      encodeG711(remote.codec, frame, packet.subarray(RTP_HEADER_BYTES));
      this.#startOfSpurt = false;
    }
    this.#sequence = (this.#sequence + 1) & 0xffff;
    this.#stats.packetsOut++;
    this.#rtp.send(packet, target.port, target.address);
  }

  #nextFrame(): Int16Array {
    const play = this.#play;
    if (play?.source) {
      const n = play.source.fill(this.#outFrame);
      if (n < FRAME_SAMPLES) this.#endPlay(play, 'done');
      return this.#outFrame;
    }
    return this.#partner?.receivedFrame() ?? this.#silence;
  }

  // ------------------------------------------------------------------- play

  play(source: PlaySource, signal?: AbortSignal): Promise<PlayEnd> {
    if (this.#life !== 'open') return Promise.reject(new Error('play: the RTP channel is closed'));
    let immediate: FrameSource | undefined;
    try {
      immediate = immediateSource(source);
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.#play) this.#endPlay(this.#play, 'stopped');
    if (signal?.aborted) return Promise.resolve('stopped');
    return new Promise<PlayEnd>((resolve, reject) => {
      const onAbort = () => this.#endPlay(playing, 'stopped');
      const playing: Playing = {
        source: immediate,
        settle: (end) => {
          signal?.removeEventListener('abort', onAbort);
          if (end instanceof Error) reject(end);
          else resolve(end);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#play = playing;
      // The marker goes on the source's first frame: now, or once its files have loaded.
      if (immediate) this.#startOfSpurt = true;
      if (!immediate) {
        loadSource(source, this.#deps.cache, this.#deps.log).then(
          (loaded) => {
            if (this.#play !== playing) return;
            playing.source = loaded;
            this.#startOfSpurt = true; // its first frame starts a talk spurt
          },
          (err: unknown) =>
            this.#endPlay(playing, err instanceof Error ? err : new Error(String(err))),
        );
      }
    });
  }

  #endPlay(playing: Playing, end: PlayEnd | Error): void {
    if (this.#play !== playing) return;
    this.#play = undefined;
    playing.settle(end);
  }

  // ----------------------------------------------------------------- record

  record(path: string, opts: RecordOptions, signal?: AbortSignal): Promise<RecordResult> {
    if (this.#life !== 'open')
      return Promise.reject(new Error('record: the RTP channel is closed'));
    const problem = recordArgumentsProblem(path, opts);
    if (problem) return Promise.reject(new TypeError(`record: ${problem}`));
    this.#recorder?.finish('stopped');
    const recorder = new Recorder(path, opts);
    this.#recorder = recorder;
    const onAbort = () => recorder.finish('stopped');
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    return recorder.result.then((result) => {
      signal?.removeEventListener('abort', onAbort);
      if (this.#recorder === recorder) this.#recorder = undefined;
      if (result.reason === 'error')
        this.#deps.log?.warn(
          { port: this.localPort, path, error: result.error },
          'rtp: recording failed',
        );
      return result;
    });
  }

  recordSession(
    path: string,
    opts: SessionRecordOptions,
    signal?: AbortSignal,
  ): Promise<RecordResult> {
    if (this.#life !== 'open')
      return Promise.reject(new Error('recordSession: the RTP channel is closed'));
    const problem = sessionArgumentsProblem(path, opts);
    if (problem) return Promise.reject(new TypeError(`recordSession: ${problem}`));
    // Stopped before it began: nothing is written (no tick may feed it meanwhile).
    if (signal?.aborted)
      return Promise.resolve({ reason: 'stopped', durationMs: 0, discarded: true });
    const tap = new SessionTap(path, opts);
    this.#sessions.add(tap);
    const onAbort = () => tap.finish('stopped');
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    // A disk error is in the result; the media side logs it with the channel's context.
    return tap.result.then((result) => {
      signal?.removeEventListener('abort', onAbort);
      this.#sessions.delete(tap);
      return result;
    });
  }

  stopMedia(): void {
    if (this.#play) this.#endPlay(this.#play, 'stopped');
    this.#recorder?.finish('stopped');
  }

  // ----------------------------------------------------------------- bridge

  bridge(other: RtpChannel): void {
    if (!(other instanceof Channel) || other === this)
      throw new TypeError('bridge: needs another channel of the same engine');
    if (this.#life !== 'open' || other.#life !== 'open')
      throw new Error('bridge: a channel is closed');
    if (this.#partner === other) return;
    this.unbridge();
    other.unbridge();
    for (const ch of [this, other]) {
      if (ch.#play) ch.#endPlay(ch.#play, 'stopped');
      ch.#startOfSpurt = true;
    }
    this.#partner = other;
    other.#partner = this;
  }

  unbridge(): void {
    const partner = this.#partner;
    if (!partner) return;
    this.#partner = undefined;
    partner.#partner = undefined;
    partner.#startOfSpurt = true;
    this.#startOfSpurt = true;
  }

  sendDtmf(digits: string, durationMs = 100): void {
    if (this.#life === 'open') this.#dtmfOut.enqueue(digits, durationMs);
  }

  // ------------------------------------------------------------------ close

  close(): Promise<void> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  async #close(): Promise<void> {
    this.stopMedia();
    this.unbridge();
    this.#life = 'closing';
    this.#dtmfOut.clear();
    const recording = this.#recorder?.result;
    const sessions = [...this.#sessions].map((tap) => {
      tap.finish('stopped');
      return tap.result;
    });
    await Promise.all([closeSocket(this.#rtp), closeSocket(this.#rtcp), recording, ...sessions]);
    this.#life = 'closed';
    this.#deps.released(this);
  }
}
