/**
 * Every port the configuration asks for, checked before anything starts, so
 * that a port in use stops the start with one message that names each busy
 * port and the setting that moves it, instead of failing half-way after the
 * database was opened. Each port is bound and released at once.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { Config } from '../settings/config.ts';
import { ENV_OVERRIDES } from '../settings/env-overrides.ts';
import { StartupError } from './startup-error.ts';

export interface PortClaim {
  /** What listens there, e.g. "admin API". */
  what: string;
  protocol: 'tcp' | 'udp';
  host: string;
  port: number;
  /** The configuration key that sets the port, e.g. "http.port". */
  key: string;
}

/** The ports `npm start` will listen on with this configuration (port 0 = any free one: not checked). */
export function portsToCheck(config: Config): PortClaim[] {
  const claims: PortClaim[] = [
    {
      what: 'admin API',
      protocol: 'tcp',
      host: config.http.host,
      port: config.http.port,
      key: 'http.port',
    },
  ];
  // With a real drachtio-server the SIP and control ports are that server's.
  if (config.drachtio.host === null) {
    for (const protocol of config.sip.transports) {
      claims.push({
        what: 'SIP',
        protocol,
        host: config.sip.host,
        port: config.sip.port,
        key: 'sip.port',
      });
    }
    claims.push({
      what: 'SIP server control (drachtio protocol)',
      protocol: 'tcp',
      host: '127.0.0.1',
      port: config.drachtio.port,
      key: 'drachtio.port',
    });
  }
  return claims.filter((c) => c.port !== 0);
}

/** Null when the port can be bound, else the error code (EADDRINUSE, EACCES, ...). */
function tryBind(claim: PortClaim): Promise<string | null> {
  return new Promise((resolve) => {
    if (claim.protocol === 'tcp') {
      const server = net.createServer();
      server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
      server.listen({ host: claim.host, port: claim.port, exclusive: true }, () =>
        server.close(() => resolve(null)),
      );
      return;
    }
    const socket = dgram.createSocket(net.isIPv6(claim.host) ? 'udp6' : 'udp4');
    socket.once('error', (err: NodeJS.ErrnoException) => {
      socket.close();
      resolve(err.code ?? err.message);
    });
    socket.bind({ address: claim.host, port: claim.port, exclusive: true }, () =>
      socket.close(() => resolve(null)),
    );
  });
}

function settingName(key: string): string {
  const env = ENV_OVERRIDES.find((o) => o.key === key)?.env;
  return env === undefined ? key : `${env} (${key})`;
}

function describeProblem(claim: PortClaim, code: string): string {
  const where = `${claim.what} port ${claim.port}/${claim.protocol} on ${claim.host}`;
  const reason =
    code === 'EADDRINUSE'
      ? 'is in use (another program, or another open-acd)'
      : code === 'EACCES'
        ? 'may not be used by this process (ports below 1024 need privileges)'
        : code === 'EADDRNOTAVAIL'
          ? 'cannot be bound: the address is not one of this machine'
          : `cannot be bound (${code})`;
  return `${where} ${reason}: set ${settingName(claim.key)} to a free port`;
}

/** Throws a StartupError listing every port that cannot be bound. */
export async function checkPorts(claims: readonly PortClaim[]): Promise<void> {
  const results = await Promise.all(claims.map(async (c) => ({ c, code: await tryBind(c) })));
  const problems = results
    .filter((r) => r.code !== null)
    .map((r) => describeProblem(r.c, r.code as string));
  if (problems.length > 0) {
    throw new StartupError(`cannot start:\n  ${problems.join('\n  ')}`);
  }
}
