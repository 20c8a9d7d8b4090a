/**
 * Every environment variable the product reads, the key it sets and how its
 * text is read: the table is data, `config/environment.json`, checked here
 * when the module loads. docs/configuration.md lists the same table for users.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export type EnvKind = 'string' | 'int' | 'list';

export interface EnvOverride {
  env: string;
  key: string;
  kind: EnvKind;
  description: string;
}

const TABLE_FILE = fileURLToPath(new URL('../../../config/environment.json', import.meta.url));

const tableSchema = z.array(
  z.strictObject({
    env: z.string().regex(/^[A-Z][A-Z0-9_]*$/),
    key: z.string().regex(/^[a-zA-Z]+(\.[a-zA-Z]+)*$/),
    kind: z.enum(['string', 'int', 'list']),
    description: z.string().min(1),
  }),
);

/** Every environment variable the product reads (docs/configuration.md lists the same). */
export const ENV_OVERRIDES: readonly EnvOverride[] = tableSchema.parse(
  JSON.parse(fs.readFileSync(TABLE_FILE, 'utf8')),
);
