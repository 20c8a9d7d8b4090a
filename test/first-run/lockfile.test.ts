/**
 * A fresh clone must stay clean after `npm install`: npm adds to
 * package-lock.json every optional dependency a locked package declares
 * (every platform's binaries of biome, esbuild, ...), so the lock must list
 * them all already. `npm ci` also refuses a lock that lacks them.
 */

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

interface LockEntry {
  optionalDependencies?: Record<string, string>;
}
interface Lock {
  packages: Record<string, LockEntry>;
}

/** Where Node would find `name` from the package installed at `from`. */
function resolvesTo(packages: Lock['packages'], from: string, name: string): string | undefined {
  let dir = from;
  for (;;) {
    const candidate = `${dir === '' ? '' : `${dir}/`}node_modules/${name}`;
    if (candidate in packages) return candidate;
    if (dir === '') return undefined;
    const cut = dir.lastIndexOf('/node_modules/');
    dir = cut < 0 ? '' : dir.slice(0, cut);
  }
}

/** Optional dependencies declared by a locked package that the lock does not list. */
function missingOptionals(lock: Lock): string[] {
  const missing: string[] = [];
  for (const [at, entry] of Object.entries(lock.packages)) {
    for (const name of Object.keys(entry.optionalDependencies ?? {})) {
      if (resolvesTo(lock.packages, at, name) === undefined)
        missing.push(`${at || '(root)'} -> ${name}`);
    }
  }
  return missing;
}

describe('package-lock.json', () => {
  it('lists every optional dependency that a locked package declares', () => {
    const lock = JSON.parse(
      readFileSync(path.resolve(import.meta.dirname, '../../package-lock.json'), 'utf8'),
    ) as Lock;
    expect(Object.keys(lock.packages).length).toBeGreaterThan(10);
    expect(missingOptionals(lock)).toEqual([]);
  });

  it('the check finds a missing platform binary, nested or not', () => {
    const lock: Lock = {
      packages: {
        '': {},
        'node_modules/tool': { optionalDependencies: { 'tool-linux': '1', 'tool-win': '1' } },
        'node_modules/tool-linux': {},
        'node_modules/a/node_modules/b': { optionalDependencies: { c: '1', d: '1' } },
        'node_modules/a/node_modules/c': {},
      },
    };
    expect(missingOptionals(lock)).toEqual([
      'node_modules/tool -> tool-win',
      'node_modules/a/node_modules/b -> d',
    ]);
  });
});
