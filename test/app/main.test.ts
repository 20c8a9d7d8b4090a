/**
 * `npm start`'s entry point as a real child process: a bad setting stops it
 * with a message naming the key; a good start serves HTTP and SIGTERM stops
 * it cleanly with exit code 0.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.ts';
import { cleanUpMainRuns, runMain, tempDir } from '../support/run-main.ts';

afterEach(cleanUpMainRuns);

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
    const dataDir = await tempDir('acd-main-');
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
    const token = (await readFile(path.join(dataDir, 'api-token'), 'utf8')).trim();
    expect(run.out()).not.toContain(token);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    // Boots PGlite in a child process: slow on a loaded machine.
  }, 600_000);
});
