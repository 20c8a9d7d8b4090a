/**
 * Runs Debian's sipp (sip-tester 3.6.1) as a real SIP peer over loopback.
 *
 * sipp's exit code is the verdict (0 = every call went as the scenario says).
 * Each run gets its own temporary directory for the message trace and the
 * error log; a failed run's assertion message carries sipp's stderr, its
 * error log and the tail of its message trace, so a red test explains itself.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tcpPortListening, udpPortInUse } from './ports.ts';

export const SCENARIO_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../edge/scenarios',
);

export interface SippOptions {
  /** Scenario file: a name in test/edge/scenarios (with or without `.xml`) or an absolute path. */
  scenario: string;
  /** Local SIP port of sipp (UDP or TCP listener, same number). */
  localPort: number;
  /** Where a UAC sends its requests; omitted for a UAS. */
  remote?: { host: string; port: number };
  transport?: 'udp' | 'tcp';
  /** -m: stop after this many calls (default 1). */
  calls?: number;
  /** -r: calls per second (default 10). */
  rate?: number;
  /** -l: maximum simultaneous calls. */
  limit?: number;
  /** -lost: percentage of packets lost on purpose. */
  lost?: number;
  /** -s: user part of the request URI. */
  service?: string;
  /** -key NAME VALUE: `[NAME]` in the scenario. */
  keys?: Record<string, string>;
  /** -set NAME VALUE: scenario variables. */
  sets?: Record<string, string>;
  /** -inf: rows injected into calls, `[field0]`… (first row is the SEQUENTIAL/RANDOM header line). */
  inf?: { order: 'SEQUENTIAL' | 'RANDOM'; rows: string[][] };
  /** Global limit in seconds; past it sipp stops and fails. Default 30. */
  timeoutSeconds?: number;
  /** -trace_rtt: response-time CSV (the scenario must mark start_rtd/rtd). */
  rtt?: boolean;
  /** -trace_stat with this period (seconds). */
  stats?: boolean;
  /** Message trace (default true; off for load runs). */
  traceMessages?: boolean;
  /** -max_retrans (UDP retransmissions before a call times out). */
  maxRetrans?: number;
  extraArgs?: string[];
}

export interface SippResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  args: string[];
  stderr: string;
  stdout: string;
  /** Contents of -message_file (every SIP message sent and received). */
  messages: string;
  /** Contents of -error_file (unexpected messages, aborted calls). */
  errors: string;
  /** -trace_rtt CSV, when asked for. */
  rtt: string;
  /** -trace_stat CSV, when asked for. */
  stat: string;
}

const KEEP_TAIL = 20_000;

function tail(text: string, max = KEEP_TAIL): string {
  return text.length > max ? `…(${text.length - max} chars cut)…\n${text.slice(-max)}` : text;
}

function scenarioPath(name: string): string {
  if (path.isAbsolute(name)) return name;
  return path.join(SCENARIO_DIR, name.endsWith('.xml') ? name : `${name}.xml`);
}

function buildArgs(opts: SippOptions, dir: string): string[] {
  const args: string[] = [];
  if (opts.remote) args.push(`${opts.remote.host}:${opts.remote.port}`);
  args.push('-sf', scenarioPath(opts.scenario));
  args.push('-i', '127.0.0.1', '-p', String(opts.localPort));
  args.push('-t', opts.transport === 'tcp' ? 't1' : 'u1');
  // sipp's default socket buffers (64 KB) overflow when a loaded sipp falls a
  // few ms behind, and the lost 100/180/200 then fail calls the server handled
  // (seen in the load benchmark). The kernel caps this at net.core.rmem_max.
  args.push('-buff_size', String(4 * 1024 * 1024));
  args.push('-m', String(opts.calls ?? 1));
  args.push('-r', String(opts.rate ?? 10));
  if (opts.limit !== undefined) args.push('-l', String(opts.limit));
  if (opts.lost !== undefined) args.push('-lost', String(opts.lost));
  if (opts.service !== undefined) args.push('-s', opts.service);
  if (opts.maxRetrans !== undefined) args.push('-max_retrans', String(opts.maxRetrans));
  for (const [k, v] of Object.entries(opts.keys ?? {})) args.push('-key', k, v);
  for (const [k, v] of Object.entries(opts.sets ?? {})) args.push('-set', k, v);
  if (opts.inf) {
    const file = path.join(dir, 'inject.csv');
    const lines = [opts.inf.order, ...opts.inf.rows.map((r) => r.join(';'))];
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    args.push('-inf', file);
  }
  args.push('-timeout', `${opts.timeoutSeconds ?? 30}s`, '-timeout_error');
  args.push('-nostdin', '-trace_err', '-error_file', path.join(dir, 'errors.log'));
  if (opts.traceMessages !== false) {
    args.push('-trace_msg', '-message_file', path.join(dir, 'messages.log'));
  }
  if (opts.rtt) args.push('-trace_rtt', '-rtt_freq', '1');
  if (opts.stats) args.push('-trace_stat', '-stf', path.join(dir, 'stat.csv'), '-fd', '1');
  args.push(...(opts.extraArgs ?? []));
  return args;
}

function readIf(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function readRtt(dir: string): string {
  const file = fs.readdirSync(dir).find((f) => f.endsWith('_rtt.csv'));
  return file ? readIf(path.join(dir, file)) : '';
}

/** A sipp child process with its temp directory; `finished` settles once, when it exits. */
export class SippProcess {
  readonly args: string[];
  readonly finished: Promise<SippResult>;
  private readonly child: ChildProcess;
  private readonly dir: string;
  private stdout = '';
  private stderr = '';
  private exited = false;
  private killed = false;

  constructor(opts: SippOptions) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sipp-'));
    this.args = buildArgs(opts, this.dir);
    // cwd = the temp dir: sipp writes its default-named files (rtt CSV) there.
    this.child = spawn('sipp', this.args, { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.on('data', (d: Buffer) => {
      this.stdout = (this.stdout + d.toString()).slice(-KEEP_TAIL);
    });
    this.child.stderr?.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-KEEP_TAIL);
    });
    this.finished = new Promise((resolve) => {
      const done = (code: number | null, signal: NodeJS.Signals | null) => {
        if (this.exited) return;
        this.exited = true;
        const result: SippResult = {
          code,
          signal,
          args: this.args,
          stderr: this.stderr,
          stdout: this.stdout,
          messages: readIf(path.join(this.dir, 'messages.log')),
          errors: readIf(path.join(this.dir, 'errors.log')),
          rtt: readRtt(this.dir),
          stat: readIf(path.join(this.dir, 'stat.csv')),
        };
        fs.rmSync(this.dir, { recursive: true, force: true });
        resolve(result);
      };
      this.child.once('close', done);
      this.child.once('error', (err) => {
        this.stderr += `\nspawn error: ${err.message}`;
        done(null, null);
      });
    });
  }

  get running(): boolean {
    return !this.exited;
  }

  /** Ends sipp (SIGTERM once; SIGKILL after 3 s if it lingers) and returns its result. */
  async stop(): Promise<SippResult> {
    if (!this.exited && !this.killed) {
      this.killed = true;
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (!this.exited) this.child.kill('SIGKILL');
      }, 3000);
      const result = await this.finished;
      clearTimeout(timer);
      return result;
    }
    return this.finished;
  }
}

/** Runs sipp to completion. */
export function runSipp(opts: SippOptions): Promise<SippResult> {
  return new SippProcess(opts).finished;
}

/**
 * Starts sipp in the background (a UAS, usually) and resolves once its SIP
 * port is bound, so a request sent right after reaches it.
 */
export async function startSipp(opts: SippOptions): Promise<SippProcess> {
  const proc = new SippProcess(opts);
  const deadline = Date.now() + 5000;
  for (;;) {
    const up =
      opts.transport === 'tcp'
        ? await tcpPortListening(opts.localPort)
        : await udpPortInUse(opts.localPort);
    if (up) return proc;
    if (!proc.running || Date.now() > deadline) {
      const result = await proc.stop();
      throw new Error(`sipp did not start listening on ${opts.localPort}\n${describeSipp(result)}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Everything a failed run can tell: command line, exit code, stderr, error log, message trace. */
export function describeSipp(r: SippResult): string {
  return [
    `sipp ${r.args.join(' ')}`,
    `exit code: ${r.code}${r.signal ? ` (signal ${r.signal})` : ''}`,
    `--- stderr ---\n${tail(r.stderr, 4000)}`,
    `--- error log ---\n${tail(r.errors, 6000)}`,
    `--- message trace ---\n${tail(r.messages, 12_000)}`,
  ].join('\n');
}

/** Throws with the whole story unless sipp exited 0. */
export function assertSippPassed(r: SippResult, label = 'sipp'): void {
  if (r.code !== 0) throw new Error(`${label} failed\n${describeSipp(r)}`);
}

/** Counts messages in a sipp trace whose first line matches (e.g. /^SIP\/2.0 200/). */
export function countInTrace(
  trace: string,
  firstLine: RegExp,
  direction?: 'sent' | 'received',
): number {
  // sipp writes "----- date\nUDP message sent (n bytes):\n\n<message>" blocks.
  const blocks = trace.split(/^-{10,}.*$/m);
  let n = 0;
  for (const block of blocks) {
    const m = /message (sent|received)[^\n]*\n+([^\n]*)/.exec(block);
    if (!m) continue;
    if (direction && m[1] !== direction) continue;
    if (firstLine.test((m[2] ?? '').trim())) n++;
  }
  return n;
}

/** Throws unless every run exited 0; the message carries the story of every run (both ends of a call). */
export function assertAllSippPassed(runs: Array<[label: string, result: SippResult]>): void {
  if (runs.every(([, r]) => r.code === 0)) return;
  const failed = runs.filter(([, r]) => r.code !== 0).map(([l]) => l);
  throw new Error(
    `${failed.join(', ')} failed\n${runs.map(([l, r]) => `===== ${l} =====\n${describeSipp(r)}`).join('\n')}`,
  );
}

/**
 * Waits for `work` (an app-side promise), but if sipp fails first, throws
 * with sipp's whole story instead of letting the test time out blind.
 */
export function raceSipp<T>(sipp: SippProcess, work: Promise<T>, label = 'sipp'): Promise<T> {
  return Promise.race([
    work,
    sipp.finished.then((r) => {
      if (r.code !== 0)
        throw new Error(`${label} ended before the app side did\n${describeSipp(r)}`);
      return work;
    }),
  ]);
}
