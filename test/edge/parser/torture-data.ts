/**
 * Access to the RFC 4475 torture messages. They are read in place from the
 * folder named by `ACD_SHARED_DIR` (its `rfc4475/` holds `index.tsv` and one
 * `.dat` file per message) and are never copied into the repository. When
 * the folder is not set or does not hold them, the corpus says why, so the
 * suite can fail once with a message that names the setting.
 */

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface TortureCase {
  name: string;
  section: string;
  title: string;
  verdict: 'valid' | 'invalid' | 'valid-syntax' | 'unreferenced';
  expected: string;
  bytes: Buffer;
}

export type TortureCorpus = { ok: true; cases: TortureCase[] } | { ok: false; missing: string };

/** Why the RFC 4475 messages cannot be read, or null when they can. */
export function tortureDataProblem(env: NodeJS.ProcessEnv = process.env): string | null {
  const dir = env.ACD_SHARED_DIR;
  const how =
    'Set ACD_SHARED_DIR to the folder whose rfc4475/ holds index.tsv and the .dat files ' +
    '(e.g. ACD_SHARED_DIR=/path/to/shared npm test; see docs/testing.md).';
  if (dir === undefined || dir === '') {
    return `RFC 4475 test messages not found: ACD_SHARED_DIR is not set. ${how}`;
  }
  const index = path.join(dir, 'rfc4475', 'index.tsv');
  if (!existsSync(index)) {
    return `RFC 4475 test messages not found: ACD_SHARED_DIR=${dir} has no rfc4475/index.tsv. ${how}`;
  }
  return null;
}

/** All cases of index.tsv with the raw bytes of their `.dat` file. */
export function loadTortureCorpus(env: NodeJS.ProcessEnv = process.env): TortureCorpus {
  const problem = tortureDataProblem(env);
  if (problem !== null) return { ok: false, missing: problem };
  const dir = path.join(env.ACD_SHARED_DIR as string, 'rfc4475');
  const tsv = readFileSync(path.join(dir, 'index.tsv'), 'utf8');
  const rows = tsv.split('\n').filter((l) => l.trim().length > 0);
  const cases = rows.slice(1).map((row) => {
    const [name = '', section = '', title = '', verdict = '', expected = ''] = row.split('\t');
    return {
      name,
      section,
      title,
      verdict: verdict as TortureCase['verdict'],
      expected,
      bytes: readFileSync(path.join(dir, `${name}.dat`)),
    };
  });
  return { ok: true, cases };
}
