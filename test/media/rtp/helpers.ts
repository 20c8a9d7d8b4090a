/** Shared set-up for the RTP engine tests: an engine on loopback with its own port block, a collecting logger. */
import { RtpEngine } from '../../../src/media/rtp/index.ts';
import type { RtpLogger } from '../../../src/media/rtp/index.ts';

function workerIndex(): number {
  const n = Number.parseInt(process.env.VITEST_POOL_ID ?? process.env.VITEST_WORKER_ID ?? '0', 10);
  return Number.isFinite(n) ? n % 16 : 0;
}

/** A port block per vitest worker, above the SIP tests' blocks (test/support/ports.ts). */
export function portBlock(size = 40): { min: number; max: number } {
  const min = 33_000 + workerIndex() * 400 + Math.floor(Math.random() * 8) * 40;
  return { min, max: min + size - 1 };
}

export interface LogLine {
  level: 'warn' | 'info';
  obj: object;
  msg: string;
}

export function collectingLog(): RtpLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  return {
    lines,
    warn: (obj, msg) => lines.push({ level: 'warn', obj, msg }),
    info: (obj, msg) => lines.push({ level: 'info', obj, msg }),
  };
}

export function newEngine(
  log = collectingLog(),
  size = 40,
): { engine: RtpEngine; log: ReturnType<typeof collectingLog> } {
  return { engine: new RtpEngine({ address: '127.0.0.1', ports: portBlock(size), log }), log };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every 10 ms until true (rejects after `timeoutMs`). */
export async function until(
  cond: () => boolean,
  timeoutMs = 5000,
  what = 'condition',
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
