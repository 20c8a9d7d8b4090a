/**
 * The product answering callers into the embedded media server (see
 * product.ts), and what the media end-to-end tests share around it: RTP
 * peers and sipp processes released after each test (`releaseMedia`), an
 * agent registered by sipp, a sipp caller dialling a DID, the check that
 * nothing of any call is left, and the ended call as the API logs it.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { encodeG711 } from '../../../src/media/audio/g711.ts';
import type { Db } from '../../../src/store/index.ts';
import { type Audio, readWav } from '../../support/audio.ts';
import { openMigratedPglite } from '../../support/pglite.ts';
import { freePort } from '../../support/ports.ts';
import { RtpPeer } from '../../support/rtp-peer.ts';
import {
  assertSippPassed,
  runSipp,
  type SippOptions,
  type SippProcess,
  type SippResult,
  startSipp,
} from '../../support/sipp.ts';
import { untilWithin } from '../../support/wait.ts';
import { type Product, startProduct } from './product.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const PROMPTS = path.resolve(here, '../../../media/prompts/en');

/** A sipp scenario of test/app/scenarios. */
export const scenario = (name: string): string => path.join(here, '..', 'scenarios', `${name}.xml`);
/** One of the product's English prompts, to find in what a peer heard. */
export const prompt = (name: string): Audio => readWav(path.join(PROMPTS, `${name}.wav`));

export function encodeMu(pcm: Int16Array): Uint8Array {
  const out = new Uint8Array(pcm.length);
  encodeG711('PCMU', pcm, out);
  return out;
}

export const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

export interface MediaProductOptions {
  /** Where the trunk sends outbound calls (mobiles, callback customers): a sipp on this port. */
  trunkPort?: number;
  /** Over the media settings below (e.g. `voicemailDir`, `timeoutS`). */
  media?: Record<string, unknown>;
  /** An opened database, or a PGlite folder; default a fresh in-memory PGlite. */
  store?: { db: Db } | { dataDir: string };
  sipPort?: number;
  /** The log level unless MEDIA_TEST_LOG says otherwise (default warn). */
  logLevel?: string;
  /** The start of the range the RTP ports are drawn from (default 32000). */
  rtpFrom?: number;
}

/**
 * The product with `media.callers: answer`, the embedded media server on
 * free ports, and 100 RTP ports drawn at random so that files running one
 * after the other do not wait for each other's ports.
 */
export async function startMediaProduct(o: MediaProductOptions = {}): Promise<Product> {
  const rtpBase = (o.rtpFrom ?? 32000) + 2 * Math.floor(Math.random() * 2000);
  return startProduct({
    sipPort: o.sipPort ?? (await freePort()),
    ...(o.store ?? { db: await openMigratedPglite() }),
    logLevel: process.env.MEDIA_TEST_LOG ?? o.logLevel ?? 'warn',
    overrides: {
      ...(o.trunkPort === undefined
        ? {}
        : { sip: { trunk: { outboundUri: `sip:127.0.0.1:${o.trunkPort}` } } }),
      media: {
        callers: 'answer',
        rtpPortMin: rtpBase,
        rtpPortMax: rtpBase + 99,
        embedded: { eslPort: 0, sipPort: 0 },
        ...o.media,
      },
    },
  });
}

const peers = new Set<RtpPeer>();
const sipps = new Set<SippProcess>();

/** An RTP socket on loopback, closed by `releaseMedia`. */
export async function rtpPeer(): Promise<RtpPeer> {
  const p = await RtpPeer.open();
  peers.add(p);
  return p;
}

/** A sipp in the background (agents, the trunk's far end), stopped by `releaseMedia`. */
export async function backgroundSipp(opts: SippOptions): Promise<SippProcess> {
  const s = await startSipp(opts);
  sipps.add(s);
  return s;
}

/** Stops the test's background sipps and closes its RTP peers (afterEach, before stopProducts). */
export async function releaseMedia(): Promise<void> {
  const running = [...sipps];
  sipps.clear();
  await Promise.all(running.map((s) => s.stop()));
  const open = [...peers];
  peers.clear();
  await Promise.all(open.map((p) => p.close()));
}

/** Forgets a background sipp the test stopped itself. */
export function forgetSipp(s: SippProcess): void {
  sipps.delete(s);
}

export interface AgentLogin {
  name: string;
  sipUsername: string;
  password: string;
  status: 'available' | 'away';
}

export const ALICE = {
  name: 'alice',
  sipUsername: '2001',
  password: 'pw-alice-secret',
} as const;
export const BOB = { name: 'bob', sipUsername: '2002', password: 'pw-bob-secret' } as const;

/**
 * An agent, member of `departmentId` with `priority`, whose softphone (sipp)
 * registers with digest from `port` (a free one unless given); its id.
 */
export async function registeredAgent(
  r: Product,
  departmentId: string,
  agent: AgentLogin,
  o: { priority?: number; port?: number } = {},
): Promise<string> {
  const a = await r.api<{ id: string }>('POST', '/agents', agent);
  await r.api('POST', '/memberships', {
    agentId: a.id,
    departmentId,
    priority: o.priority ?? 1,
  });
  assertSippPassed(
    await runSipp({
      scenario: scenario('agent-register'),
      localPort: o.port ?? (await freePort()),
      remote: { host: '127.0.0.1', port: r.sipPort },
      service: agent.sipUsername,
      extraArgs: ['-au', agent.sipUsername, '-ap', agent.password],
      timeoutSeconds: 15,
    }),
    'REGISTER',
  );
  return a.id;
}

export interface CallerOptions {
  /** The scenario (default media-caller-wait-bye). */
  scenario?: string;
  /** Its RTP socket: announced in the SDP as `[rtp_port]`. */
  peer: RtpPeer;
  keys?: Record<string, string>;
  timeoutSeconds?: number;
  extraArgs?: string[];
}

/**
 * A sipp caller dialling `did` from a free port. The result is checked
 * where the test awaits it; a failure before that is reported there, not as
 * an unhandled rejection.
 */
export function dial(r: Product, did: string, o: CallerOptions): Promise<SippResult> {
  const run = (async () =>
    runSipp({
      scenario: scenario(o.scenario ?? 'media-caller-wait-bye'),
      localPort: await freePort(),
      remote: { host: '127.0.0.1', port: r.sipPort },
      service: did.slice(1),
      keys: { rtp_port: String(o.peer.port), ...o.keys },
      timeoutSeconds: o.timeoutSeconds ?? 60,
      ...(o.extraArgs ? { extraArgs: o.extraArgs } : {}),
    }))();
  run.catch(() => {});
  return run;
}

const until = untilWithin(30_000);

/**
 * Nothing of any call is left: sessions and ring attempts, call control's
 * endpoints, the media server's channels, outbound event-socket
 * connections, RTP ports and SIP dialogs, the SIP server's dialogs; fsmrf's
 * one inbound event-socket connection stays.
 */
export async function expectMediaIdle(r: Product): Promise<void> {
  const rt = r.telephony.calls;
  await rt.callControl.settled();
  await until('media released', () => {
    const c = r.telephony.media?.embedded?.counts();
    return rt.media?.openEndpoints === 0 && c?.channels === 0 && c?.eslOutbound === 0;
  });
  const counts = r.telephony.media?.embedded?.counts();
  expect(counts).toMatchObject({ channels: 0, eslOutbound: 0, rtpPorts: 0, sipDialogs: 0 });
  expect(counts?.eslInbound).toBe(1);
  expect(rt.callControl.sessions.size).toBe(0);
  expect(rt.callControl.attempts.size).toBe(0);
  await until('SIP dialogs gone', () => (r.telephony.edge?.stats().dialogs ?? 0) === 0, 5000);
}

/** The first call the API lists as ended: its id and outcome. */
export async function endedCall(r: Product): Promise<{ id: string; outcome: string }> {
  let found: { id: string; outcome: string } | undefined;
  await until('the call logged as ended', async () => {
    const page = await r.api<{ items: Array<{ id: string; outcome: string | null }> }>(
      'GET',
      '/calls',
    );
    const c = page.items.find((x) => x.outcome !== null);
    if (c) found = { id: c.id, outcome: c.outcome as string };
    return c !== undefined;
  });
  return found as { id: string; outcome: string };
}
