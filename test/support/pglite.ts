/**
 * Fast, already-migrated in-memory PGlite databases for tests, on a worker
 * thread as `openPglite` runs them in the product.
 *
 * ```ts
 * import { openMigratedPglite } from '../support/pglite.ts';
 * const db = await openMigratedPglite();   // empty schema from sql/, all migrations applied
 * ...
 * await db.close();
 * ```
 *
 * A fresh PGlite runs initdb inside WASM (seconds on a busy 2-core machine).
 * Instead, the first call builds a template once (initdb + every migration),
 * dumps its data folder to a tarball, and later calls start from that tarball
 * (a few hundred ms). The tarball is cached in node_modules/.cache/open-acd/
 * under a name that hashes the PGlite version and every migration's checksum,
 * so parallel vitest workers and later runs share it, and a changed migration
 * builds a new one (replacing the old).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import {
  type Db,
  loadMigrations,
  migrate,
  openPgliteThread,
  wrapPglite,
} from '../../src/store/index.ts';

/** PGlite's version: its package.json is not exported, so find it beside the entry point. */
function pgliteVersion(): string {
  let dir = path.dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
  while (dir !== path.dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === '@electric-sql/pglite') return pkg.version ?? 'unknown';
    } catch {
      // no package.json here: look one level up
    }
    dir = path.dirname(dir);
  }
  return 'unknown';
}

// node_modules/.cache is where tools keep rebuildable caches (ignored by git).
const CACHE_DIR = fileURLToPath(new URL('../../node_modules/.cache/open-acd/', import.meta.url));
const PREFIX = 'pglite-template-';

function templatePath(): string {
  const hash = createHash('sha256').update(pgliteVersion());
  for (const m of loadMigrations()) hash.update(`${m.name}:${m.checksum}\n`);
  return path.join(CACHE_DIR, `${PREFIX}${hash.digest('hex').slice(0, 16)}.tar`);
}

async function buildTemplate(file: string): Promise<Blob> {
  const lite = await PGlite.create();
  const db = wrapPglite(lite);
  try {
    await migrate(db);
    const dump = await lite.dumpDataDir('none');
    const bytes = Buffer.from(await dump.arrayBuffer());
    try {
      await mkdir(CACHE_DIR, { recursive: true });
      // Templates of older migrations are dead weight.
      for (const old of await readdir(CACHE_DIR)) {
        if (old.startsWith(PREFIX) && path.join(CACHE_DIR, old) !== file) {
          await rm(path.join(CACHE_DIR, old), { force: true });
        }
      }
      // Write then rename, so a parallel reader never sees half a file.
      const tmp = `${file}.${process.pid}.${Date.now()}`;
      await writeFile(tmp, bytes);
      await rename(tmp, file);
    } catch {
      // No cache (read-only checkout): every process builds its own template.
    }
    return new Blob([bytes]);
  } finally {
    await db.close();
  }
}

let template: Promise<Blob> | undefined;

/** The migrated template as a `loadDataDir` dump, built or read once per process. */
export function migratedTemplate(): Promise<Blob> {
  template ??= (async () => {
    const file = templatePath();
    try {
      return new Blob([await readFile(file)]);
    } catch {
      return buildTemplate(file);
    }
  })();
  return template;
}

/**
 * An in-memory PGlite with every migration in `sql/` applied, on a worker
 * thread as in the product (`openPglite`).
 */
export async function openMigratedPglite(): Promise<Db> {
  return openPgliteThread({ loadDataDir: await migratedTemplate() });
}
