/**
 * Configuration: `config/default.json`, optionally a JSON file named by
 * `ACD_CONFIG_FILE` merged over it, then environment variables (table below).
 * The merged result is validated once at start; every problem is reported
 * with the key, the environment variable it came from and what is wrong, and
 * the process stops (main.ts) instead of running half-configured.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const port = z.number().int().min(0).max(65535);
const positiveInt = z.number().int().min(1);
const nonEmpty = z.string().min(1);

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const configSchema = z
  .strictObject({
    http: z.strictObject({ host: nonEmpty, port }),
    database: z.strictObject({
      /** null = embedded PGlite in `dataDir`. */
      url: z
        .string()
        .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
        .nullable(),
      dataDir: nonEmpty,
      poolMax: positiveInt.max(100),
    }),
    api: z.strictObject({
      /** null = read or create `tokenFile` (embedded mode only). */
      token: z.string().min(16, 'must be at least 16 characters').nullable(),
      /** Optional second token allowed to read (GET, event stream) but not to change anything. */
      readToken: z.string().min(16, 'must be at least 16 characters').nullable(),
      /** null = `<dataDir>/api-token`. */
      tokenFile: nonEmpty.nullable(),
    }),
    log: z.strictObject({ level: z.enum(LOG_LEVELS) }),
    sip: z.strictObject({
      /** Digest realm; changing it invalidates every stored password hash. */
      realm: nonEmpty,
      host: nonEmpty,
      port,
      transports: z.array(z.enum(['udp', 'tcp'])).min(1),
      registrar: z.strictObject({ minExpires: positiveInt, maxExpires: positiveInt }),
      trunk: z.strictObject({
        /** Addresses calls are accepted from besides registered agents. */
        addresses: z.array(nonEmpty),
        /** SIP URI of the outbound trunk used to reach mobiles; null = no mobiles. */
        outboundUri: z
          .string()
          .regex(/^sips?:/, 'must be a sip: or sips: URI')
          .nullable(),
      }),
    }),
    drachtio: z.strictObject({
      /** null = start the embedded SIP server and listen for srf on 127.0.0.1:`port`. */
      host: nonEmpty.nullable(),
      port,
      /** Required with a real drachtio-server; the embedded one makes its own when null. */
      secret: nonEmpty.nullable(),
    }),
    media: z.strictObject({
      freeswitch: z.strictObject({
        /** null = embedded RTP media. */
        host: nonEmpty.nullable(),
        port,
        secret: nonEmpty.nullable(),
      }),
      rtpPortMin: port,
      rtpPortMax: port,
    }),
    shutdown: z.strictObject({ graceMs: z.number().int().min(0).max(600_000) }),
  })
  .superRefine((c, ctx) => {
    if (c.sip.registrar.minExpires > c.sip.registrar.maxExpires) {
      ctx.addIssue({
        code: 'custom',
        path: ['sip', 'registrar', 'minExpires'],
        message: 'must not be greater than sip.registrar.maxExpires',
      });
    }
    if (c.media.rtpPortMin > c.media.rtpPortMax) {
      ctx.addIssue({
        code: 'custom',
        path: ['media', 'rtpPortMin'],
        message: 'must not be greater than media.rtpPortMax',
      });
    }
    if (c.drachtio.host !== null && c.drachtio.secret === null) {
      ctx.addIssue({
        code: 'custom',
        path: ['drachtio', 'secret'],
        message: 'is required when drachtio.host names a drachtio-server',
      });
    }
    if (c.media.freeswitch.host !== null && c.media.freeswitch.secret === null) {
      ctx.addIssue({
        code: 'custom',
        path: ['media', 'freeswitch', 'secret'],
        message: 'is required when media.freeswitch.host is set',
      });
    }
    // A generated token lives in the data folder; a production deployment
    // with a database server has no business writing secrets to local disk.
    if (c.api.readToken !== null && c.api.readToken === c.api.token) {
      ctx.addIssue({
        code: 'custom',
        path: ['api', 'readToken'],
        message: 'must differ from api.token',
      });
    }
    if (c.database.url !== null && c.api.token === null) {
      ctx.addIssue({
        code: 'custom',
        path: ['api', 'token'],
        message: 'is required when database.url (DATABASE_URL) is set',
      });
    }
  });

export type Config = z.infer<typeof configSchema>;

type EnvKind = 'string' | 'int' | 'list';

export interface EnvOverride {
  env: string;
  key: string;
  kind: EnvKind;
  description: string;
}

/** Every environment variable the product reads (docs/api.md lists the same). */
export const ENV_OVERRIDES: readonly EnvOverride[] = [
  { env: 'ACD_HTTP_HOST', key: 'http.host', kind: 'string', description: 'API listen address' },
  { env: 'ACD_HTTP_PORT', key: 'http.port', kind: 'int', description: 'API port (0 = any free)' },
  {
    env: 'DATABASE_URL',
    key: 'database.url',
    kind: 'string',
    description: 'Postgres server URL; unset = embedded PGlite in the data folder',
  },
  {
    env: 'ACD_DATA_DIR',
    key: 'database.dataDir',
    kind: 'string',
    description: 'data folder (PGlite database, generated API token)',
  },
  {
    env: 'ACD_DB_POOL_MAX',
    key: 'database.poolMax',
    kind: 'int',
    description: 'Postgres connection pool size',
  },
  { env: 'ACD_API_TOKEN', key: 'api.token', kind: 'string', description: 'API bearer token' },
  {
    env: 'ACD_API_READ_TOKEN',
    key: 'api.readToken',
    kind: 'string',
    description: 'optional read-only token (wallboards): GET and events, writes get 403',
  },
  {
    env: 'ACD_API_TOKEN_FILE',
    key: 'api.tokenFile',
    kind: 'string',
    description: 'where the generated token is kept (default <dataDir>/api-token)',
  },
  { env: 'ACD_LOG_LEVEL', key: 'log.level', kind: 'string', description: 'pino log level' },
  { env: 'ACD_SIP_REALM', key: 'sip.realm', kind: 'string', description: 'SIP digest realm' },
  { env: 'ACD_SIP_HOST', key: 'sip.host', kind: 'string', description: 'SIP listen address' },
  { env: 'ACD_SIP_PORT', key: 'sip.port', kind: 'int', description: 'SIP listen port' },
  {
    env: 'ACD_SIP_TRANSPORTS',
    key: 'sip.transports',
    kind: 'list',
    description: 'comma-separated: udp,tcp',
  },
  {
    env: 'ACD_REGISTER_MIN_EXPIRES',
    key: 'sip.registrar.minExpires',
    kind: 'int',
    description: 'shortest REGISTER Expires accepted (423 below)',
  },
  {
    env: 'ACD_REGISTER_MAX_EXPIRES',
    key: 'sip.registrar.maxExpires',
    kind: 'int',
    description: 'longest REGISTER Expires granted',
  },
  {
    env: 'ACD_TRUNK_ADDRESSES',
    key: 'sip.trunk.addresses',
    kind: 'list',
    description: 'comma-separated addresses calls are accepted from',
  },
  {
    env: 'ACD_TRUNK_URI',
    key: 'sip.trunk.outboundUri',
    kind: 'string',
    description: 'outbound trunk SIP URI for mobiles',
  },
  {
    env: 'ACD_DRACHTIO_HOST',
    key: 'drachtio.host',
    kind: 'string',
    description: 'real drachtio-server host; unset = embedded SIP server',
  },
  {
    env: 'ACD_DRACHTIO_PORT',
    key: 'drachtio.port',
    kind: 'int',
    description: 'drachtio control port',
  },
  {
    env: 'ACD_DRACHTIO_SECRET',
    key: 'drachtio.secret',
    kind: 'string',
    description: 'drachtio control secret',
  },
  {
    env: 'ACD_FREESWITCH_HOST',
    key: 'media.freeswitch.host',
    kind: 'string',
    description: 'FreeSWITCH event socket host; unset = embedded media',
  },
  {
    env: 'ACD_FREESWITCH_PORT',
    key: 'media.freeswitch.port',
    kind: 'int',
    description: 'FreeSWITCH event socket port',
  },
  {
    env: 'ACD_FREESWITCH_SECRET',
    key: 'media.freeswitch.secret',
    kind: 'string',
    description: 'FreeSWITCH event socket password',
  },
  {
    env: 'ACD_RTP_PORT_MIN',
    key: 'media.rtpPortMin',
    kind: 'int',
    description: 'first RTP port',
  },
  { env: 'ACD_RTP_PORT_MAX', key: 'media.rtpPortMax', kind: 'int', description: 'last RTP port' },
  {
    env: 'ACD_SHUTDOWN_GRACE_MS',
    key: 'shutdown.graceMs',
    kind: 'int',
    description: 'how long shutdown waits for in-flight work',
  },
];

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

const DEFAULT_FILE = fileURLToPath(new URL('../../config/default.json', import.meta.url));

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
