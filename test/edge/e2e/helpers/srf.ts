/**
 * drachtio-srf apps as the other side of the SIP end-to-end tests.
 *
 * srf's bundled typings lag its code (no `register`/`options` handlers, no
 * static `SipMessage`, `Dialog.destroy` really returns a Promise, `request`
 * takes `(uri, opts)`), so the few calls the suite makes are typed here once.
 */
import Srf from 'drachtio-srf';
import type { DrachtioAddress } from '../../../support/sip-target.ts';

export type SrfRequest = Srf.SrfRequest;
export type SrfResponse = Srf.SrfResponse;
export type Dialog = Srf.Dialog;
type Handler = (req: SrfRequest, res: SrfResponse) => void;

export interface RequestOptions {
  method: string;
  headers?: Record<string, string>;
  body?: string;
  proxy?: string;
  auth?: { username: string; password: string };
}

export interface SentRequest {
  stackTxnId?: string;
  msg: Srf.SipMessage;
  get(name: string): string;
  on(event: 'response', cb: (res: SrfResponse) => void): void;
  cancel(opts?: { headers?: Record<string, string> }, cb?: (err: unknown) => void): void;
}

interface UacProgress {
  cbRequest?: (err: unknown, req: SentRequest) => void;
  cbProvisional?: (res: SrfResponse) => void;
}

export interface UacOptions {
  headers?: Record<string, string>;
  localSdp?: string;
  proxy?: string;
  noAck?: boolean;
  callingNumber?: string;
  auth?: { username: string; password: string };
}

/** The srf calls the suite uses, with the signatures the 5.0.29 code actually has. */
interface SrfRuntime {
  connect(opts: DrachtioAddress & { enablePing?: boolean; pingInterval?: number }): void;
  disconnect(): void;
  on(event: 'connect', cb: (err: Error | null, hostport: string, version?: string) => void): void;
  on(event: 'error', cb: (err: Error) => void): void;
  on(event: 'disconnect', cb: () => void): void;
  invite(h: Handler): void;
  register(h: Handler): void;
  options(h: Handler): void;
  message(h: Handler): void;
  info(h: Handler): void;
  use(method: string, h: (req: SrfRequest, res: SrfResponse, next: () => void) => void): void;
  request(uri: string, opts: RequestOptions, cb: (err: unknown, req: SentRequest) => void): void;
  createUAS(
    req: SrfRequest,
    res: SrfResponse,
    opts: { localSdp?: string | (() => Promise<string>); headers?: Record<string, string> },
  ): Promise<Dialog>;
  createUAC(uri: string, opts: UacOptions, progress?: UacProgress): Promise<Dialog>;
  createB2BUA(
    req: SrfRequest,
    res: SrfResponse,
    uri: string,
    opts: Record<string, unknown>,
    progress?: UacProgress,
  ): Promise<{ uas: Dialog; uac: Dialog }>;
  findDialogByCallIDAndFromTag(callId: string, tag: string): Dialog | undefined;
  findDialogById(id: string): Dialog | undefined;
}

/** srf's own parser, the oracle for every SIP text the server hands the app (drachtio-wire §10.2). */
export interface OracleMessage {
  method?: string;
  uri?: string;
  status?: number;
  reason?: string;
  body: string;
  headers: Record<string, string>;
  get(name: string): string | undefined;
  has(name: string): boolean;
  getParsedHeader(name: string): unknown;
}

const SipMessageCtor = (Srf as unknown as { SipMessage: new (text: string) => OracleMessage })
  .SipMessage;

export function oracleParse(text: string): OracleMessage {
  return new SipMessageCtor(text);
}

/** Tag parameter of a From/To value. */
export function tagOf(headerValue: string | undefined): string | undefined {
  return /;\s*tag=([^;>\s]+)/i.exec(headerValue ?? '')?.[1];
}

export class SrfApp {
  readonly srf: SrfRuntime;
  hostport = '';
  version = '';
  readonly errors: Error[] = [];
  private closed = false;

  private constructor() {
    this.srf = new Srf() as unknown as SrfRuntime;
    this.srf.on('error', (err) => this.errors.push(err));
  }

  /** Connects and resolves on srf's `connect` event (rejects on a refused secret). */
  static async connect(
    addr: DrachtioAddress,
    extra: { enablePing?: boolean; pingInterval?: number } = {},
  ): Promise<SrfApp> {
    const app = new SrfApp();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('srf did not connect within 5 s')), 5000);
      app.srf.on('connect', (err, hostport, version) => {
        clearTimeout(timer);
        if (err) return reject(err);
        app.hostport = hostport;
        app.version = version ?? '';
        resolve();
      });
      app.srf.connect({ ...addr, ...extra });
    }).catch((err: unknown) => {
      app.close();
      throw err;
    });
    return app;
  }

  /** Sends an out-of-dialog request; resolves with the final response. */
  requestFinal(uri: string, opts: RequestOptions): Promise<SrfResponse> {
    return new Promise((resolve, reject) => {
      this.srf.request(uri, opts, (err, req) => {
        if (err) return reject(err);
        req.on('response', (res) => {
          if (res.status >= 200) resolve(res);
        });
      });
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.srf.disconnect();
  }
}

/** Dialog.destroy returns a Promise in srf 5 (typings say void). */
export function destroyDialog(d: Dialog, headers?: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    d.destroy(headers ? { headers } : undefined, (err: unknown) => (err ? reject(err) : resolve()));
  });
}

/** Resolves when the dialog emits `destroy`, with srf's reason. */
export function onceDestroyed(d: Dialog): Promise<{ reason?: string; msg: SrfRequest }> {
  return new Promise((resolve) => {
    (
      d as unknown as { once(e: 'destroy', cb: (msg: SrfRequest, reason?: string) => void): void }
    ).once('destroy', (msg, reason) => resolve({ msg, reason }));
  });
}

/** A small SDP offer/answer for the apps. */
export function sdp(port = 40000, session = 'srf'): string {
  return [
    'v=0',
    `o=${session} 1 1 IN IP4 127.0.0.1`,
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio ${port} RTP/AVP 0`,
    'a=rtpmap:0 PCMU/8000',
    '',
  ].join('\r\n');
}
