/**
 * Digest nonces that the server can check without remembering them, that
 * expire, and whose (nonce, nc) pairs cannot be replayed.
 *
 * A nonce is base64url( issuedAt (8 bytes, ms) | random (8 bytes) | tag (16 bytes) )
 * with tag = HMAC-SHA256(secret, issuedAt | random | client) cut to 16 bytes
 * (RFC 7616 §3.3 suggests a time stamp plus a keyed hash and the client's
 * address). Any nonce whose tag verifies was issued by this server (with this
 * secret) to that client; its age says whether it is still fresh. Binding the
 * client's address means a nonce fetched from one address is worthless in a
 * datagram forged to come from another, so such datagrams cannot count as
 * password failures for the forged address. Only nonces that were actually
 * used are remembered, with the highest nonce count seen and the usernames
 * that failed on them, until they expire.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const TS_BYTES = 8;
const RANDOM_BYTES = 8;
const TAG_BYTES = 16;
const NONCE_BYTES = TS_BYTES + RANDOM_BYTES + TAG_BYTES;
/** Clock steps backwards (NTP) must not refuse every nonce just issued. */
const FUTURE_SKEW_MS = 5_000;

export type NonceStatus =
  /** Issued by us and still fresh. */
  | { kind: 'fresh'; issuedAt: number }
  /** Issued by us but too old (or forgotten under memory pressure): re-challenge with stale=true. */
  | { kind: 'stale' }
  /** Not ours (forged, malformed, or from another secret). */
  | { kind: 'invalid' };

export interface NonceOptions {
  /** Server secret for the HMAC; at least 16 bytes. A random one is drawn when absent. */
  secret?: Buffer;
  /** How long a nonce may be used (ms). */
  ttlMs: number;
  /** Most (nonce, nc) entries remembered at once. */
  maxTracked: number;
}

export type CountResult = 'accepted' | 'replayed' | 'stale';

interface Tracked {
  issuedAt: number;
  /** -1 until a response with this nonce succeeded. */
  highestNc: number;
  /** Usernames whose response with this nonce was wrong (each counted once). */
  failedUsers: Set<string> | null;
}

export class NonceManager {
  readonly #secret: Buffer;
  readonly #ttlMs: number;
  readonly #maxTracked: number;
  /** Insertion order = order of first use; expired entries are pruned from the front. */
  readonly #used = new Map<string, Tracked>();
  /**
   * Nonces issued before this time are treated as stale: raised when an entry
   * had to be evicted before it expired, so its nonce cannot be replayed.
   */
  #notBefore = 0;

  constructor(options: NonceOptions) {
    const secret = options.secret ?? randomBytes(32);
    if (secret.length < 16) throw new TypeError('nonce secret must be at least 16 bytes');
    if (!(options.ttlMs > 0)) throw new TypeError('nonce ttlMs must be positive');
    if (!(options.maxTracked >= 1)) throw new TypeError('nonce maxTracked must be at least 1');
    this.#secret = secret;
    this.#ttlMs = options.ttlMs;
    this.#maxTracked = options.maxTracked;
  }

  get ttlMs(): number {
    return this.#ttlMs;
  }

  /** Number of used nonces currently remembered (for metrics and tests). */
  get trackedCount(): number {
    return this.#used.size;
  }

  /** A new nonce for the client at `client` (its source address; '' for none). */
  issue(now: number, client = ''): string {
    const buf = Buffer.alloc(NONCE_BYTES);
    buf.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(now))), 0);
    randomBytes(RANDOM_BYTES).copy(buf, TS_BYTES);
    this.#tag(buf.subarray(0, TS_BYTES + RANDOM_BYTES), client).copy(buf, TS_BYTES + RANDOM_BYTES);
    return buf.toString('base64url');
  }

  /** Whether `nonce` was issued by us to `client`, and is still fresh. */
  check(nonce: string, now: number, client = ''): NonceStatus {
    if (nonce.length !== Math.ceil((NONCE_BYTES * 4) / 3) || !/^[A-Za-z0-9_-]+$/.test(nonce)) {
      return { kind: 'invalid' };
    }
    const buf = Buffer.from(nonce, 'base64url');
    if (buf.length !== NONCE_BYTES) return { kind: 'invalid' };
    const expected = this.#tag(buf.subarray(0, TS_BYTES + RANDOM_BYTES), client);
    if (!timingSafeEqual(expected, buf.subarray(TS_BYTES + RANDOM_BYTES))) {
      return { kind: 'invalid' };
    }
    const issuedAt = Number(buf.readBigUInt64BE(0));
    if (issuedAt > now + FUTURE_SKEW_MS) return { kind: 'invalid' };
    if (now - issuedAt > this.#ttlMs || issuedAt < this.#notBefore) return { kind: 'stale' };
    return { kind: 'fresh', issuedAt };
  }

  /**
   * Records that `nc` was used with a fresh `nonce` (checked with `check`
   * first). Counts must grow: a count not above the highest seen is a replay
   * (RFC 7616 §3.4: the server should check nc to detect replays). Responses
   * without qop carry no count; pass 1 for them, so such a nonce works once.
   */
  useCount(nonce: string, issuedAt: number, nc: number, now: number): CountResult {
    const tracked = this.#track(nonce, issuedAt, now);
    if (tracked === 'stale') return 'stale';
    if (nc <= tracked.highestNc) return 'replayed';
    tracked.highestNc = nc;
    return 'accepted';
  }

  /**
   * Records a wrong response by `username` with a fresh `nonce` (checked with
   * `check` first). True the first time for this nonce and username, false
   * for a repeat (a resent datagram, or a client retrying the same nonce),
   * which must not count as another guess; 'stale' when the nonce can no
   * longer be tracked.
   */
  recordFailure(nonce: string, issuedAt: number, username: string, now: number): boolean | 'stale' {
    const tracked = this.#track(nonce, issuedAt, now);
    if (tracked === 'stale') return 'stale';
    tracked.failedUsers ??= new Set();
    if (tracked.failedUsers.has(username)) return false;
    tracked.failedUsers.add(username);
    return true;
  }

  /** The entry of a fresh nonce, created on its first use. */
  #track(nonce: string, issuedAt: number, now: number): Tracked | 'stale' {
    this.prune(now);
    if (issuedAt < this.#notBefore) return 'stale';
    const tracked = this.#used.get(nonce);
    if (tracked) return tracked;
    while (this.#used.size >= this.#maxTracked) {
      const oldest = this.#used.entries().next().value;
      if (!oldest) break;
      this.#used.delete(oldest[0]);
      // Forgetting an entry that has not expired would let its nonce be
      // replayed; refuse every nonce issued up to it instead (clients get a
      // stale=true challenge and retry with a new nonce).
      this.#notBefore = Math.max(this.#notBefore, oldest[1].issuedAt + 1);
      if (issuedAt < this.#notBefore) return 'stale';
    }
    const entry: Tracked = { issuedAt, highestNc: -1, failedUsers: null };
    this.#used.set(nonce, entry);
    return entry;
  }

  /** Forgets used nonces that have expired (they are refused as stale anyway). */
  prune(now: number): void {
    // Entries are in order of first use, not of issue; an entry issued earlier
    // may sit behind a later one, so scan until an entry is still alive
    // and accept that a few expired ones linger until the next prune.
    for (const [nonce, t] of this.#used) {
      if (now - t.issuedAt <= this.#ttlMs) break;
      this.#used.delete(nonce);
    }
  }

  #tag(data: Buffer, client: string): Buffer {
    return createHmac('sha256', this.#secret)
      .update(data)
      .update(client, 'utf8')
      .digest()
      .subarray(0, TAG_BYTES);
  }
}
