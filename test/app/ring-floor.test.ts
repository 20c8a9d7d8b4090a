/**
 * One call must never be able to hang the product or hammer the trunk.
 *
 * With `retryDelayS: 0`, every ring failing at once (a mobile that may not be
 * rung, a trunk that rejects) used to start the next round in the same turn:
 * an endless loop in one event, or hundreds of INVITEs a second to the trunk.
 * The product runs as a real child process here, so a hang shows as a
 * /healthz that stops answering rather than as a hung test runner; sipp is
 * the caller and the trunk.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.ts';
import {
  assertSippPassed,
  countInTrace,
  runSipp,
  type SippProcess,
  startSipp,
} from '../support/sipp.ts';
import { type ChildProduct, startChildProduct } from './support/child-product.ts';
import { newDataDir, removeDataDirs } from './support/product.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const scenario = (name: string) => path.join(here, 'scenarios', `${name}.xml`);

let product: ChildProduct;
let sipPort: number;
let trunkPort: number;
const sipps: SippProcess[] = [];

beforeAll(async () => {
  sipPort = await freePort();
  trunkPort = await freePort();
  product = await startChildProduct({
    dataDir: await newDataDir(),
    sipPort,
    env: { ACD_TRUNK_URI: `sip:127.0.0.1:${trunkPort}` },
  });
}, 180_000);

afterAll(async () => {
  await Promise.all(sipps.map((s) => s.stop()));
  await product?.kill();
  await removeDataDirs();
});

/** A department that retries at once and never pauses, its number, and one mobile-only agent. */
async function loopDepartment(name: string, did: string, mobileNumber: string, username: string) {
  const dept = await product.api<{ id: string }>('POST', '/departments', {
    name,
    retryDelayS: 0,
    maxMissedRings: 0,
  });
  await product.api('POST', '/dids', { number: did, departmentId: dept.id });
  const agent = await product.api<{ id: string }>('POST', '/agents', {
    name: `${name} agent`,
    sipUsername: username,
    forwardingMode: 'mobile',
    mobileNumber,
    status: 'available',
  });
  await product.api('POST', '/memberships', { agentId: agent.id, departmentId: dept.id });
  return dept.id;
}

/** A caller who waits `waitMs` in the queue, then hangs up (CANCEL). */
function callerWaiting(did: string, waitMs: number) {
  return (async () =>
    runSipp({
      scenario: scenario('caller-wait-cancel'),
      localPort: await freePort(),
      remote: { host: '127.0.0.1', port: sipPort },
      service: did.slice(1),
      extraArgs: ['-d', String(waitMs)],
      timeoutSeconds: 30,
    }))();
}

/** The attempts logged for the department's only call. */
async function attemptsOf(departmentId: string): Promise<unknown[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const page = await product.api<{ items: Array<{ id: string; outcome: string | null }> }>(
      'GET',
      `/calls?departmentId=${departmentId}`,
    );
    const call = page.items[0];
    if (call?.outcome) {
      const full = await product.api<{ attempts: unknown[] }>('GET', `/calls/${call.id}`);
      return full.attempts;
    }
    if (Date.now() > deadline) throw new Error(`the call did not end: ${JSON.stringify(page)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('a call whose every ring fails at once, with retryDelayS 0', () => {
  it('a mobile-only agent whose number is not allowed: the product stays responsive, one ring a second', async () => {
    // The allow-list is empty: the mobile may not be rung, every ring fails before an INVITE.
    const dept = await loopDepartment('Loop', '+4930200', '+4477001234', '2001');
    const waitMs = 4000;
    const caller = callerWaiting('+4930200', waitMs);
    const slowest: number[] = [];
    const until = Date.now() + waitMs;
    while (Date.now() < until) {
      const t0 = performance.now();
      const res = await fetch(`${product.httpUrl}/healthz`, {
        signal: AbortSignal.timeout(2000),
      });
      expect(res.status).toBe(200);
      slowest.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 200));
    }
    assertSippPassed(await caller, 'caller');
    const attempts = await attemptsOf(dept);
    // One round a second while the caller waited 4 s (and a bit for the CANCEL).
    expect(attempts.length).toBeGreaterThanOrEqual(1);
    expect(attempts.length).toBeLessThanOrEqual(waitMs / 1000 + 2);
    expect(slowest.length).toBeGreaterThan(5);
  }, 120_000);

  it('a trunk that rejects at once gets at most about one INVITE a second for the call', async () => {
    await product.api('POST', '/mobile-allow-list', { pattern: '+4915*' });
    const dept = await loopDepartment('Busy trunk', '+4930300', '+4915112345678', '2002');
    const trunk = await startSipp({
      scenario: scenario('trunk-reject'),
      localPort: trunkPort,
      calls: 10_000,
      timeoutSeconds: 60,
    });
    sipps.push(trunk);
    const waitMs = 3000;
    assertSippPassed(await callerWaiting('+4930300', waitMs), 'caller');
    const attempts = await attemptsOf(dept);
    const trunkSaw = await trunk.stop();
    const invites = countInTrace(trunkSaw.messages, /^INVITE /, 'received');
    expect(invites).toBeGreaterThanOrEqual(2);
    expect(invites).toBeLessThanOrEqual(waitMs / 1000 + 2);
    expect(attempts).toHaveLength(invites);
  }, 120_000);
});
