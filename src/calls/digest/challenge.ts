/**
 * `WWW-Authenticate` values for a 401 (RFC 3261 §22.4, RFC 8760 §2.4): one
 * challenge per algorithm, most preferred first (SHA-256 before MD5), all with
 * the same nonce, `qop="auth"`, and `stale=true` when the client's nonce had
 * only expired (so it retries without asking the user for the password).
 */
import type { DigestAlgorithm } from './compute.ts';
import { quote } from './header-params.ts';

export interface ChallengeInput {
  realm: string;
  nonce: string;
  algorithms: readonly DigestAlgorithm[];
  stale: boolean;
}

export function challengeValues(input: ChallengeInput): string[] {
  return input.algorithms.map((algorithm) => {
    const parts = [
      `realm=${quote(input.realm)}`,
      `nonce=${quote(input.nonce)}`,
      `algorithm=${algorithm}`,
      'qop="auth"',
    ];
    if (input.stale) parts.push('stale=true');
    return `Digest ${parts.join(', ')}`;
  });
}
