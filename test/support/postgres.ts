/**
 * Throwaway Postgres servers for tests (real server, no mocks).
 *
 * ```ts
 * import { startPostgres } from '../support/postgres.ts';
 *
 * let pg: TestPostgres;
 * beforeAll(async () => { pg = await startPostgres(); });   // ~1-2 s: initdb + start
 * afterAll(async () => { await pg?.stop(); });                // stops it, deletes the folder
 * test('...', async () => {
 *   const url = await pg.createDatabase();                    // a fresh, empty database
 *   // or: await pg.createMigratedDatabase()                  // fresh, with sql/ applied
 *   const db = openPostgres(url); ...; await db.close();
 * });
 * ```
 *
 * - Each call runs its own server: `initdb` into a new temporary folder, a
 *   free port on 127.0.0.1, its Unix socket inside that folder, fsync and
 *   synchronous commit off (speed over durability; the data dies with the
 *   test). Several vitest workers can each start their own at the same time.
 * - Binaries: `$PG_BIN_DIR`, else the highest `/usr/lib/postgresql/<v>/bin`,
 *   else `initdb`/`postgres` on PATH. `.ci/run` installs Debian's
 *   `postgresql` when they are missing.
 * - initdb and postgres refuse to run as root; as root, both run as the
 *   `postgres` system user (Node's spawn uid/gid), which owns the folder.
 * - `ACD_TEST_DATABASE_URL=postgres://user@host:port/db` skips the private
 *   server and creates the test databases on that server instead (`stop()`
 *   then drops them).
 * - A server still running when the process exits is killed and its folder
 *   deleted, so a crashed test run leaves nothing behind.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, chownSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { migrate, openPostgres } from '../../src/store/index.ts';

const run = promisify(execFile);

export interface TestPostgres {
  /** URL of the server's `postgres` database (superuser `postgres`, no password). */
  url: string;
  host: string;
  port: number;
  /** Creates an empty database and returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /**
   * Creates a database with every migration in sql/ applied, copied from a
   * template database migrated once per server (much faster than migrating).
   */
  createMigratedDatabase(): Promise<string>;
  /** Stops the server and deletes its folder; safe to call twice. */
  stop(): Promise<void>;
}

function findBinDir(): string {
  const fromEnv = process.env.PG_BIN_DIR;
  if (fromEnv) return fromEnv;
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => existsSync(path.join(root, v, 'bin', 'postgres')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return path.join(root, versions[0], 'bin');
  }
  try {
    const initdb = execFileSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' }).trim();
    if (initdb) return path.dirname(initdb);
  } catch {
    // not on PATH either
  }
  throw new Error(
    'PostgreSQL server binaries not found (looked in $PG_BIN_DIR, /usr/lib/postgresql/*/bin and PATH): install them with `apt-get install postgresql` (Debian) or set PG_BIN_DIR',
  );
}

/** uid/gid of the `postgres` system user when we are root (initdb refuses root). */
function runAs(): { uid: number; gid: number } | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    throw new Error(
      'running as root, but there is no `postgres` system user to run the test server as (Debian creates it with the postgresql package)',
    );
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

const live = new Set<{ child: ChildProcess; dir: string }>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const s of live) {
      s.child.kill('SIGKILL');
      rmSync(s.dir, { recursive: true, force: true });
    }
  });
}

function databaseUrl(base: string, name: string): string {
  const u = new URL(base);
  u.pathname = `/${name}`;
  return u.toString();
}

function newDatabaseName(): string {
  return `acd_test_${process.pid}_${randomBytes(4).toString('hex')}`;
}

/** `createMigratedDatabase` for the server at `adminUrl`; the template is built on first use. */
function migratedCopies(adminUrl: string, track: (name: string) => void): () => Promise<string> {
  let template: Promise<string> | undefined;
  return async () => {
    template ??= (async () => {
      const name = `${newDatabaseName()}_template`;
      track(name);
      const db = openPostgres(await createOn(adminUrl, name), { max: 1 });
      try {
        await migrate(db);
      } finally {
        // CREATE DATABASE ... TEMPLATE needs the template without connections.
        await db.close();
      }
      return name;
    })();
    const source = await template;
    const name = newDatabaseName();
    track(name);
    return createOn(adminUrl, name, source);
  };
}

async function createOn(adminUrl: string, name: string, template?: string): Promise<string> {
  for (const n of [name, template ?? name]) {
    if (!/^[a-z_][a-z0-9_]*$/.test(n)) throw new Error(`bad database name ${n}`);
  }
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`);
  } finally {
    await client.end();
  }
  return databaseUrl(adminUrl, name);
}

/** Uses the server at ACD_TEST_DATABASE_URL: databases are created there and dropped at stop(). */
function useExternal(adminUrl: string): TestPostgres {
  const created: string[] = [];
  const u = new URL(adminUrl);
  let stopped = false;
  return {
    url: adminUrl,
    host: u.hostname,
    port: Number(u.port || 5432),
    async createDatabase(name = newDatabaseName()) {
      const url = await createOn(adminUrl, name);
      created.push(name);
      return url;
    },
    createMigratedDatabase: migratedCopies(adminUrl, (name) => created.push(name)),
    async stop() {
      if (stopped) return;
      stopped = true;
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        for (const name of created)
          await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

async function startOnce(
  bin: string,
  user: { uid: number; gid: number } | undefined,
): Promise<TestPostgres> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'acd-pg-'));
  const dataDir = path.join(dir, 'data');
  if (user) chownSync(dir, user.uid, user.gid);
  const opts = { ...(user ?? {}), env: { ...process.env, LC_ALL: 'C', LANG: 'C' } };
  try {
    await run(
      path.join(bin, 'initdb'),
      ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-locale', '--no-sync'],
      opts,
    );
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`initdb failed: ${stderr || String(err)}`);
  }
  const port = await freePort();
  const child = spawn(
    path.join(bin, 'postgres'),
    [
      '-D',
      dataDir,
      '-p',
      String(port),
      '-h',
      '127.0.0.1',
      '-k',
      dir,
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'max_connections=60',
      '-c',
      'shared_buffers=32MB',
      '-c',
      'log_min_messages=fatal',
    ],
    { ...opts, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const entry = { child, dir };
  live.add(entry);
  installExitHook();
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    if (stderr.length < 20_000) stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        // SIGINT = "fast shutdown": disconnect clients, stop at once.
        child.kill('SIGINT');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      live.delete(entry);
      rmSync(dir, { recursive: true, force: true });
    })();
    return stopped;
  };

  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const deadline = Date.now() + 30_000;
  let ready = false;
  while (Date.now() < deadline && child.exitCode === null) {
    if (await canConnect(url)) {
      ready = true;
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!ready) {
    await stop();
    throw new Error(`postgres did not start on port ${port}: ${stderr.trim() || 'no output'}`);
  }
  return {
    url,
    host: '127.0.0.1',
    port,
    createDatabase: (name = newDatabaseName()) => createOn(url, name),
    // The server and its folder go at stop(): nothing to track.
    createMigratedDatabase: migratedCopies(url, () => {}),
    stop,
  };
}

/** Starts a private Postgres server (or uses ACD_TEST_DATABASE_URL); see the top of this file. */
export async function startPostgres(): Promise<TestPostgres> {
  const external = process.env.ACD_TEST_DATABASE_URL;
  if (external) return useExternal(external);
  const bin = findBinDir();
  const user = runAs();
  // The port is free when chosen but another process may take it before
  // postgres binds it: try again with a new port.
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(bin, user);
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}
