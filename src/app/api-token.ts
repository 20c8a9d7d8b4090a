/**
 * The admin API's bearer token. Configured (ACD_API_TOKEN) it is used as is.
 * Otherwise, in embedded mode, the first start generates one and keeps it in
 * the data folder, readable by the owner only; later starts read it back.
 * Only the file's location is ever logged.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from './settings/config.ts';
import type { Logger } from './runtime/logger.ts';

export const TOKEN_FILE_NAME = 'api-token';

export function tokenFilePath(config: Config): string {
  return path.resolve(config.api.tokenFile ?? path.join(config.database.dataDir, TOKEN_FILE_NAME));
}

export interface ResolvedToken {
  token: string;
  source: 'config' | 'file' | 'generated';
  /** Set when the token lives in a file. */
  file?: string;
}

async function readExisting(file: string, logger: Logger): Promise<string | null> {
  let mode: number;
  try {
    mode = (await stat(file)).mode;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  // Someone loosened the permissions (or copied the folder): tighten them again.
  if ((mode & 0o077) !== 0) {
    await chmod(file, 0o600);
    logger.warn({ tokenFile: file }, 'API token file was readable by others; reset to 0600');
  }
  const token = (await readFile(file, 'utf8')).trim();
  if (token.length < 16) {
    throw new Error(
      `API token file ${file} holds no valid token (delete it to generate a new one)`,
    );
  }
  return token;
}

export async function resolveApiToken(config: Config, logger: Logger): Promise<ResolvedToken> {
  if (config.api.token !== null) return { token: config.api.token, source: 'config' };
  const file = tokenFilePath(config);
  const existing = await readExisting(file, logger);
  if (existing !== null) {
    logger.info({ tokenFile: file }, 'API token read from file');
    return { token: existing, source: 'file', file };
  }
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const token = randomBytes(32).toString('base64url');
  // 'wx' fails if a concurrent start created the file first; mode 0600 from
  // the first byte, then chmod again in case a umask interfered.
  await writeFile(file, `${token}\n`, { flag: 'wx', mode: 0o600 });
  await chmod(file, 0o600);
  logger.info({ tokenFile: file }, 'generated an API token; it is in this file (owner-only)');
  return { token, source: 'generated', file };
}
