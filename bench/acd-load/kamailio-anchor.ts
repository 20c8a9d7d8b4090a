import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Kamailio's stateful-proxy rate, measured by `bench/sip-bench.ts --only
 * kamailio` (its own step ladder, 2 s steps, up to 4000 calls/s) in a child
 * process: the highest step without a failed call, with the rate it achieved.
 * Null if it cannot run.
 */
export async function kamailioAnchor(): Promise<{ offered: number; achieved: number } | null> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(BENCH, 'sip-bench.ts'),
      '--only',
      'kamailio',
      '--max-rate',
      '4000',
      '--step-seconds',
      '2',
    ],
    { cwd: path.join(BENCH, '..'), stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    process.stdout.write(d);
  });
  const timer = setTimeout(() => child.kill('SIGTERM'), 180_000);
  await once(child, 'exit');
  clearTimeout(timer);
  let best: { offered: number; achieved: number } | null = null;
  for (const m of out.matchAll(/^kamailio\s+(\d+) cps: ok\s+achieved (\d+) cps/gm)) {
    best = { offered: Number(m[1]), achieved: Number(m[2]) };
  }
  return best;
}
