/**
 * A real RTP endpoint on loopback for tests: receives and records every
 * datagram with its arrival time, decodes G.711 with the reference decoders
 * of audio.ts, and sends audio, RFC 4733 events or raw bytes, paced in real
 * time like a phone.
 */
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { decodeG711Reference } from './audio.ts';

export interface Received {
  at: number;
  from: { address: string; port: number };
  payloadType: number;
  marker: boolean;
  sequence: number;
  timestamp: number;
  ssrc: number;
  payload: Buffer;
}

export interface Target {
  address: string;
  port: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class RtpPeer {
  readonly received: Received[] = [];
  readonly #socket: dgram.Socket;
  #closed = false;
  readonly #ssrc = (Math.random() * 2 ** 32) >>> 0;
  #sequence = 1000;
  #timestamp = 5000;

  private constructor(socket: dgram.Socket) {
    this.#socket = socket;
    socket.on('message', (msg, rinfo) => {
      if (msg.length < 12) return;
      this.received.push({
        at: performance.now(),
        from: { address: rinfo.address, port: rinfo.port },
        payloadType: msg[1]! & 0x7f,
        marker: (msg[1]! & 0x80) !== 0,
        sequence: msg.readUInt16BE(2),
        timestamp: msg.readUInt32BE(4),
        ssrc: msg.readUInt32BE(8),
        payload: msg.subarray(12),
      });
    });
  }

  static async open(address = '127.0.0.1'): Promise<RtpPeer> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, address, resolve));
    return new RtpPeer(socket);
  }

  get port(): number {
    return this.#socket.address().port;
  }

  get address(): string {
    return this.#socket.address().address;
  }

  /** Decoded audio of the packets with `payloadType`, in sequence-number order, from index `from` of `received`. */
  audio(codec: 'PCMU' | 'PCMA', payloadType = codec === 'PCMU' ? 0 : 8, from = 0): Int16Array {
    const packets = this.received.slice(from).filter((p) => p.payloadType === payloadType);
    const bytes = Buffer.concat(packets.map((p) => p.payload));
    return decodeG711Reference(codec, bytes);
  }

  /** Waits until `n` packets have arrived (rejects after `timeoutMs`). */
  async waitForPackets(n: number, timeoutMs = 5000): Promise<void> {
    const until = performance.now() + timeoutMs;
    while (this.received.length < n) {
      if (performance.now() > until)
        throw new Error(`waited for ${n} packets, have ${this.received.length}`);
      await sleep(10);
    }
  }

  /** Sends a datagram; after close() it is silently not sent (a sender still pacing may outlive the test). */
  sendRaw(bytes: Buffer, to: Target): void {
    if (!this.#closed) this.#socket.send(bytes, to.port, to.address);
  }

  /** One RTP packet with this peer's SSRC and the next sequence number. */
  packet(
    payloadType: number,
    payload: Buffer,
    opts: { marker?: boolean; timestamp?: number } = {},
  ): Buffer {
    const h = Buffer.alloc(12);
    h[0] = 0x80;
    h[1] = (opts.marker ? 0x80 : 0) | payloadType;
    h.writeUInt16BE(this.#sequence, 2);
    this.#sequence = (this.#sequence + 1) & 0xffff;
    h.writeUInt32BE((opts.timestamp ?? this.#timestamp) >>> 0, 4);
    h.writeUInt32BE(this.#ssrc, 8);
    return Buffer.concat([h, payload]);
  }

  /**
   * Sends `samples` as 20 ms G.711 packets, paced in real time, encoded with
   * `encode` (the caller chooses the encoder; tests pass the one verified against sox).
   */
  async sendAudio(
    to: Target,
    payloadType: number,
    samples: Int16Array,
    encode: (pcm: Int16Array) => Uint8Array,
  ): Promise<void> {
    const start = performance.now();
    for (let i = 0, n = 0; i + 160 <= samples.length && !this.#closed; i += 160, n++) {
      const payload = Buffer.from(encode(samples.subarray(i, i + 160)));
      this.sendRaw(this.packet(payloadType, payload, { marker: n === 0 }), to);
      this.#timestamp += 160;
      const wait = start + (n + 1) * 20 - performance.now();
      if (wait > 0) await sleep(wait);
    }
  }

  /**
   * Sends one RFC 4733 key press: `durationMs` of event packets every 20 ms,
   * then the end packet `endRepeats` times (as phones do).
   */
  async sendDtmf(
    to: Target,
    payloadType: number,
    event: number,
    durationMs = 100,
    endRepeats = 3,
  ): Promise<void> {
    const ts = this.#timestamp;
    const total = durationMs * 8;
    for (let d = 160, first = true; d < total; d += 160, first = false) {
      this.sendRaw(
        this.packet(payloadType, eventPayload(event, false, d), { marker: first, timestamp: ts }),
        to,
      );
      await sleep(20);
    }
    for (let i = 0; i < endRepeats; i++)
      this.sendRaw(
        this.packet(payloadType, eventPayload(event, true, total), { timestamp: ts }),
        to,
      );
    this.#timestamp += total;
    await sleep(20);
  }

  close(): Promise<void> {
    this.#closed = true;
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }
}

export function eventPayload(event: number, end: boolean, duration: number): Buffer {
  const b = Buffer.alloc(4);
  b[0] = event;
  b[1] = (end ? 0x80 : 0) | 10;
  b.writeUInt16BE(duration, 2);
  return b;
}
