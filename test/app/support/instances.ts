/**
 * Several product processes on one Postgres database, all connected to one
 * embedded SIP server started by the test (which, like drachtio-server,
 * hands a new request to one of the apps that routed its method, so only the
 * leader gets calls). Each instance is a child process (child-product.ts),
 * so a test can kill one with SIGKILL.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { type EmbeddedSipServer, type SipTimers, startSipServer } from '../../../src/edge/index.ts';
import { openPostgres, type SqlParam } from '../../../src/store/index.ts';
import { freePort } from '../../support/ports.ts';
import { startPostgres, type TestPostgres } from '../../support/postgres.ts';
import { assertSippPassed, runSipp, type SippProcess } from '../../support/sipp.ts';
import { type ChildProduct, startChildProduct } from './child-product.ts';
import { newDataDir, removeDataDirs } from './product.ts';

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

export interface InstancesFixture {
  /** The throwaway Postgres server of the test file. */
  readonly pg: TestPostgres;
  /** The shared SIP server of the test file. */
  readonly sip: EmbeddedSipServer;
  /** Instances started by the current test: killed after it. */
  readonly children: ChildProduct[];
  /** sipps started by the current test: stopped after it. */
  readonly sipps: SippProcess[];
}

/**
 * The hooks of a test file whose tests run instances: one Postgres server
 * and one shared SIP server for the file; after each test its sipps are
 * stopped and its instances killed.
 */
export function instancesFixture(secret: string, timers: SipTimers = {}): InstancesFixture {
  let pg: TestPostgres | undefined;
  let sip: EmbeddedSipServer | undefined;
  const children: ChildProduct[] = [];
  const sipps: SippProcess[] = [];
  beforeAll(async () => {
    pg = await startPostgres();
    sip = await startSharedSipServer(secret, timers);
  });
  afterEach(async () => {
    await Promise.all(sipps.splice(0).map((s) => s.stop()));
    await Promise.all(children.splice(0).map((c) => c.kill()));
  });
  afterAll(async () => {
    await sip?.close();
    await pg?.stop();
    await removeDataDirs();
  });
  const started = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`${what} is not started (beforeAll has not run)`);
    return v;
  };
  return {
    get pg() {
      return started(pg, 'the Postgres server');
    },
    get sip() {
      return started(sip, 'the SIP server');
    },
    children,
    sipps,
  };
}

/** An agent's softphone (sipp) registers from `localPort` through the shared SIP server (the leader takes it). */
export async function registerSoftphone(
  sip: EmbeddedSipServer,
  localPort: number,
  account: { sipUsername: string; password: string },
): Promise<void> {
  assertSippPassed(
    await runSipp({
      scenario: path.join(
        path.dirname(fileURLToPath(import.meta.url)),
        '../scenarios/agent-register.xml',
      ),
      localPort,
      remote: sip.sipAddresses[0] as { host: string; port: number },
      service: account.sipUsername,
      extraArgs: ['-au', account.sipUsername, '-ap', account.password],
      timeoutSeconds: 15,
    }),
    'REGISTER',
  );
}
