/**
 * The SIP edge: the embedded SIP server (src/edge) speaking drachtio's wire
 * protocol on the control port, unless `drachtio.host` names a real
 * drachtio-server, in which case nothing starts and only its address is known.
 *
 * Embedded mode listens on `sip.host:sip.port` for each of `sip.transports`
 * (UDP and TCP share the port) and on 127.0.0.1:`drachtio.port` for the app;
 * with no configured secret it makes a random one (only this process uses it).
 * The server runs on a worker thread of its own (src/edge/thread) unless
 * `sip.workerThread` is false.
 */
import { randomBytes } from 'node:crypto';
import { type EmbeddedSipServer, type SipListen, startSipServer } from '../../edge/index.ts';
import { startSipServerThread } from '../../edge/thread/sip-edge-thread.ts';
import type { Config } from '../settings/config.ts';
import type { Logger } from '../runtime/logger.ts';

/** Where drachtio-srf connects. */
export interface DrachtioAddress {
  host: string;
  port: number;
  secret: string;
}

export interface SipEdge {
  address: DrachtioAddress;
  /** The embedded server; null with an external drachtio-server. */
  server: EmbeddedSipServer | null;
  /** Safe to call more than once. */
  close(): Promise<void>;
}

export async function startSipEdge(config: Config, logger: Logger): Promise<SipEdge> {
  if (config.drachtio.host !== null) {
    // A real drachtio-server owns SIP; the schema requires its secret.
    logger.info(
      { host: config.drachtio.host, port: config.drachtio.port },
      'SIP: using an external drachtio-server',
    );
    return {
      address: {
        host: config.drachtio.host,
        port: config.drachtio.port,
        secret: config.drachtio.secret ?? '',
      },
      server: null,
      close: async () => {},
    };
  }
  const listen: SipListen[] = config.sip.transports.map((protocol) => ({
    protocol,
    host: config.sip.host,
    port: config.sip.port,
  }));
  const secret = config.drachtio.secret ?? randomBytes(24).toString('base64url');
  const options = {
    listen,
    control: { host: '127.0.0.1', port: config.drachtio.port },
    secret,
    // The takeover's hold of callbacks counts on the same Timer C (lost-dial-outs.ts).
    timers: { timerCMs: config.sip.timerCS * 1000 },
  };
  const sipLog = logger.child({ component: 'sip' });
  const server = config.sip.workerThread
    ? await startSipServerThread(options, sipLog, {
        realtimePriority: config.sip.realtimePriority,
      })
    : await startSipServer({ ...options, logger: sipLog });
  logger.info(
    { sip: server.sipAddresses, control: server.controlAddress },
    'embedded SIP server listening',
  );
  let closed: Promise<void> | null = null;
  return {
    address: { host: server.controlAddress.host, port: server.controlAddress.port, secret },
    server,
    close() {
      closed ??= server.close();
      return closed;
    },
  };
}
