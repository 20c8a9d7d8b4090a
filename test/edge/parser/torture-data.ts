/**
 * Access to the RFC 4475 torture messages, read in place from the shared
 * design data (never copied into the repository).
 */

import { readFileSync } from 'node:fs';
import path from 'node:path';

export const TORTURE_DIR = path.join(
  process.env.ACD_SHARED_DIR ?? path.resolve(import.meta.dirname, '../../../../shared'),
  'rfc4475',
);

export interface TortureCase {
  name: string;
  section: string;
  title: string;
  verdict: 'valid' | 'invalid' | 'valid-syntax' | 'unreferenced';
  expected: string;
  bytes: Buffer;
}

/** All cases of index.tsv with the raw bytes of their `.dat` file. */
export function loadTortureCases(): TortureCase[] {
  const tsv = readFileSync(path.join(TORTURE_DIR, 'index.tsv'), 'utf8');
  const rows = tsv.split('\n').filter((l) => l.trim().length > 0);
  return rows.slice(1).map((row) => {
    const [name = '', section = '', title = '', verdict = '', expected = ''] = row.split('\t');
    return {
      name,
      section,
      title,
      verdict: verdict as TortureCase['verdict'],
      expected,
      bytes: readFileSync(path.join(TORTURE_DIR, `${name}.dat`)),
    };
  });
}
