/**
 * Server-side SIP digest authentication (RFC 3261 §22, RFC 2617/7616 with
 * qop=auth, RFC 8760 SHA-256 and MD5), against stored HA1 hashes.
 *
 * One call to `authenticate()` per request decides between: authenticated,
 * 401 challenge (first request, or stale nonce), 403 (wrong credentials,
 * unknown user), 400 (malformed credentials), 503 with Retry-After (locked
 * out after repeated failures: a username from one source address after a
 * few, a whole source address after many). Failures are logged with the
 * source and username, never with hashes or digests.
 *
 * Only a real guess counts towards a lock-out: a wrong response on a nonce
 * this server issued to that source address and that is still fresh, once
 * per nonce and username. Malformed headers, foreign or expired nonces and
 * resent datagrams are refused without counting, so forged datagrams (UDP
 * source addresses are easy to fake) cannot lock out the phones behind an
 * address: the forger never sees the nonces issued to it.
 */
import type { Clock, CredentialsLookup, DigestCredentials, Logger } from '../ports/index.ts';
import { challengeValues } from './challenge.ts';
import {
  type DigestAlgorithm,
  digestsEqual,
  expectedResponse,
  hexLength,
  parseAlgorithm,
} from './compute.ts';
import { FailureThrottle, type FailureThrottleOptions } from './failure-throttle.ts';
import {
  AuthHeaderSyntaxError,
  type ParsedAuthHeader,
  parseAuthHeaderList,
} from './header-params.ts';
import { NonceManager, type NonceStatus } from './nonce.ts';

export interface DigestRequest {
  method: string;
  /** The request's Request-URI, compared with the digest `uri` parameter. */
  requestUri: string;
  /** The raw `Authorization` header value(s) (srf joins repeats with commas), if any. */
  authorization: string | undefined;
  /** Source IP address of the request (throttling key). */
  sourceAddress: string;
}

export type AuthOutcome =
  | {
      kind: 'authenticated';
      credentials: DigestCredentials;
      algorithm: DigestAlgorithm;
    }
  /** Answer 401 with these `WWW-Authenticate` values. */
  | { kind: 'challenge'; wwwAuthenticate: string[]; stale: boolean }
  /** Answer 403. */
  | { kind: 'forbidden'; reason: string }
  /** Answer 400. */
  | { kind: 'bad-request'; reason: string }
  /** Answer 503 with `Retry-After: retryAfterS`. */
  | { kind: 'throttled'; retryAfterS: number };

export interface DigestAuthenticatorOptions {
  realm: string;
  credentials: CredentialsLookup;
  /**
   * Offered in this order (RFC 8760 §2.4: most preferred first). Default MD5
   * alone: common softphones (baresip 1.0 among them) refuse a whole 401 as
   * soon as one challenge names an algorithm they do not know, even when MD5
   * is offered too; SHA-256 is for deployments whose phones all know it.
   */
  algorithms?: readonly DigestAlgorithm[];
  /** HMAC key for nonces; a random one per process when absent. */
  nonceSecret?: Buffer;
  /** How long a nonce may be used (default 5 minutes). */
  nonceTtlMs?: number;
  /** Most used nonces remembered for replay checks (default 100 000). */
  maxTrackedNonces?: number;
  /**
   * Lock-out per (source address, username): a phone with a wrong password
   * locks out only its own account from that address, not every phone
   * behind the same NAT (default: 5 free failures).
   */
  throttle?: Partial<FailureThrottleOptions>;
  /**
   * Lock-out per source address, across usernames, against guessing many
   * accounts from one address (default: 30 free failures).
   */
  sourceThrottle?: Partial<FailureThrottleOptions>;
  now?: Clock;
  logger?: Logger;
  /** Called once per failed attempt (metrics). */
  onFailure?: (reason: string) => void;
}

const NC_PATTERN = /^[0-9a-fA-F]{8}$/;

/** What every common softphone answers (see `algorithms`). */
export const DEFAULT_ALGORITHMS: readonly DigestAlgorithm[] = ['MD5'];

export class DigestAuthenticator {
  readonly #realm: string;
  readonly #credentials: CredentialsLookup;
  readonly #algorithms: readonly DigestAlgorithm[];
  readonly #nonces: NonceManager;
  readonly #throttle: FailureThrottle;
  readonly #sourceThrottle: FailureThrottle;
  readonly #now: Clock;
  readonly #logger: Logger | undefined;
  readonly #onFailure: ((reason: string) => void) | undefined;

  constructor(options: DigestAuthenticatorOptions) {
    if (options.realm === '') throw new TypeError('digest realm must not be empty');
    this.#realm = options.realm;
    this.#credentials = options.credentials;
    this.#algorithms = options.algorithms ?? DEFAULT_ALGORITHMS;
    if (this.#algorithms.length === 0) throw new TypeError('at least one digest algorithm');
    this.#nonces = new NonceManager({
      ...(options.nonceSecret ? { secret: options.nonceSecret } : {}),
      ttlMs: options.nonceTtlMs ?? 5 * 60_000,
      maxTracked: options.maxTrackedNonces ?? 100_000,
    });
    this.#throttle = new FailureThrottle(options.throttle);
    this.#sourceThrottle = new FailureThrottle({ freeFailures: 30, ...options.sourceThrottle });
    this.#now = options.now ?? Date.now;
    this.#logger = options.logger;
    this.#onFailure = options.onFailure;
  }

  get realm(): string {
    return this.#realm;
  }

  /** Sizes of the bounded tables (metrics, tests). */
  get stats(): { trackedNonces: number; trackedSources: number } {
    return {
      trackedNonces: this.#nonces.trackedCount,
      trackedSources: this.#throttle.trackedCount + this.#sourceThrottle.trackedCount,
    };
  }

  /**
   * A fresh challenge for a request from `source` (its IP address): the nonce
   * is valid only in requests from that address.
   */
  challenge(source: string, stale = false): AuthOutcome & { kind: 'challenge' } {
    const nonce = this.#nonces.issue(this.#now(), source);
    return {
      kind: 'challenge',
      stale,
      wwwAuthenticate: challengeValues({
        realm: this.#realm,
        nonce,
        algorithms: this.#algorithms,
        stale,
      }),
    };
  }

  async authenticate(request: DigestRequest): Promise<AuthOutcome> {
    const now = this.#now();
    const source = request.sourceAddress;
    const locked = this.#sourceThrottle.check(source, now);
    if (locked.kind === 'locked') return throttled(locked.retryAfterMs);
    if (request.authorization === undefined || request.authorization.trim() === '') {
      return this.challenge(source);
    }

    let list: ParsedAuthHeader[];
    try {
      list = parseAuthHeaderList(request.authorization);
    } catch (err) {
      if (!(err instanceof AuthHeaderSyntaxError)) throw err;
      return this.#refuse(
        source,
        undefined,
        'bad-request',
        `malformed Authorization: ${err.message}`,
      );
    }
    // RFC 3261 §22.4: a request may carry credentials for several realms; use ours.
    const ours = list.find((c) => c.scheme === 'digest' && c.params.get('realm') === this.#realm);
    if (!ours) {
      // Credentials for another realm (or another scheme): as if none were sent.
      return this.challenge(source);
    }
    const p = ours.params;
    const username = p.get('username');
    if (username !== undefined) {
      // Locked out accounts are refused even with the right password, so a
      // guesser learns nothing from a 200.
      const pairLocked = this.#throttle.check(pairKey(source, username), now);
      if (pairLocked.kind === 'locked') return throttled(pairLocked.retryAfterMs);
    }
    const nonce = p.get('nonce');
    const uri = p.get('uri');
    const response = p.get('response');
    if (
      username === undefined ||
      nonce === undefined ||
      uri === undefined ||
      response === undefined
    ) {
      return this.#refuse(
        source,
        username,
        'bad-request',
        'Authorization lacks a required parameter',
      );
    }
    const algorithm = parseAlgorithm(p.get('algorithm'));
    if (algorithm === null || !this.#algorithms.includes(algorithm)) {
      return this.#refuse(source, username, 'bad-request', 'algorithm not offered');
    }
    if (p.has('userhash') && p.get('userhash')?.toLowerCase() !== 'false') {
      return this.#refuse(source, username, 'bad-request', 'userhash not offered');
    }
    const qop = p.get('qop');
    const nc = p.get('nc');
    const cnonce = p.get('cnonce');
    let qopInput: { qop: 'auth'; nc: string; cnonce: string } | undefined;
    if (qop !== undefined) {
      if (qop.toLowerCase() !== 'auth') {
        return this.#refuse(source, username, 'bad-request', 'qop not offered');
      }
      if (nc === undefined || !NC_PATTERN.test(nc) || cnonce === undefined || cnonce === '') {
        return this.#refuse(source, username, 'bad-request', 'qop=auth needs nc and cnonce');
      }
      qopInput = { qop: 'auth', nc, cnonce };
    }
    if (!sameRequestUri(uri, request.requestUri)) {
      return this.#refuse(source, username, 'bad-request', 'digest uri differs from Request-URI');
    }
    if (response.length !== hexLength(algorithm) || !/^[0-9a-fA-F]+$/.test(response)) {
      return this.#refuse(source, username, 'bad-request', 'malformed response digest');
    }

    const nonceStatus = this.#nonces.check(nonce, now, source);
    if (nonceStatus.kind === 'invalid') {
      // Not ours, or issued to another address: forged, truncated, from before
      // a restart with another secret, or a client that moved. A fresh
      // challenge is the only useful answer; it is not a password failure.
      this.#logger?.info({ source, username }, 'digest nonce not issued by us; challenging again');
      return this.challenge(source);
    }

    const creds = await this.#credentials.getCredentials(username);
    const ha1 = creds ? (algorithm === 'SHA-256' ? creds.ha1Sha256 : creds.ha1Md5) : null;
    if (!creds || ha1 === null) {
      // Same answer as a wrong password, so usernames cannot be probed.
      return this.#wrongResponse(
        source,
        username,
        nonce,
        nonceStatus,
        'unknown user or no hash for algorithm',
      );
    }
    const expected = expectedResponse({
      algorithm,
      ha1,
      method: request.method,
      uri,
      nonce,
      ...(qopInput ? { qop: qopInput } : {}),
    });
    if (!digestsEqual(expected, response)) {
      return this.#wrongResponse(source, username, nonce, nonceStatus, 'wrong digest');
    }
    // The password was right; only now may the nonce's age decide (stale=true
    // tells the client to retry with the new nonce without asking the user).
    if (nonceStatus.kind === 'stale') return this.challenge(source, true);
    const count = qopInput ? Number.parseInt(qopInput.nc, 16) : 1;
    const used = this.#nonces.useCount(nonce, nonceStatus.issuedAt, count, now);
    if (used === 'stale') return this.challenge(source, true);
    if (used === 'replayed') {
      this.#logger?.warn({ source, username }, 'digest nonce count replayed; challenging again');
      return this.challenge(source, true);
    }
    this.#throttle.recordSuccess(pairKey(source, username));
    return { kind: 'authenticated', credentials: creds, algorithm };
  }

  /**
   * A wrong password or unknown user. Counted towards a lock-out only on a
   * fresh nonce, and once per nonce and username; an expired nonce gets a
   * fresh challenge instead of a verdict.
   */
  #wrongResponse(
    source: string,
    username: string,
    nonce: string,
    status: NonceStatus & { kind: 'fresh' | 'stale' },
    reason: string,
  ): AuthOutcome {
    if (status.kind === 'stale') {
      this.#logger?.info(
        { source, username: username.slice(0, 64), reason, counted: false },
        'digest authentication failed on an expired nonce; challenging again',
      );
      return this.challenge(source);
    }
    const first = this.#nonces.recordFailure(nonce, status.issuedAt, username, this.#now());
    if (first === 'stale') return this.challenge(source);
    if (!first)
      return this.#refuse(source, username, 'forbidden', `${reason}, repeated on one nonce`);
    return this.#fail(source, username, 'forbidden', reason);
  }

  /** A failure that does not count towards a lock-out (not a guess on a nonce of ours). */
  #refuse(
    source: string,
    username: string | undefined,
    kind: 'forbidden' | 'bad-request',
    reason: string,
  ): AuthOutcome {
    this.#onFailure?.(reason);
    this.#logger?.info(
      { source, username: username?.slice(0, 64), reason, counted: false },
      'digest authentication failed',
    );
    return { kind, reason };
  }

  /** A guess: counted for the username from this source, and for the source. */
  #fail(
    source: string,
    username: string,
    kind: 'forbidden' | 'bad-request',
    reason: string,
  ): AuthOutcome {
    const now = this.#now();
    const pair = this.#throttle.recordFailure(pairKey(source, username), now);
    const all = this.#sourceThrottle.recordFailure(source, now);
    this.#onFailure?.(reason);
    const fields = { source, username: username.slice(0, 64), failures: pair.failures, reason };
    if (all.lockedForMs > 0) {
      this.#logger?.warn(
        { ...fields, sourceFailures: all.failures, lockedForMs: all.lockedForMs },
        'digest authentication failed; source address locked out',
      );
    } else if (pair.lockedForMs > 0) {
      this.#logger?.warn(
        { ...fields, lockedForMs: pair.lockedForMs },
        'digest authentication failed; username locked out for this source',
      );
    } else {
      this.#logger?.info(fields, 'digest authentication failed');
    }
    return { kind, reason };
  }
}

function pairKey(source: string, username: string): string {
  return `${source}\n${username}`;
}

function throttled(retryAfterMs: number): AuthOutcome {
  return { kind: 'throttled', retryAfterS: Math.max(1, Math.ceil(retryAfterMs / 1000)) };
}

/**
 * The digest `uri` must name the request's Request-URI (RFC 7616 §3.4.6), or
 * a response captured for another request could be reused. Compared without
 * URI parameters and with the host case-insensitive, since clients differ in
 * whether they repeat `;transport=…`.
 */
export function sameRequestUri(digestUri: string, requestUri: string): boolean {
  const norm = (u: string) => {
    const noParams = u.trim().split(/[;?]/, 1)[0] ?? '';
    const at = noParams.lastIndexOf('@');
    return at < 0
      ? noParams.toLowerCase()
      : noParams.slice(0, at + 1) + noParams.slice(at + 1).toLowerCase();
  };
  return norm(digestUri) === norm(requestUri);
}
