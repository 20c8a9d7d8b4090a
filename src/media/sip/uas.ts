/**
 * The media server's SIP side: a small UDP user agent server for the
 * INVITEs drachtio-fsmrf sends (through drachtio) and the BYEs both sides
 * send, built on the edge's SIP parser and serializer.
 *
 * It is deliberately smaller than the edge's transaction layer: every final
 * response to an INVITE is retransmitted (T1 doubling up to T2) until its ACK
 * arrives or 64×T1 pass, a retransmitted INVITE gets the last response again,
 * and our BYE is retransmitted until answered. Requests for a dialog it does
 * not know get 481 (ACKs are dropped).
 */
import dgram from 'node:dgram';
import type { Logger } from 'pino';
import {
  buildResponse,
  generateBranch,
  generateTag,
  getHeader,
  getTag,
  header,
  parseCSeq,
  parseNameAddr,
  parseSipMessage,
  type ParsedUri,
  type SipHeader,
  type SipRequest,
  type SipResponse,
  serializeSipMessage,
  topVia,
} from '../../edge/sip/index.ts';

export interface UasTimers {
  t1Ms: number;
  t2Ms: number;
}

export interface Peer {
  address: string;
  port: number;
}

/** What the server decides for a new INVITE or a re-INVITE. */
export type InviteAnswer =
  | { status: 200; sdp: string }
  | { status: number; reason: string; warning?: string };

export interface UasCallbacks {
  /** A new INVITE (no To tag). `dialogId` names the dialog in later callbacks. */
  invite(req: SipRequest, source: Peer, dialogId: string): Promise<InviteAnswer>;
  reinvite(dialogId: string, sdp: string | undefined): InviteAnswer;
  /** ACK for our 2xx; `sdp` when it carries one (3pcc answer). */
  ack(dialogId: string, sdp: string | undefined): void;
  /** The peer ended the dialog (BYE), or our 2xx was never ACKed (then call `bye()`). */
  ended(dialogId: string, why: 'bye' | 'no-ack'): void;
}

interface Dialog {
  id: string;
  callId: string;
  localTag: string;
  remoteTag: string;
  /** Their From (our To in requests we send), our To with tag (our From). */
  remoteNameAddr: string;
  localNameAddr: string;
  target: Peer;
  targetUri: string;
  routes: string[];
  localCseq: number;
  state: 'answering' | 'confirmed' | 'terminated';
  /** Final response to the current INVITE, retransmitted until its ACK. */
  pending?: { cseq: number; bytes: Buffer; timer: NodeJS.Timeout; peer: Peer };
}

interface ByeTxn {
  timer: NodeJS.Timeout;
  done: () => void;
}

export interface UasOptions {
  host: string;
  port: number;
  /** Address written into Contact and Via (the bound host unless set). */
  advertisedHost?: string;
  timers: UasTimers;
  userAgent: string;
  log: Logger;
}

export class SipUas {
  private socket: dgram.Socket | undefined;
  private readonly dialogs = new Map<string, Dialog>();
  /** INVITEs being decided, by branch: a retransmission gets 100 again. */
  private readonly deciding = new Map<string, Peer>();
  private readonly byes = new Map<string, ByeTxn>();
  private liveTimers = 0;
  private nextId = 1;
  port = 0;

  constructor(
    private readonly opts: UasOptions,
    private readonly cb: UasCallbacks,
  ) {}

  get host(): string {
    return this.opts.advertisedHost ?? this.opts.host;
  }

  get contact(): string {
    return `<sip:drachtio@${this.host}:${this.port};transport=udp>`;
  }

  get counts(): { dialogs: number; pendingByes: number; timers: number } {
    return { dialogs: this.dialogs.size, pendingByes: this.byes.size, timers: this.liveTimers };
  }

  async start(): Promise<void> {
    const socket = dgram.createSocket('udp4');
    this.socket = socket;
    socket.on('message', (msg, rinfo) =>
      this.receive(msg, { address: rinfo.address, port: rinfo.port }),
    );
    socket.on('error', (err) => this.opts.log.warn({ err }, 'SIP socket error'));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: this.opts.host, port: this.opts.port, exclusive: true }, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    this.port = socket.address().port;
  }

  async close(): Promise<void> {
    for (const d of this.dialogs.values()) this.clearPending(d);
    this.dialogs.clear();
    for (const b of this.byes.values()) {
      clearTimeout(b.timer);
      this.liveTimers--;
    }
    this.byes.clear();
    const s = this.socket;
    this.socket = undefined;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }

  private send(bytes: Buffer, peer: Peer): void {
    this.socket?.send(bytes, peer.port, peer.address);
  }

  private receive(data: Buffer, source: Peer): void {
    const parsed = parseSipMessage(data);
    if (!parsed.ok) {
      if (parsed.keepAlive) return;
      this.opts.log.warn({ source, error: parsed.error }, 'SIP: unparsable message');
      if (parsed.request && parsed.request.method !== 'ACK') {
        this.send(
          serializeSipMessage(buildResponse(parsed.request, parsed.status, 'Bad Request')),
          source,
        );
      }
      return;
    }
    const msg = parsed.message;
    if (msg.kind === 'response') this.response(msg);
    else this.request(msg, source);
  }

  private request(req: SipRequest, source: Peer): void {
    const callId = getHeader(req, 'call-id');
    const cseq = parseCSeq(getHeader(req, 'cseq') ?? '');
    const toTag = getTag(getHeader(req, 'to'));
    if (!callId || !cseq || !topVia(req)) {
      if (req.method !== 'ACK') this.reply(req, source, 400, 'Bad Request');
      return;
    }
    if (toTag === undefined) {
      if (req.method === 'INVITE') void this.newInvite(req, source, callId);
      else if (req.method === 'OPTIONS')
        this.reply(req, source, 200, 'OK', [header('Allow', ALLOW)]);
      else if (req.method === 'CANCEL')
        this.reply(req, source, 481, 'Call/Transaction Does Not Exist');
      else if (req.method !== 'ACK')
        this.reply(req, source, 405, 'Method Not Allowed', [header('Allow', ALLOW)]);
      return;
    }
    const d = this.dialogs.get(`${callId}|${toTag}`);
    if (!d) {
      if (req.method !== 'ACK') this.reply(req, source, 481, 'Call/Transaction Does Not Exist');
      return;
    }
    switch (req.method) {
      case 'ACK':
        if (d.pending && d.pending.cseq === cseq.seq) {
          this.clearPending(d);
          if (d.state === 'answering') d.state = 'confirmed';
          this.cb.ack(d.id, bodyText(req));
        }
        return;
      case 'BYE':
        this.reply(req, source, 200, 'OK');
        this.terminate(d);
        this.cb.ended(d.id, 'bye');
        return;
      case 'INVITE': {
        if (d.pending && d.pending.cseq === cseq.seq) {
          this.send(d.pending.bytes, source); // retransmission
          return;
        }
        if (d.pending) {
          this.reply(req, source, 491, 'Request Pending');
          return;
        }
        const answer = this.cb.reinvite(d.id, bodyText(req));
        this.answerInvite(d, req, source, answer);
        return;
      }
      default:
        // INFO, OPTIONS, UPDATE without SDP, NOTIFY: accepted and ignored.
        this.reply(req, source, 200, 'OK');
    }
  }

  private async newInvite(req: SipRequest, source: Peer, callId: string): Promise<void> {
    const branch = topVia(req)?.branch ?? '';
    const fromTag = getTag(getHeader(req, 'from'));
    // A retransmission of an INVITE being decided or already answered.
    if (this.deciding.has(branch)) {
      this.reply(req, source, 100, 'Trying');
      return;
    }
    for (const d of this.dialogs.values()) {
      if (d.callId === callId && d.remoteTag === fromTag && d.pending) {
        this.send(d.pending.bytes, source);
        return;
      }
    }
    if (!fromTag) {
      this.reply(req, source, 400, 'Bad Request', [header('Warning', '399 mrf "From has no tag"')]);
      return;
    }
    const id = `d${this.nextId++}`;
    this.deciding.set(branch, source);
    if (req.body.length > 0) this.reply(req, source, 100, 'Trying');
    let answer: InviteAnswer;
    try {
      answer = await this.cb.invite(req, source, id);
    } catch (err) {
      this.opts.log.error({ err }, 'SIP: INVITE handling failed');
      answer = { status: 500, reason: 'Server Internal Error' };
    } finally {
      this.deciding.delete(branch);
    }
    const localTag = generateTag();
    const contact = parseNameAddr(getHeader(req, 'contact') ?? '');
    const targetUri = contact?.uri ?? req.uri;
    const target = peerOf(contact?.parsedUri) ?? source;
    const d: Dialog = {
      id,
      callId,
      localTag,
      remoteTag: fromTag,
      remoteNameAddr: getHeader(req, 'from') ?? '',
      localNameAddr: `${getHeader(req, 'to') ?? ''};tag=${localTag}`,
      target,
      targetUri,
      routes: req.headers
        .filter((h) => h.name.toLowerCase() === 'record-route')
        .map((h) => h.value),
      localCseq: 1,
      state: 'answering',
    };
    this.dialogs.set(`${callId}|${localTag}`, d);
    this.answerInvite(d, req, source, answer);
  }

  /** Sends the final response and retransmits it until the ACK. */
  private answerInvite(d: Dialog, req: SipRequest, source: Peer, answer: InviteAnswer): void {
    const cseq = parseCSeq(getHeader(req, 'cseq') ?? '')?.seq ?? 0;
    const extra: SipHeader[] = [header('User-Agent', this.opts.userAgent)];
    let res: SipResponse;
    if (answer.status === 200 && 'sdp' in answer) {
      extra.unshift(header('Contact', this.contact));
      extra.push(
        header('Allow', ALLOW),
        header('Content-Type', 'application/sdp'),
        header('Content-Disposition', 'session'),
      );
      res = buildResponse(req, 200, 'OK', extra, {
        toTag: d.localTag,
        body: Buffer.from(answer.sdp),
      });
    } else {
      const a = answer as { status: number; reason: string; warning?: string };
      if (a.warning) extra.push(header('Warning', `399 mrf "${a.warning.replace(/"/g, "'")}"`));
      res = buildResponse(req, a.status, a.reason, extra, { toTag: d.localTag });
    }
    const bytes = serializeSipMessage(res);
    this.send(bytes, source);
    const failed = answer.status >= 300;
    let interval = this.opts.timers.t1Ms;
    let elapsed = 0;
    const deadline = 64 * this.opts.timers.t1Ms;
    const tick = (): void => {
      elapsed += interval;
      if (elapsed >= deadline) {
        // A failed INVITE's record goes with its pending response (clearPending);
        // a 2xx never ACKed ends the dialog with a BYE (RFC 3261 §13.3.1.4).
        this.clearPending(d);
        if (!failed) this.cb.ended(d.id, 'no-ack');
        return;
      }
      this.send(bytes, source);
      interval = Math.min(interval * 2, this.opts.timers.t2Ms);
      if (d.pending) d.pending.timer = setTimeout(tick, interval);
    };
    this.liveTimers++;
    d.pending = { cseq, bytes, timer: setTimeout(tick, interval), peer: source };
    if (failed && d.state === 'answering') {
      // A rejected INVITE makes no dialog; the record lives only until the ACK.
      d.state = 'terminated';
    }
  }

  private clearPending(d: Dialog): void {
    if (!d.pending) return;
    clearTimeout(d.pending.timer);
    d.pending = undefined;
    this.liveTimers--;
    if (d.state === 'terminated') this.dialogs.delete(`${d.callId}|${d.localTag}`);
  }

  private terminate(d: Dialog): void {
    d.state = 'terminated';
    this.clearPending(d);
    this.dialogs.delete(`${d.callId}|${d.localTag}`);
  }

  /** Ends a dialog from our side: BYE with a Q.850 Reason; resolves when answered or given up. */
  bye(dialogId: string, reason: string): Promise<void> {
    const d = [...this.dialogs.values()].find((x) => x.id === dialogId);
    if (!d || d.state === 'terminated') return Promise.resolve();
    this.terminate(d);
    const branch = generateBranch();
    const headers: SipHeader[] = [
      header('Via', `SIP/2.0/UDP ${this.host}:${this.port};branch=${branch};rport`),
      header('Max-Forwards', '70'),
      header('From', d.localNameAddr),
      header('To', d.remoteNameAddr),
      header('Call-ID', d.callId),
      header('CSeq', `${++d.localCseq} BYE`),
      ...d.routes.map((r) => header('Route', r)),
      header('User-Agent', this.opts.userAgent),
      header('Reason', reason),
    ];
    const req: SipRequest = {
      kind: 'request',
      method: 'BYE',
      uri: d.targetUri,
      version: 'SIP/2.0',
      headers,
      body: Buffer.alloc(0),
    };
    const bytes = serializeSipMessage(req);
    // With a route set the BYE goes to the first route, else to the remote target.
    const next =
      (d.routes[0] ? peerOf(parseNameAddr(d.routes[0])?.parsedUri) : undefined) ?? d.target;
    return new Promise((resolve) => {
      let interval = this.opts.timers.t1Ms;
      let elapsed = 0;
      const tick = (): void => {
        elapsed += interval;
        if (elapsed >= 64 * this.opts.timers.t1Ms) {
          this.opts.log.warn({ callId: d.callId }, 'SIP: BYE not answered');
          txn.done();
          return;
        }
        this.send(bytes, next);
        interval = Math.min(interval * 2, this.opts.timers.t2Ms);
        txn.timer = setTimeout(tick, interval);
      };
      const txn: ByeTxn = {
        timer: setTimeout(tick, interval),
        done: () => {
          clearTimeout(txn.timer);
          this.byes.delete(branch);
          this.liveTimers--;
          resolve();
        },
      };
      this.liveTimers++;
      this.byes.set(branch, txn);
      this.send(bytes, next);
    });
  }

  private response(res: SipResponse): void {
    const branch = topVia(res)?.branch;
    if (!branch || res.status < 200) return;
    this.byes.get(branch)?.done();
  }

  private reply(
    req: SipRequest | { method: string; uri: string; headers: SipHeader[] },
    peer: Peer,
    status: number,
    reason: string,
    extra: SipHeader[] = [],
  ): void {
    this.send(serializeSipMessage(buildResponse(req, status, reason, extra)), peer);
  }
}

const ALLOW = 'INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE';

function peerOf(uri: ParsedUri | undefined): Peer | undefined {
  if (!uri?.host) return undefined;
  return { address: uri.host.replace(/^\[|\]$/g, ''), port: uri.port ?? 5060 };
}

function bodyText(m: SipRequest): string | undefined {
  if (m.body.length === 0) return undefined;
  return m.body.toString('utf8');
}
