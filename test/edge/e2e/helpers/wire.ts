/**
 * A raw drachtio wire-protocol client (drachtio-wire.md §1-4), for checklist
 * items that are about frames rather than what srf makes of them: byte
 * counts, token positions, one echo per frame, ordering, framing errors.
 */
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { Arrivals } from '../../../support/arrivals.ts';
import type { DrachtioAddress } from '../../../support/sip-target.ts';

export interface Frame {
  /** Declared length (UTF-8 bytes). */
  length: number;
  payload: string;
  tokens: string[];
  type: string;
  /** SIP text after the leader's CR LF ('' when none). */
  sip: string;
  at: number;
}

export class WireClient {
  readonly frames: Frame[] = [];
  /** Anything that would crash srf: bad length prefix, unknown type. */
  readonly protocolErrors: string[] = [];
  readonly closed: Promise<void>;
  private buf = Buffer.alloc(0);
  readonly #arrivals = new Arrivals(
    this.frames,
    (ms) => `no matching frame within ${ms} ms; frames so far:\n${this.dump()}`,
  );
  private isClosed = false;

  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (d) => this.onData(d));
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        this.isClosed = true;
        resolve();
      });
    });
    socket.on('error', () => {});
  }

  static connect(addr: { host: string; port: number }): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: addr.host, port: addr.port });
      s.once('connect', () => resolve(new WireClient(s)));
      s.once('error', reject);
    });
  }

  /** Connects, authenticates (empty tags token as srf sends it) and checks OK. */
  static async connectAuthenticated(
    addr: DrachtioAddress,
    routes: string[] = [],
  ): Promise<WireClient> {
    const c = await WireClient.connect(addr);
    const auth = await c.call(['authenticate', addr.secret, '']);
    if (auth.tokens[3] !== 'OK') throw new Error(`authenticate refused: ${auth.payload}`);
    for (const verb of routes) await c.call(['route', verb]);
    return c;
  }

  get isOpen(): boolean {
    return !this.isClosed;
  }

  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      const hash = this.buf.indexOf(0x23);
      if (hash < 0) {
        if (this.buf.length > 10)
          this.protocolErrors.push(`no # in ${this.buf.subarray(0, 20).toString()}`);
        return;
      }
      const prefix = this.buf.subarray(0, hash).toString('latin1');
      if (!/^[1-9][0-9]*$/.test(prefix)) {
        this.protocolErrors.push(`bad length prefix ${JSON.stringify(prefix)}`);
        this.buf = Buffer.alloc(0);
        return;
      }
      const len = Number(prefix);
      if (this.buf.length < hash + 1 + len) return;
      const payload = this.buf.subarray(hash + 1, hash + 1 + len).toString('utf8');
      this.buf = this.buf.subarray(hash + 1 + len);
      const crlf = payload.indexOf('\r\n');
      const leader = crlf < 0 ? payload : payload.slice(0, crlf);
      const tokens = leader.split('|');
      const frame: Frame = {
        length: len,
        payload,
        tokens,
        type: tokens[1] ?? '',
        sip: crlf < 0 ? '' : payload.slice(crlf + 2),
        at: Date.now(),
      };
      if (!['response', 'sip', 'cdr:attempt', 'cdr:start', 'cdr:stop'].includes(frame.type)) {
        this.protocolErrors.push(`unknown frame type ${JSON.stringify(frame.type)}`);
      }
      this.#arrivals.add(frame);
    }
  }

  /** Writes one frame with a correct UTF-8 byte length. */
  send(tokens: string[], sip?: string): string {
    const id = randomUUID();
    this.writeFrame(`${[id, ...tokens].join('|')}${sip !== undefined ? `\r\n${sip}` : ''}`);
    return id;
  }

  writeFrame(payload: string): void {
    this.socket.write(`${Buffer.byteLength(payload, 'utf8')}#${payload}`);
  }

  writeRaw(bytes: Buffer | string): void {
    this.socket.write(bytes);
  }

  /** Sends a frame and waits for the `response` frame that answers it. */
  async call(tokens: string[], sip?: string, timeoutMs = 5000): Promise<Frame> {
    const id = randomUUID();
    const answer = this.next((f) => f.type === 'response' && f.tokens[2] === id, timeoutMs);
    this.writeFrame(`${[id, ...tokens].join('|')}${sip !== undefined ? `\r\n${sip}` : ''}`);
    return answer;
  }

  /** Resolves with the first frame (already received or future) matching `pred`. */
  next(pred: (f: Frame) => boolean, timeoutMs = 5000, since = 0): Promise<Frame> {
    return this.#arrivals.next(pred, timeoutMs, since);
  }

  /** Incoming `sip` frames whose SIP text starts with `startLine`. */
  sipFrames(startLine: RegExp): Frame[] {
    return this.frames.filter((f) => f.type === 'sip' && startLine.test(f.sip));
  }

  dump(): string {
    return this.frames
      .map((f) => `${f.payload.split('\r\n')[0]} :: ${f.sip.split('\r\n')[0]}`)
      .join('\n');
  }

  close(): void {
    if (!this.socket.destroyed) this.socket.destroy();
  }
}

/** Sends an app response (srf style: copies Call-ID, CSeq, From, To) to an incoming request frame. */
export function appResponse(
  request: string,
  status: number,
  reason: string,
  extra: string[] = [],
  body = '',
): string {
  const lines = [`SIP/2.0 ${status} ${reason}`];
  for (const name of ['Call-ID', 'CSeq', 'From', 'To']) {
    const v = headerValue(request, name);
    if (v !== undefined)
      lines.push(`${name.toLowerCase() === 'call-id' ? 'Call-ID' : name.toLowerCase()}: ${v}`);
  }
  lines.push(...extra, `Content-Length: ${body.length}`, '', body);
  return lines.join('\r\n');
}

const COMPACT: Record<string, string> = {
  'call-id': 'i',
  from: 'f',
  to: 't',
  via: 'v',
  contact: 'm',
};

/** First value of a header in a SIP text (long or compact name). */
export function headerValue(text: string, name: string): string | undefined {
  const head = text.split('\r\n\r\n')[0] ?? '';
  const lower = name.toLowerCase();
  const short = COMPACT[lower];
  for (const line of head.split('\r\n').slice(1)) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    const n = line.slice(0, i).trim().toLowerCase();
    if (n === lower || (short && n === short)) return line.slice(i + 1).trim();
  }
  return undefined;
}
