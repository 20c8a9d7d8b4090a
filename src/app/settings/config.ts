/**
 * Configuration: `config/default.json`, optionally a JSON file named by
 * `ACD_CONFIG_FILE` merged over it, then environment variables (env-overrides.ts).
 * The merged result is validated once at start; every problem is reported
 * with the key, the environment variable it came from and what is wrong, and
 * the process stops (main.ts) instead of running half-configured.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Config, configSchema } from './config-schema.ts';
import { ENV_OVERRIDES, type EnvKind } from './env-overrides.ts';

export { type Config, configSchema, LOG_LEVELS } from './config-schema.ts';
export { ENV_OVERRIDES, type EnvOverride } from './env-overrides.ts';

export interface ConfigProblem {
  key: string;
  /** Set when the value came from an environment variable. */
  env?: string;
  message: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(
      `invalid configuration:\n${problems
        .map((p) => `  ${p.key}${p.env ? ` (${p.env})` : ''}: ${p.message}`)
        .join('\n')}`,
    );
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const DEFAULT_FILE = fileURLToPath(new URL('../../../config/default.json', import.meta.url));

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function mergeInto(target: JsonObject, source: JsonObject): void {
  for (const [k, v] of Object.entries(source)) {
    const current = target[k];
    if (isObject(current) && isObject(v)) mergeInto(current, v);
    else target[k] = v;
  }
}

function setPath(target: JsonObject, key: string, value: Json): void {
  const parts = key.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (!isObject(next)) {
      const created: JsonObject = {};
      node[part] = created;
      node = created;
    } else node = next;
  }
  node[parts[parts.length - 1]!] = value;
}

function convert(raw: string, kind: EnvKind): Json {
  switch (kind) {
    case 'string':
      return raw;
    // Non-numeric text is passed through as a string so validation reports
    // it with the variable's name instead of it silently becoming NaN.
    case 'int':
      return /^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : raw;
    case 'list':
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
  }
}

function readJsonFile(file: string, problems: ConfigProblem[], label: string): JsonObject | null {
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (!isObject(parsed)) {
      problems.push({ key: label, message: `${file} must hold a JSON object` });
      return null;
    }
    return parsed;
  } catch (err) {
    problems.push({ key: label, message: `cannot read ${file}: ${(err as Error).message}` });
    return null;
  }
}

/** Keys whose values are secrets (or may embed one): never echoed in messages. */
const SECRET_KEYS = new Set([
  'api.token',
  'api.readToken',
  'database.url',
  'drachtio.secret',
  'media.freeswitch.secret',
  'media.embedded.password',
]);

function describeValue(key: string, v: unknown): string {
  if (v === undefined) return 'nothing';
  if (SECRET_KEYS.has(key) && typeof v === 'string') return `a secret of ${v.length} characters`;
  return JSON.stringify(v);
}

function valueAt(root: unknown, pathParts: readonly PropertyKey[]): unknown {
  let node = root;
  for (const p of pathParts) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[p];
  }
  return node;
}

export interface LoadConfigOptions {
  /** Defaults to process.env. */
  env?: Record<string, string | undefined>;
  /** Values merged over the files and under the environment (tests use this). */
  overrides?: Record<string, unknown>;
}

/** Reads, merges and validates the configuration; throws ConfigError naming every bad key. */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const problems: ConfigProblem[] = [];
  const merged = readJsonFile(DEFAULT_FILE, problems, 'config/default.json') ?? {};
  const extraFile = env.ACD_CONFIG_FILE;
  if (extraFile) {
    const extra = readJsonFile(path.resolve(extraFile), problems, 'ACD_CONFIG_FILE');
    if (extra) mergeInto(merged, extra);
  }
  if (options.overrides) mergeInto(merged, options.overrides as JsonObject);
  const fromEnv = new Map<string, string>();
  for (const o of ENV_OVERRIDES) {
    const raw = env[o.env];
    // An empty variable counts as unset, as shells and compose files produce them easily.
    if (raw === undefined || raw === '') continue;
    setPath(merged, o.key, convert(raw, o.kind));
    fromEnv.set(o.key, o.env);
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const result = configSchema.safeParse(merged);
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    const key = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) {
        problems.push({ key: key ? `${key}.${k}` : k, message: 'unknown key' });
      }
      continue;
    }
    const envName = fromEnv.get(key);
    const got = describeValue(key, valueAt(merged, issue.path));
    problems.push({
      key,
      ...(envName ? { env: envName } : {}),
      message: `${issue.message} (got ${got})`,
    });
  }
  throw new ConfigError(problems);
}
