/**
 * Several product processes on one Postgres database, all connected to one
 * embedded SIP server started by the test (which, like drachtio-server,
 * hands a new request to one of the apps that routed its method, so only the
 * leader gets calls). Each instance is a child process (child-product.ts),
 * so a test can kill one with SIGKILL.
 */
import { type EmbeddedSipServer, type SipTimers, startSipServer } from '../../../src/edge/index.ts';
import { openPostgres, type SqlParam } from '../../../src/store/index.ts';
import { freePort } from '../../support/ports.ts';
import { type ChildProduct, startChildProduct } from './child-product.ts';
import { newDataDir } from './product.ts';

/**
 * The shared SIP server on loopback (UDP), with `secret` for the apps'
 * connections and `timers` (e.g. a short Timer C; the instances are then
 * told the same, `ACD_SIP_TIMER_C_S`, as they would be drachtio-server's).
 */
export async function startSharedSipServer(
  secret: string,
  timers: SipTimers = {},
): Promise<EmbeddedSipServer> {
  return startSipServer({
    listen: [{ protocol: 'udp', host: '127.0.0.1', port: await freePort() }],
    control: { host: '127.0.0.1', port: 0 },
    secret,
    timers,
  });
}

export interface InstanceOptions {
  /** The instance's name (`calls.routed_by`, the lease's holder). */
  id: string;
  databaseUrl: string;
  sip: EmbeddedSipServer;
  secret: string;
  /** Where the trunk's outbound calls go (a sipp UAS). */
  trunkPort: number;
  /** More environment for this instance. */
  env?: Record<string, string>;
}

/**
 * One instance with a short routing lease (1.5 s, renewed every 250 ms), so
 * a standby takes over well within 5 s of the leader's death.
 */
export async function startInstance(o: InstanceOptions): Promise<ChildProduct> {
  return startChildProduct({
    dataDir: await newDataDir(),
    sipPort: await freePort(),
    env: {
      DATABASE_URL: o.databaseUrl,
      ACD_INSTANCE_ID: o.id,
      ACD_LEADER_LEASE_MS: '1500',
      ACD_LEADER_RENEW_MS: '250',
      ACD_DRACHTIO_HOST: '127.0.0.1',
      ACD_DRACHTIO_PORT: String(o.sip.controlAddress.port),
      ACD_DRACHTIO_SECRET: o.secret,
      ACD_TRUNK_URI: `sip:127.0.0.1:${o.trunkPort}`,
      ...o.env,
    },
  });
}

/** One query on its own connection. */
export async function sqlOnce<R>(
  url: string,
  text: string,
  params?: readonly SqlParam[],
): Promise<R[]> {
  const db = openPostgres(url);
  try {
    return (await db.query<R>(text, params)).rows;
  } finally {
    await db.close();
  }
}
