/**
 * Media for queued callers: drachtio-fsmrf connected to a media server.
 *
 * - `media.callers = 'ringback'`: nothing starts; callers hear a 180 until an agent answers.
 * - `media.freeswitch.host` set: fsmrf connects to that FreeSWITCH's event socket.
 * - otherwise the embedded media server (src/media) starts on loopback with
 *   a fresh password, and fsmrf connects to it exactly as to FreeSWITCH.
 *
 * A lost event-socket connection is retried by fsmrf's ESL client (modesl)
 * by itself; meanwhile new endpoints fail at once and call control gives new
 * callers ringback instead (see src/calls/media/media-caller.ts).
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { asMediaServer, type MrfMediaServer } from '../../calls/media/mrf-types.ts';
import { type EmbeddedMediaServer, startMediaServer } from '../../media/index.ts';
import type { Config } from '../settings/config.ts';
import type { Logger } from '../runtime/logger.ts';

/** drachtio-fsmrf ships no typings: the constructor and `connect` as used here. */
interface MrfLike {
  connect(opts: {
    address: string;
    port: number;
    secret: string;
    listenAddress?: string;
  }): Promise<unknown>;
}
const Mrf = createRequire(import.meta.url)('drachtio-fsmrf') as new (srf: unknown) => MrfLike;

/** The parts of fsmrf's MediaServer the app uses beyond call control's. */
interface ConnectedMediaServer {
  on(event: 'end' | 'connect' | 'error', cb: (err?: Error) => void): unknown;
  disconnect(): void;
}

export interface MediaConnection {
  /** The connected media server (null while its connection is down). */
  server(): MrfMediaServer | null;
  /** The embedded media server, when it runs in this process (leak checks). */
  embedded: EmbeddedMediaServer | null;
  /** /readyz: null while connected. */
  ready(): Promise<string | null>;
  close(): Promise<void>;
}

/** Null with `media.callers = 'ringback'`: nothing to connect. */
export async function connectMedia(
  config: Config,
  srf: unknown,
  logger: Logger,
): Promise<MediaConnection | null> {
  const log = logger.child({ component: 'media' });
  if (config.media.callers === 'ringback') return null;
  let embedded: EmbeddedMediaServer | null = null;
  let address: { host: string; port: number; secret: string };
  const fs = config.media.freeswitch;
  if (fs.host !== null) {
    address = { host: fs.host, port: fs.port, secret: fs.secret ?? 'ClueCon' };
  } else {
    const e = config.media.embedded;
    const secret = e.password ?? randomBytes(18).toString('base64url');
    embedded = await startMediaServer({
      esl: { host: e.host, port: e.eslPort },
      password: secret,
      sip: { host: e.host, port: e.sipPort },
      rtp: { host: e.host, min: config.media.rtpPortMin, max: config.media.rtpPortMax },
      soundDir: e.soundDir,
      recordDir: e.recordDir,
      logger: log,
    });
    address = { ...embedded.eslAddress, secret };
  }
  let ms: (MrfMediaServer & ConnectedMediaServer) | null = null;
  try {
    const mrf = new Mrf(srf);
    const connected = (await mrf.connect({
      address: address.host,
      port: address.port,
      secret: address.secret,
      // fsmrf's own default is the host's first LAN address; the embedded server is on loopback.
      ...(embedded ? { listenAddress: config.media.embedded.host } : {}),
    })) as unknown;
    ms = asMediaServer(connected) as MrfMediaServer & ConnectedMediaServer;
  } catch (err) {
    await embedded?.close();
    throw new Error(
      `no media server at ${address.host}:${address.port}: ${(err as Error).message ?? err}`,
    );
  }
  let up = true;
  let closing = false;
  ms.on('end', () => {
    up = false;
    if (!closing) log.warn('media server connection lost; reconnecting (callers get ringback)');
  });
  ms.on('connect', () => {
    if (!up) log.info('media server connection restored');
    up = true;
  });
  ms.on('error', (err) => {
    if (!closing) log.warn({ err: err?.message }, 'media server error');
  });
  const server = ms;
  log.info(
    { address: `${address.host}:${address.port}`, embedded: embedded !== null },
    'media server connected',
  );
  return {
    server: () => (up ? server : null),
    embedded,
    ready: async () => (up ? null : 'media server not connected'),
    async close() {
      closing = true;
      server.disconnect();
      await embedded?.close();
    },
  };
}
