/**
 * Test harness: an embedded server on ephemeral ports with small timers, a
 * drachtio-srf app connected to it, and raw UDP peers. Everything opened is
 * released in `cleanup()` (call it from afterEach).
 */
import Srf from 'drachtio-srf';
import { type EmbeddedSipServer, type SipTimers, startSipServer } from '../../../src/edge/index.ts';
import { UdpPeer } from './peer.ts';

export type Handler = (req: SrfReq, res: SrfRes) => void;
export interface SrfReq {
  method: string;
  get(name: string): string;
  on(event: string, cb: (...args: unknown[]) => void): void;
  receivedOn?: string;
  stackTxnId: string;
  body: string;
}
export interface SrfRes {
  send(
    status: number,
    opts?: { headers?: Record<string, string>; body?: string },
    cb?: (err: unknown, msg: unknown) => void,
  ): void;
}
export interface SentReq {
  stackTxnId: string;
  get(name: string): string;
  cancel(opts?: { headers?: Record<string, string> }, cb?: (err: unknown) => void): void;
  on(event: 'response', cb: (res: { status: number; get(n: string): string }) => void): void;
}
export interface DialogLike {
  id: string;
  sip: { callId: string; localTag: string; remoteTag: string };
  local: { uri: string; sdp: string; contact: string };
  remote: { uri: string; sdp: string };
  on(event: string, cb: (...args: unknown[]) => void): void;
  destroy(opts?: unknown): Promise<unknown>;
  modify(sdp: string): Promise<unknown>;
  request(opts: {
    method: string;
    headers?: Record<string, string>;
    body?: string;
  }): Promise<{ status: number }>;
}
export interface SrfLike {
  connect(opts: { host: string; port: number; secret: string }): void;
  disconnect(): void;
  on(event: string, cb: (...args: never[]) => void): void;
  invite(h: Handler): void;
  register(h: Handler): void;
  options(h: Handler): void;
  request(
    uri: string,
    opts: { method: string; headers?: Record<string, string>; body?: string },
    cb: (err: unknown, req: SentReq) => void,
  ): void;
  createUAS(
    req: SrfReq,
    res: SrfRes,
    opts: { localSdp?: string; headers?: Record<string, string> },
  ): Promise<DialogLike>;
  createUAC(
    uri: string,
    opts: {
      localSdp?: string;
      headers?: Record<string, string>;
      callingNumber?: string;
      auth?: { username: string; password: string };
    },
    progress?: {
      cbRequest?: (err: unknown, req: SentReq) => void;
      cbProvisional?: (res: { status: number }) => void;
    },
  ): Promise<DialogLike>;
  createB2BUA(
    req: SrfReq,
    res: SrfRes,
    uri: string,
    opts: { localSdpB?: string },
  ): Promise<{ uas: DialogLike; uac: DialogLike }>;
}

export const SDP =
  'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';

const cleanups: Array<() => Promise<void> | void> = [];

export async function cleanup(): Promise<void> {
  for (const c of cleanups.splice(0).reverse()) {
    try {
      await c();
    } catch {
      // keep releasing the rest
    }
  }
}

export async function startServer(
  timers: SipTimers = { t1Ms: 50, t2Ms: 400, t4Ms: 500 },
  protocols: Array<'udp' | 'tcp'> = ['udp'],
): Promise<EmbeddedSipServer> {
  const server = await startSipServer({
    listen: protocols.map((protocol) => ({ protocol, host: '127.0.0.1', port: 0 })),
    control: { host: '127.0.0.1', port: 0 },
    secret: 'cymru',
    timers,
  });
  cleanups.push(() => server.close());
  return server;
}

export async function connectSrf(server: EmbeddedSipServer): Promise<SrfLike> {
  const srf = new (Srf as unknown as new () => SrfLike)();
  srf.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    srf.on('connect', ((err: Error | null) => (err ? reject(err) : resolve())) as (
      ...a: never[]
    ) => void);
    srf.connect({ ...server.controlAddress, secret: 'cymru' });
  });
  cleanups.push(() => srf.disconnect());
  return srf;
}

export async function openPeer(): Promise<UdpPeer> {
  const peer = await UdpPeer.open();
  cleanups.push(() => peer.close());
  return peer;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function sipPort(server: EmbeddedSipServer, protocol: 'udp' | 'tcp' = 'udp'): number {
  return server.sipAddresses.find((a) => a.protocol === protocol)?.port as number;
}

/** Waits until `pred` holds (polling), for leak checks after asynchronous clean-up. */
export async function eventually(pred: () => boolean, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(10);
  }
}
