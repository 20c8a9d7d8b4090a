/**
 * What `npm start` checks before it starts anything: the data folder is not
 * used by another instance (embedded PGlite only), and every port it will
 * listen on is free. Returns the lock to release after the app has closed.
 */
import type { Config } from '../settings/config.ts';
import { type DataDirLock, lockDataDir } from './data-dir-lock.ts';
import { checkPorts, portsToCheck } from './port-check.ts';

export { StartupError } from './startup-error.ts';

export async function preflight(config: Config): Promise<{ release(): void }> {
  const lock: DataDirLock | null =
    config.database.url === null ? lockDataDir(config.database.dataDir) : null;
  try {
    await checkPorts(portsToCheck(config));
  } catch (err) {
    lock?.release();
    throw err;
  }
  return { release: () => lock?.release() };
}
