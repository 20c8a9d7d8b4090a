import { mkdtemp, readFile, rm, stat, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveApiToken } from '../../src/app/api-token.ts';
import { loadConfig } from '../../src/app/settings/config.ts';
import { createLogger } from '../../src/app/runtime/logger.ts';

let dir: string;
let logText: string[];
const logger = () =>
  createLogger({
    level: 'trace',
    destination: new Writable({
      write(chunk: Buffer, _e, cb) {
        logText.push(chunk.toString());
        cb();
      },
    }),
  });

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'acd-token-'));
  logText = [];
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('API token', () => {
  it('uses a configured token and writes no file', async () => {
    const config = loadConfig({
      env: { ACD_DATA_DIR: dir, ACD_API_TOKEN: 'configured-token-123' },
    });
    const r = await resolveApiToken(config, logger());
    expect(r).toEqual({ token: 'configured-token-123', source: 'config' });
    await expect(stat(path.join(dir, 'api-token'))).rejects.toThrow();
  });

  it('generates a token into the data folder with mode 0600, logs where, never what', async () => {
    const config = loadConfig({ env: { ACD_DATA_DIR: path.join(dir, 'nested') } });
    const r = await resolveApiToken(config, logger());
    expect(r.source).toBe('generated');
    expect(r.token.length).toBeGreaterThanOrEqual(32);
    const file = path.join(dir, 'nested', 'api-token');
    expect(r.file).toBe(file);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await readFile(file, 'utf8')).trim()).toBe(r.token);
    const log = logText.join('');
    expect(log).toContain(file);
    expect(log).not.toContain(r.token);
  });

  it('reads the same token back on the next start and tightens loose permissions', async () => {
    const config = loadConfig({ env: { ACD_DATA_DIR: dir } });
    const first = await resolveApiToken(config, logger());
    await chmod(first.file!, 0o644);
    const second = await resolveApiToken(config, logger());
    expect(second).toEqual({ token: first.token, source: 'file', file: first.file });
    expect((await stat(first.file!)).mode & 0o777).toBe(0o600);
  });

  it('refuses a token file that holds no usable token', async () => {
    const file = path.join(dir, 'api-token');
    await writeFile(file, 'x\n', { mode: 0o600 });
    const config = loadConfig({ env: { ACD_DATA_DIR: dir } });
    await expect(resolveApiToken(config, logger())).rejects.toThrow(/no valid token/);
  });
});
