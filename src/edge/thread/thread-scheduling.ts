/**
 * Scheduling for the thread that calls `prioritiseThisThread`: real-time
 * round-robin when the process may have it, else short time slices.
 *
 * Why: on a busy machine the SIP server's thread sleeps until a packet or a
 * frame from srf arrives, then often finds its core running another thread
 * (the database, the app, V8's GC helpers). With a 250 Hz tick and Linux's
 * EEVDF scheduler, the waking SIP thread waited 3-5 ms for the running
 * thread's slice to end, which was most of the ring -> agent INVITE tail
 * (docs/benchmarks.md).
 *
 * - SCHED_RR (what `asterisk -p` and FreeSWITCH's packaged service use): a
 *   waking real-time thread takes its core from any normal thread at once.
 *   It needs CAP_SYS_NICE or an RLIMIT_RTPRIO at least as high as the
 *   priority (systemd `LimitRTPRIO=`, `docker run --ulimit rtprio=`). The
 *   priority stays low (default 10) so kernel interrupt threads (50) still
 *   come first, and the kernel's real-time throttling keeps 5% of every core
 *   for normal threads should the thread ever spin. SCHED_RESET_ON_FORK
 *   keeps threads and processes started from this thread (libuv's pool,
 *   this module's perl) out of it.
 * - Short slices (Linux 6.12+, no privilege needed): `sched_setattr` with a
 *   0.1 ms `sched_runtime` under SCHED_OTHER; a waking thread with a shorter
 *   slice than the running one preempts it, when the scheduler deems it
 *   eligible (not after it has had more than its share). Its share of the
 *   CPU stays what its nice value gives it.
 *
 * Node has no binding for `sched_setattr`, so perl's `syscall()` makes the
 * call for this thread's id (perl-base is part of every Debian/Ubuntu). Best
 * effort: what the kernel refuses leaves the thread as it was, and the
 * result says why.
 */
import { execFile } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { getPriority } from 'node:os';

/** The shortest slice Linux accepts (0.1 ms). */
export const SHORT_SLICE_NS = 100_000;

/** Linux's SCHED_RR policy number, as /proc reports it. */
export const SCHED_RR = 2;

export type ThreadScheduling =
  | { got: 'realtime'; thread: number; priority: number }
  | { got: 'short-slices'; thread: number; sliceNs: number; realtimeRefused?: string }
  | { got: 'default'; reason: string; realtimeRefused?: string };

/** `sched_setattr`'s system call number per architecture. */
const SCHED_SETATTR: Partial<Record<NodeJS.Architecture, number>> = { x64: 314, arm64: 274 };

const SCHED_FLAG_RESET_ON_FORK = 1;
/** Keeps the thread's policy (SCHED_OTHER, or SCHED_BATCH if started so). */
const SCHED_FLAG_KEEP_POLICY = 8;

/**
 * struct sched_attr (48 bytes): size, policy, flags, nice, priority, runtime
 * (the slice), deadline, period. The arguments are made numbers: perl's
 * syscall() passes strings as pointers.
 */
const PERL = `my ($nr, $tid, $policy, $flags, $nice, $prio, $slice) = map { $_ + 0 } @ARGV;
my $attr = pack("LLQlLQQQ", 48, $policy, $flags, $nice, $prio, $slice, 0, 0);
syscall($nr, $tid, $attr, 0) == 0 or die "sched_setattr: $!\\n";`;

interface SchedAttr {
  policy: number;
  flags: number;
  nice: number;
  priority: number;
  sliceNs: number;
}

/** Sets `attr` for `thread` through perl; null on success, else why not. */
function schedSetattr(nr: number, thread: number, attr: SchedAttr): Promise<string | null> {
  const { policy, flags, nice, priority, sliceNs } = attr;
  const args = ['-e', PERL, ...[nr, thread, policy, flags, nice, priority, sliceNs].map(String)];
  return new Promise((resolve) => {
    execFile('perl', args, { timeout: 5000 }, (err, _out, stderr) =>
      resolve(err ? stderr.trim() || err.message : null),
    );
  });
}

function procFile(thread: number, name: string): string | null {
  try {
    return readFileSync(`/proc/${process.pid}/task/${thread}/${name}`, 'utf8');
  } catch {
    return null;
  }
}

/** The slice the kernel now uses for `thread` (ns), from /proc; null if it does not say. */
export function currentSliceNs(thread: number): number | null {
  const m = /^se\.slice\s*:\s*(\d+)/m.exec(procFile(thread, 'sched') ?? '');
  return m ? Number(m[1]) : null;
}

/** `thread`'s policy and real-time priority (fields 41 and 40 of its stat); null if unreadable. */
export function currentPolicy(thread: number): { policy: number; priority: number } | null {
  const stat = procFile(thread, 'stat');
  // The fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (!fields || fields.length < 39) return null;
  return { priority: Number(fields[37]), policy: Number(fields[38]) };
}

/**
 * Asks for SCHED_RR at `realtimePriority` (1-99; 0 = do not ask), and for
 * short slices when that is refused. Checks what the kernel then reports.
 */
export async function prioritiseThisThread(realtimePriority: number): Promise<ThreadScheduling> {
  const nr = SCHED_SETATTR[process.arch];
  if (process.platform !== 'linux' || nr === undefined) {
    return { got: 'default', reason: `no sched_setattr on ${process.platform}/${process.arch}` };
  }
  let thread: number;
  try {
    thread = Number(readlinkSync('/proc/thread-self').split('/').pop());
  } catch (err) {
    return { got: 'default', reason: `no /proc/thread-self: ${(err as Error).message}` };
  }

  let realtimeRefused: string | undefined;
  if (realtimePriority > 0) {
    const failed = await schedSetattr(nr, thread, {
      policy: SCHED_RR,
      flags: SCHED_FLAG_RESET_ON_FORK,
      nice: 0,
      priority: realtimePriority,
      sliceNs: 0,
    });
    const now = currentPolicy(thread);
    if (failed === null && now?.policy === SCHED_RR && now.priority === realtimePriority) {
      return { got: 'realtime', thread, priority: realtimePriority };
    }
    realtimeRefused = failed ?? `the kernel reports policy ${now?.policy ?? 'unknown'}`;
  }
  const refused = realtimeRefused === undefined ? {} : { realtimeRefused };

  // sched_setattr sets the nice value too, and an unprivileged thread may not lower it.
  const failed = await schedSetattr(nr, thread, {
    policy: 0,
    flags: SCHED_FLAG_KEEP_POLICY,
    nice: getPriority(thread),
    priority: 0,
    sliceNs: SHORT_SLICE_NS,
  });
  if (failed !== null) return { got: 'default', reason: failed, ...refused };
  const now = currentSliceNs(thread);
  if (now !== SHORT_SLICE_NS) {
    const reason = `the kernel keeps a ${now ?? 'default'} ns slice (custom slices need Linux 6.12)`;
    return { got: 'default', reason, ...refused };
  }
  return { got: 'short-slices', thread, sliceNs: SHORT_SLICE_NS, ...refused };
}
