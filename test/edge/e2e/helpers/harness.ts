/**
 * Shared set-up for the SIP end-to-end files: one server under test per file,
 * and a per-test list of things to release (apps, sipp processes, sockets),
 * each released exactly once after the test, in reverse order.
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import { type SipTarget, type TargetOptions, startSipTarget } from '../../../support/sip-target.ts';
import { TcpPeer, UdpPeer } from './peer.ts';
import { SrfApp } from './srf.ts';
import { WireClient } from './wire.ts';

export function useSipTarget(opts: TargetOptions = {}): () => SipTarget {
  let target: SipTarget | undefined;
  beforeAll(async () => {
    target = await startSipTarget(opts);
  });
  afterAll(async () => {
    await target?.close();
  });
  return () => {
    if (!target) throw new Error('SIP target not started');
    return target;
  };
}

type Release = () => unknown;

/** Registers cleanups for the running test; they run in reverse order after it. */
export function useCleanup(): <T>(value: T, release: (v: T) => unknown) => T {
  let pending: Release[] = [];
  afterEach(async () => {
    const list = pending.reverse();
    pending = [];
    for (const release of list) {
      try {
        await release();
      } catch {
        // A cleanup failing must not hide the test's own result or skip the rest.
      }
    }
  });
  return (value, release) => {
    pending.push(() => release(value));
    return value;
  };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls until `fn` returns true (or throws the last state after `timeoutMs`). */
export async function waitFor(
  fn: () => boolean,
  timeoutMs = 5000,
  what = 'condition',
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** One server per file plus per-test apps and peers, all released after each test. */
export function useChecklist(opts: TargetOptions = {}) {
  const target = useSipTarget(opts);
  const track = useCleanup();
  return {
    target: (): SipTarget => target(),
    track,
    /** A raw wire-protocol app, authenticated, with these routes. */
    wire: async (routes: string[] = ['invite']) =>
      track(await WireClient.connectAuthenticated(target().drachtio, routes), (w) => w.close()),
    peer: async (port?: number) => track(await UdpPeer.open(port), (p) => p.close()),
    tcpPeer: async (port?: number) => track(await TcpPeer.listen(port), (p) => p.close()),
    srf: async () => track(await SrfApp.connect(target().drachtio), (a) => a.close()),
  };
}
