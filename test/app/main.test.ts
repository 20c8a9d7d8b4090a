/**
 * `npm start`'s entry point as a real child process: a bad setting stops it
 * with a message naming the key; a good start serves HTTP and SIGTERM stops
 * it cleanly with exit code 0.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const children: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGKILL');
      await new Promise((r) => c.once('exit', r));
    }
  }
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** The parent's environment without any of our settings, plus `env`. */
function cleanEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('ACD_') && k !== 'DATABASE_URL') out[k] = v;
  }
  return { ...out, ...env };
}

function runMain(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/app/main.ts'], {
    cwd: ROOT,
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return {
    child,
    exited,
    out: () => stdout,
    err: () => stderr,
    async waitForLine(pred: (entry: Record<string, unknown>) => boolean, timeoutMs = 150_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        for (const line of stdout.split('\n')) {
          if (!line.startsWith('{')) continue;
          const entry = JSON.parse(line) as Record<string, unknown>;
          if (pred(entry)) return entry;
        }
        if (child.exitCode !== null) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`no matching log line; stdout:\n${stdout}\nstderr:\n${stderr}`);
    },
  };
}

describe('npm start (src/app/main.ts)', () => {
  it('stops at once with exit code 2 and names the bad key and its variable', async () => {
    const run = runMain({ ACD_HTTP_PORT: 'http', ACD_LOG_LEVEL: 'chatty' });
    expect(await run.exited).toBe(2);
    expect(run.err()).toContain('http.port (ACD_HTTP_PORT)');
    expect(run.err()).toContain('log.level (ACD_LOG_LEVEL)');
  });

  it('refuses a database server without an API token', async () => {
    const run = runMain({ DATABASE_URL: 'postgres://127.0.0.1:1/acd' });
    expect(await run.exited).toBe(2);
    expect(run.err()).toContain('api.token');
  });

  it('serves the API on embedded defaults (with the embedded SIP server) and stops cleanly on SIGTERM', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'acd-main-'));
    dirs.push(dataDir);
    // The embedded SIP server starts too: free ports on loopback, not 5060/9022.
    const run = runMain({
      ACD_DATA_DIR: dataDir,
      ACD_HTTP_PORT: '0',
      ACD_SIP_HOST: '127.0.0.1',
      ACD_SIP_PORT: String(await freePort()),
      ACD_DRACHTIO_PORT: '0',
    });
    const listening = await run.waitForLine((e) => e.msg === 'admin API listening');
    const url = String(listening.url);
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    const tokenLine = await run.waitForLine((e) => typeof e.tokenFile === 'string');
    expect(tokenLine.tokenFile).toBe(path.join(dataDir, 'api-token'));

    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    await run.waitForLine((e) => e.msg === 'stopped', 1000);
    const { readFile } = await import('node:fs/promises');
    const token = (await readFile(path.join(dataDir, 'api-token'), 'utf8')).trim();
    expect(run.out()).not.toContain(token);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    // Boots PGlite in a child process: slow on a loaded machine.
  }, 180_000);
});
