/**
 * thread-scheduling.ts against the real kernel, in a child process (so that
 * this test runner's own threads keep their scheduling): the child asks for
 * real-time scheduling or short slices and reports what the kernel then says
 * about it, and about a process it starts afterwards.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { SCHED_RR, SHORT_SLICE_NS } from '../../../src/edge/thread/thread-scheduling.ts';
import { customSlicesPossible, realtimePossible } from '../../support/kernel.ts';

const MODULE = new URL('../../../src/edge/thread/thread-scheduling.ts', import.meta.url).href;
const SCHED_BATCH = 3;
const root = process.getuid?.() === 0;

/** Without CAP_SYS_NICE (dropped when root) and with RLIMIT_RTPRIO at `rtprio` (lowered). */
function unprivileged(rtprio: number): string[] {
  const limit = ['prlimit', `--rtprio=${rtprio}`];
  return root ? [...limit, 'setpriv', '--inh-caps=-sys_nice', '--bounding-set=-sys_nice'] : limit;
}

/**
 * Runs `prioritiseThisThread(realtimePriority)` in a fresh process started
 * with `prefix` (e.g. chrt), after `before`; reports the result, the
 * process's nice value and policy, and the policy of a process it then starts.
 */
function inChild(prefix: string[], realtimePriority: number, before = '') {
  const script = `
    import { spawnSync } from 'node:child_process';
    import { getPriority, setPriority } from 'node:os';
    import { currentPolicy, prioritiseThisThread } from ${JSON.stringify(MODULE)};
    ${before}
    const result = await prioritiseThisThread(${realtimePriority});
    const read = "process.stdout.write(require('node:fs').readFileSync('/proc/self/stat', 'utf8'))";
    const stat = spawnSync(process.execPath, ['-e', read], { encoding: 'utf8' }).stdout;
    const started = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[38]);
    const self = currentPolicy(process.pid);
    console.log(JSON.stringify({ result, nice: getPriority(process.pid), self, started, pid: process.pid }));
  `;
  const args = [process.execPath, '--import', 'tsx', '--input-type=module', '-e', script];
  const cmd = [...prefix, ...args];
  const run = spawnSync(cmd[0] as string, cmd.slice(1), { encoding: 'utf8', timeout: 20_000 });
  if (run.status !== 0) throw new Error(`child failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').pop() as string);
}

describe('scheduling of the SIP server thread (thread-scheduling.ts)', () => {
  it('gets SCHED_RR at the asked priority where the process may have it; processes it starts do not inherit it', () => {
    const out = inChild([], 10);
    if (realtimePossible()) {
      expect(out.result).toEqual({ got: 'realtime', thread: out.pid, priority: 10 });
      expect(out.self).toEqual({ policy: SCHED_RR, priority: 10 });
    } else {
      expect(out.result.realtimeRefused).toEqual(expect.any(String));
      expect(out.self.policy).toBe(0);
    }
    // SCHED_RESET_ON_FORK: what this thread starts is scheduled normally.
    expect(out.started).toBe(0);
  });

  it('without privilege (no CAP_SYS_NICE, RLIMIT_RTPRIO 0) falls back to short slices and says why', () => {
    // Granting it through RLIMIT_RTPRIO (systemd LimitRTPRIO=) is not tested:
    // raising that limit needs CAP_SYS_RESOURCE, which these machines lack.
    const refused = inChild(unprivileged(0), 10);
    expect(refused.result.realtimeRefused).toMatch(/Operation not permitted/);
    expect(refused.result.got).toBe(customSlicesPossible() ? 'short-slices' : 'default');
    expect(refused.self.policy).toBe(0);
  });

  it('with no real-time priority sets 0.1 ms slices, keeping the nice value and policy', () => {
    // SCHED_BATCH and nice +5: both must survive the call.
    const out = inChild(
      ['chrt', '--batch', '0'],
      0,
      'setPriority(process.pid, getPriority(process.pid) + 5);',
    );
    expect(out.self.policy).toBe(SCHED_BATCH);
    expect(out.nice).toBeGreaterThanOrEqual(5);
    if (customSlicesPossible()) {
      expect(out.result).toEqual({ got: 'short-slices', thread: out.pid, sliceNs: SHORT_SLICE_NS });
    } else {
      expect(out.result).toMatchObject({ got: 'default', reason: expect.any(String) });
    }
  });

  it('says why when perl cannot be found, and changes nothing', () => {
    const out = inChild(['env', 'PATH=/nonexistent'], 10);
    expect(out.result).toMatchObject({
      got: 'default',
      realtimeRefused: expect.stringMatching(/ENOENT/),
    });
    expect(out.result.reason).toMatch(/ENOENT|no sched_setattr/);
    expect(out.self.policy).toBe(0);
  });
});
