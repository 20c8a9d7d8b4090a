/**
 * Digest computations (RFC 2617 §3.2.2, RFC 7616 §3.4.1, RFC 8760 for SIP):
 *   HA2      = H(method ":" digest-uri)
 *   response = H(HA1 ":" nonce ":" nc ":" cnonce ":" qop ":" HA2)   with qop
 *   response = H(HA1 ":" nonce ":" HA2)                              without qop (RFC 2069)
 * HA1 = H(username ":" realm ":" password) is stored per agent, so the
 * password itself is never needed here.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** The algorithms we offer and accept. `-sess` variants are not offered. */
export type DigestAlgorithm = 'SHA-256' | 'MD5';

const NODE_HASH: Record<DigestAlgorithm, string> = { 'SHA-256': 'sha256', MD5: 'md5' };
const HEX_LENGTH: Record<DigestAlgorithm, number> = { 'SHA-256': 64, MD5: 32 };

export function hashHex(algorithm: DigestAlgorithm, text: string): string {
  return createHash(NODE_HASH[algorithm]).update(text, 'utf8').digest('hex');
}

export function hexLength(algorithm: DigestAlgorithm): number {
  return HEX_LENGTH[algorithm];
}

/** Maps the `algorithm=` parameter (case-insensitive, MD5 when absent) to ours. */
export function parseAlgorithm(value: string | undefined): DigestAlgorithm | null {
  if (value === undefined) return 'MD5';
  const v = value.toUpperCase();
  if (v === 'MD5') return 'MD5';
  if (v === 'SHA-256') return 'SHA-256';
  return null;
}

export interface ResponseInput {
  algorithm: DigestAlgorithm;
  ha1: string;
  method: string;
  uri: string;
  nonce: string;
  /** Absent for RFC 2069 style responses (no qop). */
  qop?: { qop: 'auth'; nc: string; cnonce: string };
}

export function expectedResponse(input: ResponseInput): string {
  const ha2 = hashHex(input.algorithm, `${input.method}:${input.uri}`);
  const ha1 = input.ha1.toLowerCase();
  if (input.qop) {
    const { nc, cnonce, qop } = input.qop;
    return hashHex(input.algorithm, `${ha1}:${input.nonce}:${nc}:${cnonce}:${qop}:${ha2}`);
  }
  return hashHex(input.algorithm, `${ha1}:${input.nonce}:${ha2}`);
}

/**
 * Compares two hex digests in time that does not depend on where they differ.
 * Case-insensitive (clients may send upper-case hex).
 */
export function digestsEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a.toLowerCase(), 'utf8');
  const bb = Buffer.from(b.toLowerCase(), 'utf8');
  if (ab.length !== bb.length) {
    // Still spend the comparison so a length mismatch is not faster to find.
    timingSafeEqual(ab, ab);
    return false;
  }
  return timingSafeEqual(ab, bb);
}
