/**
 * The product as a real child process (`src/app/main.ts`, as `npm start`
 * runs it), configured through environment variables, on PGlite in a data
 * folder the test chooses (so a restart finds the same rows). Tests use it
 * where the product itself must be observed from outside: a process that
 * hangs (would hang the test runner too if run in-process), or one killed
 * with SIGKILL.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const CHILD_TOKEN = 'child-product-token-0123456789';

export interface ChildProduct {
  child: ChildProcess;
  httpUrl: string;
  exited: Promise<number | null>;
  /** Every JSON log line so far. */
  lines(): Array<Record<string, unknown>>;
  stderr(): string;
  waitForLine(
    pred: (entry: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  api<T = Record<string, unknown>>(method: string, p: string, body?: unknown): Promise<T>;
  /** SIGKILL, then wait for the exit. */
  kill(): Promise<void>;
  /** SIGTERM (graceful), then wait for the exit. */
  stop(): Promise<void>;
}

/** The parent's environment without any of our settings, plus `env`. */
function cleanEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('ACD_') && k !== 'DATABASE_URL') out[k] = v;
  }
  return { ...out, ...env };
}

export async function startChildProduct(o: {
  dataDir: string;
  sipPort: number;
  env?: Record<string, string>;
}): Promise<ChildProduct> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/app/main.ts'], {
    cwd: ROOT,
    env: cleanEnv({
      ACD_DATA_DIR: o.dataDir,
      ACD_HTTP_PORT: '0',
      ACD_SIP_HOST: '127.0.0.1',
      ACD_SIP_PORT: String(o.sipPort),
      ACD_DRACHTIO_PORT: '0',
      ACD_API_TOKEN: CHILD_TOKEN,
      ACD_TRUNK_ADDRESSES: '127.0.0.1',
      ACD_LOG_LEVEL: 'info',
      // Signalling tests: queued callers hear ringback, as sipp's scenarios
      // expect; test/app/caller-media.test.ts covers answering into media.
      ACD_MEDIA_CALLERS: 'ringback',
      ...o.env,
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const parsed: Array<Record<string, unknown>> = [];
  let partial = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    partial += d;
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      if (!line.startsWith('{')) continue;
      try {
        parsed.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // A line cut by SIGKILL.
      }
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr = (stderr + d).slice(-20_000);
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const waitForLine = async (
    pred: (entry: Record<string, unknown>) => boolean,
    timeoutMs = 150_000,
  ) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const found = parsed.find(pred);
      if (found) return found;
      if (child.exitCode !== null || child.signalCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(
      `no matching log line; last lines:\n${parsed
        .slice(-30)
        .map((l) => JSON.stringify(l))
        .join('\n')}\nstderr:\n${stderr}`,
    );
  };
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  let httpUrl = '';
  try {
    const listening = await waitForLine((e) => e.msg === 'open-acd started');
    httpUrl = String(listening.url);
  } catch (err) {
    if (!gone()) child.kill('SIGKILL');
    throw err;
  }
  return {
    child,
    httpUrl,
    exited,
    lines: () => parsed,
    stderr: () => stderr,
    waitForLine,
    async api<T>(method: string, p: string, body?: unknown): Promise<T> {
      const res = await fetch(`${httpUrl}/api${p}`, {
        method,
        headers: {
          authorization: `Bearer ${CHILD_TOKEN}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(10_000),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${text}`);
      return (text ? JSON.parse(text) : {}) as T;
    },
    async kill() {
      if (!gone()) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (!gone()) child.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (!gone()) child.kill('SIGKILL');
      }, 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Reads until `ok` holds (every 200 ms, at most 30 s); the timeout names `what` and the last value. */
export async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting until ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
