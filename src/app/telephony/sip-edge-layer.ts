/**
 * The SIP edge: the embedded SIP server (src/edge) speaking drachtio's wire
 * protocol on the control port, unless `drachtio.host` names a real
 * drachtio-server, in which case this layer only records where to connect.
 *
 * Embedded mode listens on `sip.host:sip.port` for each of `sip.transports`
 * (UDP and TCP share the port) and on 127.0.0.1:`drachtio.port` for the app;
 * with no configured secret it makes a random one (only this process uses it).
 * The server runs on a worker thread of its own (sip-edge-thread.ts) unless
 * the wiring options say otherwise.
 */
import { randomBytes } from 'node:crypto';
import { type SipListen, startSipServer } from '../../edge/index.ts';
import { startSipServerThread } from '../../edge/thread/sip-edge-thread.ts';
import type { LayerContext, LayerStarter, RunningLayer } from '../start-app.ts';
import type { TelephonyWiring } from './wiring.ts';

export function sipEdgeLayer(wiring: TelephonyWiring): LayerStarter {
  return async (ctx: LayerContext): Promise<RunningLayer> => {
    const { config, logger } = ctx;
    if (config.drachtio.host !== null) {
      // A real drachtio-server owns SIP; the schema requires its secret.
      wiring.drachtio = {
        host: config.drachtio.host,
        port: config.drachtio.port,
        secret: config.drachtio.secret ?? '',
      };
      logger.info(
        { host: config.drachtio.host, port: config.drachtio.port },
        'SIP: using an external drachtio-server',
      );
      return { name: 'sip-edge', close: async () => {} };
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
      ...(wiring.options.sipTimers ? { timers: wiring.options.sipTimers } : {}),
    };
    const sipLog = logger.child({ component: 'sip' });
    const server =
      wiring.options.sipThread === false
        ? await startSipServer({ ...options, logger: sipLog })
        : await startSipServerThread(options, sipLog, {
            realtimePriority: config.sip.realtimePriority,
          });
    wiring.edge = server;
    wiring.drachtio = {
      host: server.controlAddress.host,
      port: server.controlAddress.port,
      secret,
    };
    logger.info(
      { sip: server.sipAddresses, control: server.controlAddress },
      'embedded SIP server listening',
    );
    let closed: Promise<void> | null = null;
    return {
      name: 'sip-edge',
      close() {
        closed ??= server.close();
        return closed;
      },
    };
  };
}
