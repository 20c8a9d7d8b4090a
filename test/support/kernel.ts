/** What the machine running the tests can do, for tests whose expectations depend on it. */
import { spawnSync } from 'node:child_process';
import os from 'node:os';

/** Custom EEVDF scheduler slices: Linux 6.12 or later, set through perl (thread-scheduling.ts). */
export function customSlicesPossible(): boolean {
  const [major = 0, minor = 0] = os.release().split('.').map(Number);
  const perl = spawnSync('perl', ['-e', '1']).status === 0;
  return process.platform === 'linux' && (major > 6 || (major === 6 && minor >= 12)) && perl;
}

/** Whether this process may put a thread under SCHED_RR at priority 10 (root, CAP_SYS_NICE or RLIMIT_RTPRIO). */
export function realtimePossible(): boolean {
  return spawnSync('chrt', ['--rr', '10', 'true']).status === 0;
}
