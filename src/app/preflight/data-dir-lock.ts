/**
 * One process per data folder. PGlite has no lock of its own: a second
 * `npm start` in the same folder would open the same database files as the
 * first and corrupt them. The lock is a file created exclusively in the
 * data folder that holds the owner's process id; a file left by a process
 * that is gone (kill -9, power loss) is taken over.
 */
import { mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import path from 'node:path';
import { StartupError } from './startup-error.ts';

export const LOCK_FILE_NAME = 'open-acd.lock';

export interface DataDirLock {
  file: string;
  /** Removes the lock file; safe to call more than once. */
  release(): void;
}

/**
 * True when a process with this id runs and may be an open-acd: one of
 * another user counts too; on Linux, one that is not a Node process (the id
 * reused after a crash, e.g. in a restarted container) does not.
 */
function ownerRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return true; // no /proc (or not ours to read): trust the signal check
  }
  return /node|tsx/.test(cmdline);
}

function ownerOf(file: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/**
 * Takes the data folder's lock or throws a StartupError naming the process
 * that holds it and the setting that picks another folder.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  const dir = path.resolve(dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, LOCK_FILE_NAME);
  // Two rounds: the second after removing a lock whose owner is gone.
  for (let round = 0; round < 2; round++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = ownerOf(file);
      // Our own id in the file: a container restarted with the same pid.
      if (owner !== null && owner !== process.pid && ownerRuns(owner)) {
        throw new StartupError(
          `the data folder ${dir} is in use by another open-acd (pid ${owner}). ` +
            'Stop that process, or give this one its own folder with ACD_DATA_DIR (database.dataDir). ' +
            `If no process ${owner} runs open-acd, delete ${file}.`,
        );
      }
      rmSync(file, { force: true });
      continue;
    }
    writeSync(fd, `${process.pid}\n`);
    closeSync(fd);
    let released = false;
    return {
      file,
      release() {
        if (released) return;
        released = true;
        if (ownerOf(file) === process.pid) rmSync(file, { force: true });
      },
    };
  }
  throw new StartupError(`could not take the lock ${file}: another process keeps creating it`);
}
