/**
 * drachtio-srf connected to the SIP server (embedded or a real
 * drachtio-server). srf reconnects by itself after a lost connection (with
 * back-off); this layer waits for the first connection at start, reports the
 * connection state to /readyz and logs losses and recoveries.
 */
import Srf from 'drachtio-srf';
import type { Logger } from '../runtime/logger.ts';
import type { DrachtioAddress } from './sip-edge.ts';

/** The parts of srf the app uses (srf's bundled typings lag its code). */
export interface ConnectedSrf {
  connect(opts: { host: string; port: number; secret: string }): void;
  disconnect(): void;
  on(event: 'connect', cb: (err: Error | null, hostport?: string) => void): void;
  on(event: 'error', cb: (err: Error) => void): void;
  on(event: 'close' | 'reconnecting', cb: (info?: unknown) => void): void;
  register(handler: (req: unknown, res: unknown) => void): void;
  options(handler: (req: unknown, res: unknown) => void): void;
}

const FIRST_CONNECT_TIMEOUT_MS = 15_000;

export interface SrfConnection {
  srf: ConnectedSrf;
  /** /readyz: null while connected. */
  ready(): Promise<string | null>;
  close(): Promise<void>;
}

export async function connectSrf(addr: DrachtioAddress, logger: Logger): Promise<SrfConnection> {
  const srf = new Srf() as unknown as ConnectedSrf;
  let connected = false;
  let everConnected = false;
  let closing = false;
  // srf throws on an unhandled 'error' event; connection errors are retried by srf itself.
  srf.on('error', (err) => {
    if (!closing) logger.warn({ err: err.message }, 'SIP server connection error');
  });
  srf.on('close', () => {
    if (connected && !closing) logger.warn('SIP server connection lost; reconnecting');
    connected = false;
  });
  const first = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new Error(
            `no connection to the SIP server at ${addr.host}:${addr.port} within ${FIRST_CONNECT_TIMEOUT_MS / 1000} s`,
          ),
        ),
      FIRST_CONNECT_TIMEOUT_MS,
    );
    srf.on('connect', (err, hostport) => {
      if (err) {
        logger.error({ err: err.message }, 'SIP server refused the connection');
        if (!everConnected) {
          clearTimeout(timer);
          reject(err);
        }
        return;
      }
      connected = true;
      if (everConnected) logger.info({ hostport }, 'SIP server connection restored');
      else logger.info({ hostport }, 'connected to the SIP server');
      everConnected = true;
      clearTimeout(timer);
      resolve();
    });
  });
  srf.connect({ host: addr.host, port: addr.port, secret: addr.secret });
  const disconnect = () => {
    closing = true;
    try {
      srf.disconnect();
    } catch {
      // srf asserts when its socket is already gone.
    }
  };
  try {
    await first;
  } catch (err) {
    disconnect();
    throw err;
  }
  let closed = false;
  return {
    srf,
    ready: async () => (connected ? null : 'no connection to the SIP server'),
    async close() {
      if (closed) return;
      closed = true;
      disconnect();
    },
  };
}
