/**
 * pino JSON logger that keeps secrets out of the log.
 *
 * pino's path-based `redact` only reaches the paths listed, and later layers
 * log objects nobody listed here (a SIP request, a store row, an error's
 * context). So every logged object is walked and values under secret-looking
 * keys are censored. Key names are not enough: a driver error carries the
 * statement's parameters (PGlite attaches `params`), and a database message
 * may quote a row. So query parameters are never logged, and strings are
 * scrubbed by value as well: bearer and digest credentials, passwords inside
 * connection URLs, and anything shaped like a digest hash (32 or 64 hex
 * digits, the MD5 and SHA-256 HA1 the store keeps). Only the credentials are
 * cut: "digest authentication failed ..." stays readable. Logs are not a hot
 * path; the walk is bounded in depth.
 */
import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger } from 'pino';

export const CENSORED = '[redacted]';

/**
 * Key names (case-insensitive) whose values are secrets: passwords, tokens,
 * shared secrets, digest hashes (HA1) and credentials headers.
 */
const SECRET_KEY =
  /^(?:.*password|passwd|pass|pwd|.*secret|.*token|authorization|proxy-authorization|cookie|set-cookie|ha1.*|.*ha1|.*ha1(?:md5|sha256)|digest.*|credentials?|params|parameters)$/i;

/** Keys that look secret but only name where a secret is: safe to log. */
const SAFE_KEY = /^(?:tokenFile|tokenPath|secretFile)$/i;

const MAX_DEPTH = 8;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) && !SAFE_KEY.test(key);
}

/** Removes credentials that hide inside free text. */
export function scrubString(s: string): string {
  return (
    s
      // Authorization: Bearer xyz / Digest username=..., response="..."
      .replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, `$1 ${CENSORED}`)
      // Only a credentials list (`Digest name=...`), not prose about digests.
      .replace(/\bDigest\s+(?=[A-Za-z][\w-]*\s*=)[^\r\n]*/gi, `Digest ${CENSORED}`)
      // Digest hashes by value: HA1 (MD5 32, SHA-256 64 hex digits) and responses.
      .replace(/(?<![0-9A-Za-z])(?:[0-9a-fA-F]{64}|[0-9a-fA-F]{32})(?![0-9A-Za-z])/g, CENSORED)
      // scheme://user:password@host
      .replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]+):[^@\s]*@/gi, `$1:${CENSORED}@`)
      // ?token=... in URLs (the WebSocket stream accepts the token there)
      .replace(/([?&](?:token|access_token|secret)=)[^&\s]*/gi, `$1${CENSORED}`)
  );
}

export function redactValue(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return scrubString(value);
  if (typeof value !== 'object' || value === null) return value;
  // Errors go through pino's err serializer; scrub their text, keep the type.
  if (value instanceof Error) {
    const copy = new Error(scrubString(value.message));
    copy.name = value.name;
    if (value.stack) copy.stack = scrubString(value.stack);
    for (const [k, v] of Object.entries(value)) {
      (copy as unknown as Record<string, unknown>)[k] = isSecretKey(k)
        ? CENSORED
        : redactValue(v, depth + 1, seen);
    }
    return copy;
  }
  if (depth >= MAX_DEPTH || seen.has(value)) return '[...]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1, seen));
  if (value instanceof Date || Buffer.isBuffer(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = isSecretKey(k) ? CENSORED : redactValue(v, depth + 1, seen);
  }
  return out;
}

export interface LoggerOptions {
  level: string;
  /** Where JSON lines go; stdout when absent (tests pass a capturing stream). */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const logger = pino(
    {
      level: options.level,
      base: { service: 'open-acd' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (obj) => redactValue(obj) as Record<string, unknown>,
        bindings: (bindings) => redactValue(bindings) as Record<string, unknown>,
      },
      hooks: {
        // The message text and printf-style arguments are not seen by formatters.log.
        logMethod(args, method) {
          const cleaned = args.map((a) => (typeof a === 'string' ? scrubString(a) : a));
          method.apply(this, cleaned as Parameters<typeof method>);
        },
      },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
  // pino applies formatters.bindings to the root only, not to child loggers'
  // bindings. Children are created with Object.create(parent), so a `child`
  // set on the root is inherited by every descendant and scrubs theirs too.
  const pinoChild = logger.child;
  const scrubbingChild = function (this: Logger, bindings: Record<string, unknown>, opts?: object) {
    return pinoChild.call(this, redactValue(bindings) as Record<string, unknown>, opts);
  };
  logger.child = scrubbingChild as Logger['child'];
  return logger;
}
