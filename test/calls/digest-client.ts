/**
 * A UAC-side digest calculator written independently of src/calls/digest
 * (straight from RFC 7616 §3.4.1 with node:crypto), so tests do not check the
 * server against its own formulas.
 */
import { createHash } from 'node:crypto';

export type Algo = 'MD5' | 'SHA-256';

export function h(algo: Algo, s: string): string {
  return createHash(algo === 'MD5' ? 'md5' : 'sha256')
    .update(s)
    .digest('hex');
}

export function ha1(algo: Algo, user: string, realm: string, password: string): string {
  return h(algo, `${user}:${realm}:${password}`);
}

/** Reads `name="value"` or `name=value` out of one challenge (test inputs only). */
export function challengeParam(challenge: string, name: string): string | undefined {
  const m = new RegExp(`[\\s,]${name}=(?:"([^"]*)"|([^,\\s]+))`).exec(challenge);
  return m ? (m[1] ?? m[2]) : undefined;
}

export interface AnswerInput {
  algo: Algo;
  user: string;
  realm: string;
  password: string;
  nonce: string;
  method: string;
  uri: string;
  nc?: number;
  cnonce?: string;
  /** Leave out qop, nc and cnonce (RFC 2069 style). */
  noQop?: boolean;
}

export function authorization(a: AnswerInput): string {
  const k1 = ha1(a.algo, a.user, a.realm, a.password);
  const k2 = h(a.algo, `${a.method}:${a.uri}`);
  const nc = (a.nc ?? 1).toString(16).padStart(8, '0');
  const cnonce = a.cnonce ?? 'c0ffee42';
  const base = `Digest username="${a.user}", realm="${a.realm}", nonce="${a.nonce}", uri="${a.uri}", algorithm=${a.algo}`;
  if (a.noQop) {
    return `${base}, response="${h(a.algo, `${k1}:${a.nonce}:${k2}`)}"`;
  }
  const response = h(a.algo, `${k1}:${a.nonce}:${nc}:${cnonce}:auth:${k2}`);
  return `${base}, response="${response}", qop=auth, nc=${nc}, cnonce="${cnonce}"`;
}
