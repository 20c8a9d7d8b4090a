/**
 * Short scheduler time slices for the thread that calls `shortenTimeSlice`.
 *
 * Why: on a busy machine the SIP server's thread sleeps until a packet or a
 * frame from srf arrives, then often finds its core running another thread
 * (the database, the app, V8's GC helpers). Linux's EEVDF scheduler lets
 * the running thread finish its slice (~1.4 ms), and with a 250 Hz tick the
 * switch is often only noticed at the next tick: the waking SIP thread waited
 * 3-5 ms, which was most of the ring -> agent INVITE tail (docs/walkthrough.md).
 * Since Linux 6.12 a thread may ask for a shorter slice (`sched_setattr` with
 * `sched_runtime` under SCHED_OTHER, no privilege needed), and a waking thread
 * with a shorter slice than the running one preempts it at once. Its share of
 * the CPU stays what its nice value gives it; only the latency changes.
 *
 * Node has no binding for `sched_setattr`, so perl's `syscall()` makes the
 * call for this thread's id (perl-base is part of every Debian/Ubuntu). Best
 * effort: without Linux, perl or a kernel that keeps custom slices, nothing
 * changes and the result says why.
 */
import { execFile } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { getPriority } from 'node:os';

/** The shortest slice Linux accepts (0.1 ms). */
export const SHORT_SLICE_NS = 100_000;

export type TimeSliceResult =
  | { set: true; thread: number; sliceNs: number }
  | { set: false; reason: string };

/** `sched_setattr`'s system call number per architecture. */
const SCHED_SETATTR: Partial<Record<NodeJS.Architecture, number>> = { x64: 314, arm64: 274 };

/**
 * struct sched_attr (48 bytes): size, policy, flags, nice, priority, runtime
 * (the slice), deadline, period. SCHED_FLAG_KEEP_POLICY (8) keeps the
 * thread's policy (SCHED_OTHER, or SCHED_BATCH if started so). The nice value
 * is passed as it is: sched_setattr sets it too, and an unprivileged thread
 * may not lower it. The arguments are made numbers: perl's syscall() passes
 * strings as pointers.
 */
const PERL = `my ($tid, $slice, $nr, $nice) = map { $_ + 0 } @ARGV;
my $attr = pack("LLQlLQQQ", 48, 0, 8, $nice, 0, $slice, 0, 0);
syscall($nr, $tid, $attr, 0) == 0 or die "sched_setattr: $!\\n";`;

/** The slice the kernel now uses for `thread` (ns), from /proc; null if it does not say. */
export function currentSliceNs(thread: number): number | null {
  try {
    const sched = readFileSync(`/proc/${process.pid}/task/${thread}/sched`, 'utf8');
    const m = /^se\.slice\s*:\s*(\d+)/m.exec(sched);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

export async function shortenTimeSlice(sliceNs = SHORT_SLICE_NS): Promise<TimeSliceResult> {
  const nr = SCHED_SETATTR[process.arch];
  if (process.platform !== 'linux' || nr === undefined) {
    return { set: false, reason: `no sched_setattr on ${process.platform}/${process.arch}` };
  }
  let thread: number;
  try {
    thread = Number(readlinkSync('/proc/thread-self').split('/').pop());
  } catch (err) {
    return { set: false, reason: `no /proc/thread-self: ${(err as Error).message}` };
  }
  const args = [
    '-e',
    PERL,
    String(thread),
    String(sliceNs),
    String(nr),
    String(getPriority(thread)),
  ];
  const failed = await new Promise<string | null>((resolve) => {
    execFile('perl', args, { timeout: 5000 }, (err, _out, stderr) =>
      resolve(err ? stderr.trim() || err.message : null),
    );
  });
  if (failed !== null) return { set: false, reason: failed };
  const now = currentSliceNs(thread);
  if (now !== sliceNs) {
    return {
      set: false,
      reason: `the kernel keeps a ${now ?? 'default'} ns slice (custom slices need Linux 6.12)`,
    };
  }
  return { set: true, thread, sliceNs };
}
