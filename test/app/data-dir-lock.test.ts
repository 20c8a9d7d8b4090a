/**
 * The data folder's lock file, with real processes as owners: a running
 * Node process holds it; a process id that is gone, or that now belongs to
 * something that is not Node (an id reused after a crash), does not.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LOCK_FILE_NAME, lockDataDir } from '../../src/app/preflight/data-dir-lock.ts';
import { StartupError } from '../../src/app/preflight/startup-error.ts';
import { cleanUpMainRuns, tempDir } from '../support/run-main.ts';

const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGKILL');
      await new Promise((r) => c.once('exit', r));
    }
  }
  await cleanUpMainRuns();
});

function running(command: string, args: string[]): number {
  const child = spawn(command, args, { stdio: 'ignore' });
  children.push(child);
  return child.pid as number;
}

describe('data folder lock', () => {
  it('is taken, refused to a second taker while held, and removed on release', async () => {
    const dir = await tempDir('acd-lock-');
    const file = path.join(dir, LOCK_FILE_NAME);
    const lock = lockDataDir(dir);
    expect(readFileSync(file, 'utf8').trim()).toBe(String(process.pid));
    lock.release();
    lock.release();
    expect(existsSync(file)).toBe(false);
  });

  it('a running Node process holds it: the error names its pid and ACD_DATA_DIR', async () => {
    const dir = await tempDir('acd-lock-');
    const pid = running(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)']);
    writeFileSync(path.join(dir, LOCK_FILE_NAME), `${pid}\n`);
    expect(() => lockDataDir(dir)).toThrow(StartupError);
    expect(() => lockDataDir(dir)).toThrow(
      new RegExp(`in use by another open-acd \\(pid ${pid}\\).*ACD_DATA_DIR`),
    );
  });

  it('a pid that is gone, or reused by a process that is not Node, is taken over', async () => {
    for (const owner of [2 ** 22 + 1, running('sleep', ['60'])]) {
      const dir = await tempDir('acd-lock-');
      writeFileSync(path.join(dir, LOCK_FILE_NAME), `${owner}\n`);
      const lock = lockDataDir(dir);
      expect(readFileSync(path.join(dir, LOCK_FILE_NAME), 'utf8').trim()).toBe(String(process.pid));
      lock.release();
    }
  });
});
