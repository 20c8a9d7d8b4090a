/**
 * A private Postgres server that a test can stop and start again on the same
 * data folder and port, to take the database away mid-stream (test/support's
 * `startPostgres()` deletes its folder on stop, so it cannot come back).
 * As root, initdb and postgres run as the `postgres` system user.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

function binDir(): string {
  if (process.env.PG_BIN_DIR) return process.env.PG_BIN_DIR;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(path.join(root, v, 'bin', 'postgres')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!versions[0]) throw new Error('PostgreSQL binaries not found (set PG_BIN_DIR)');
  return path.join(root, versions[0], 'bin');
}

function systemUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) =>
    Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      server.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

async function reachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  client.on('error', () => {});
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

export class RestartablePostgres {
  #child: ChildProcess | null = null;
  #exited: Promise<void> | null = null;
  #destroyed = false;

  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly bin: string,
    readonly user: { uid: number; gid: number } | undefined,
  ) {}

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  get running(): boolean {
    return this.#child !== null;
  }

  static async create(): Promise<RestartablePostgres> {
    const bin = binDir();
    const user = systemUser();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'acd-calls-pg-'));
    if (user) chownSync(dir, user.uid, user.gid);
    await run(
      path.join(bin, 'initdb'),
      [
        '-D',
        path.join(dir, 'data'),
        '-U',
        'postgres',
        '-A',
        'trust',
        '-E',
        'UTF8',
        '--no-locale',
        '--no-sync',
      ],
      { ...(user ?? {}), env: { ...process.env, LC_ALL: 'C', LANG: 'C' } },
    );
    const pgServer = new RestartablePostgres(dir, await freeTcpPort(), bin, user);
    process.once('exit', () => {
      pgServer.#child?.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    });
    await pgServer.start();
    return pgServer;
  }

  async start(): Promise<void> {
    if (this.#destroyed) throw new Error('destroyed');
    if (this.#child) return;
    const child = spawn(
      path.join(this.bin, 'postgres'),
      [
        '-D',
        path.join(this.dir, 'data'),
        '-p',
        String(this.port),
        '-h',
        '127.0.0.1',
        '-k',
        this.dir,
        '-c',
        'fsync=off',
        '-c',
        'full_page_writes=off',
        '-c',
        'log_min_messages=fatal',
      ],
      { ...(this.user ?? {}), stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (c: string) => {
      if (stderr.length < 10_000) stderr += c;
    });
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && child.exitCode === null) {
      if (await reachable(this.url)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    await this.stop();
    throw new Error(`postgres did not start on port ${this.port}: ${stderr.trim()}`);
  }

  /** Fast shutdown (clients are disconnected); the data stays. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#child = null;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await this.#exited;
    clearTimeout(timer);
  }

  /** Stops the server and deletes its folder; safe to call twice. */
  async destroy(): Promise<void> {
    if (this.#destroyed) return;
    this.#destroyed = true;
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
