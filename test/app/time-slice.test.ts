/**
 * time-slice.ts against the real kernel: a child process (so that this test
 * runner's own threads keep their priority) lowers its priority, switches to
 * SCHED_BATCH, asks for short slices, and reports what the kernel then says.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { SHORT_SLICE_NS } from '../../src/app/telephony/time-slice.ts';
import { customSlicesPossible } from '../support/kernel.ts';

const MODULE = new URL('../../src/app/telephony/time-slice.ts', import.meta.url).href;

/** Runs `shortenTimeSlice()` in a fresh process started with `prefix` (e.g. chrt). */
function inChild(prefix: string[], before: string) {
  const script = `
    import { readFileSync } from 'node:fs';
    import { getPriority, setPriority } from 'node:os';
    import { shortenTimeSlice } from ${JSON.stringify(MODULE)};
    ${before}
    const result = await shortenTimeSlice();
    const sched = readFileSync('/proc/self/sched', 'utf8');
    const policy = Number(/^policy\\s*:\\s*(\\d+)/m.exec(sched)?.[1]);
    console.log(JSON.stringify({ result, nice: getPriority(process.pid), policy, pid: process.pid }));
  `;
  const args = [process.execPath, '--import', 'tsx', '--input-type=module', '-e', script];
  const cmd = [...prefix, ...args];
  const run = spawnSync(cmd[0] as string, cmd.slice(1), { encoding: 'utf8', timeout: 20_000 });
  if (run.status !== 0) throw new Error(`child failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').pop() as string);
}

describe('short scheduler time slices (time-slice.ts)', () => {
  it('sets the calling thread to 0.1 ms slices, keeping its nice value and policy', () => {
    // SCHED_BATCH (3) and nice +5: both must survive the call.
    const out = inChild(
      ['chrt', '--batch', '0'],
      'setPriority(process.pid, getPriority(process.pid) + 5);',
    );
    expect(out.policy).toBe(3);
    expect(out.nice).toBeGreaterThanOrEqual(5);
    if (customSlicesPossible()) {
      expect(out.result).toEqual({ set: true, thread: out.pid, sliceNs: SHORT_SLICE_NS });
    } else {
      expect(out.result.set).toBe(false);
      expect(out.result.reason).toEqual(expect.any(String));
    }
  });

  it('says why when perl cannot be found, and changes nothing', () => {
    const out = inChild(['env', 'PATH=/nonexistent'], '');
    expect(out.result.set).toBe(false);
    expect(out.result.reason).toMatch(/ENOENT|no sched_setattr/);
  });
});
