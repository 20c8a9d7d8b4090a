/**
 * The system under test for the SIP end-to-end suite, chosen by configuration.
 *
 * By default the embedded server (src/edge) is started on free loopback ports
 * with a random secret. When DRACHTIO_HOST, DRACHTIO_PORT, DRACHTIO_SECRET and
 * DRACHTIO_SIP_ADDRESS are all set, the suite runs against that real
 * drachtio-server instead; it then has no counters (`stats` is undefined) and
 * its timers are drachtio's defaults (T1 = 500 ms), so time-based tests wait
 * longer. Tests branch on `target.stats`; they never skip.
 */
import { randomBytes } from 'node:crypto';
import { freePorts } from './ports.ts';

export interface DrachtioAddress {
  host: string;
  port: number;
  secret: string;
}

/** Live counters of the embedded server (a subset of EdgeStats the suite relies on). */
export type TargetStats = Record<string, unknown>;

export interface SipTarget {
  kind: 'embedded' | 'external';
  sipHost: string;
  sipPort: number;
  /** Transports the SIP side listens on. */
  transports: Array<'udp' | 'tcp'>;
  drachtio: DrachtioAddress;
  /** Timers in effect, so tests can wait for 64×T1 and friends. */
  timers: { t1Ms: number; t2Ms: number; t4Ms: number; timerCMs: number };
  /** Embedded server only. */
  stats?: () => TargetStats;
  close(): Promise<void>;
}

export interface TargetOptions {
  t1Ms?: number;
  t2Ms?: number;
  t4Ms?: number;
  /** Timer C (ringing without final answer → CANCEL); drachtio's is 185 s. */
  timerCMs?: number;
}

/** Default small timers for the embedded server: 64×T1 = 3.2 s. */
export const FAST_TIMERS = { t1Ms: 50, t2Ms: 400, t4Ms: 500 } as const;

export function externalTargetConfigured(): boolean {
  const e = process.env;
  return Boolean(e.DRACHTIO_HOST && e.DRACHTIO_PORT && e.DRACHTIO_SECRET && e.DRACHTIO_SIP_ADDRESS);
}

function externalTarget(): SipTarget {
  const e = process.env;
  const sip = String(e.DRACHTIO_SIP_ADDRESS);
  const idx = sip.lastIndexOf(':');
  const sipHost = idx > 0 ? sip.slice(0, idx) : sip;
  const sipPort = idx > 0 ? Number(sip.slice(idx + 1)) : 5060;
  return {
    kind: 'external',
    sipHost,
    sipPort,
    transports: ['udp', 'tcp'],
    drachtio: {
      host: String(e.DRACHTIO_HOST),
      port: Number(e.DRACHTIO_PORT),
      secret: String(e.DRACHTIO_SECRET),
    },
    timers: { t1Ms: 500, t2Ms: 4000, t4Ms: 5000, timerCMs: 185_000 },
    close: async () => {},
  };
}

/** Starts (or points at) the server under test. */
export async function startSipTarget(opts: TargetOptions = {}): Promise<SipTarget> {
  if (externalTargetConfigured()) return externalTarget();
  // Loaded lazily so that the suite can run against a real drachtio-server
  // without touching the embedded server's code.
  const edge = await import('../../src/edge/index.ts');
  const [sipPort, controlPort] = await freePorts(2);
  const secret = randomBytes(12).toString('hex');
  const timers = {
    t1Ms: opts.t1Ms ?? FAST_TIMERS.t1Ms,
    t2Ms: opts.t2Ms ?? FAST_TIMERS.t2Ms,
    t4Ms: opts.t4Ms ?? FAST_TIMERS.t4Ms,
    timerCMs: opts.timerCMs ?? 185_000,
  };
  const server = await edge.startSipServer({
    listen: [
      { protocol: 'udp', host: '127.0.0.1', port: sipPort as number },
      { protocol: 'tcp', host: '127.0.0.1', port: sipPort as number },
    ],
    control: { host: '127.0.0.1', port: controlPort as number },
    secret,
    timers,
  });
  let closed = false;
  return {
    kind: 'embedded',
    sipHost: '127.0.0.1',
    sipPort: sipPort as number,
    transports: ['udp', 'tcp'],
    drachtio: { host: server.controlAddress.host, port: server.controlAddress.port, secret },
    timers,
    stats: () => ({ ...server.stats() }) as TargetStats,
    close: async () => {
      if (closed) return;
      closed = true;
      await server.close();
    },
  };
}

/** Reads a numeric counter from stats, accepting nested `{ live: … }` layouts. */
export function statNumber(stats: TargetStats, name: string): number {
  const v = stats[name];
  if (typeof v === 'number') return v;
  if (v && typeof v === 'object' && 'live' in v && typeof v.live === 'number') return v.live;
  throw new Error(`stats() has no numeric "${name}": ${JSON.stringify(stats)}`);
}
