/**
 * The registrar (RFC 3261 §10.3) as a drachtio-srf `srf.register` handler.
 *
 *   REGISTER ─▶ digest check ─▶ To user = authenticated user? ─▶ Contact / Expires
 *     401 challenge · 403 wrong credentials / other user · 400 malformed ·
 *     503 + Retry-After while the source is locked out · 423 + Min-Expires ·
 *     500 out-of-order CSeq or store failure · 200 listing every current binding
 *
 * Bindings are kept through the `RegistrationStore` port (Postgres in the app),
 * so a restart keeps them; requests for one agent are applied one at a time so
 * two REGISTERs from the same account cannot interleave their read and write.
 * A timer purges expired bindings; it is started by `start()` and released by
 * `close()` exactly once.
 */
import {
  AuthHeaderSyntaxError,
  type AuthOutcome,
  type DigestAuthenticator,
  parseAuthHeaderList,
} from '../digest/index.ts';
import type {
  Clock,
  Logger,
  RegistrationBinding,
  RegistrationStore,
  SipTransport,
} from '../ports/index.ts';
import { silentLogger } from '../ports/index.ts';
import { repeatedHeaderValue, type SrfRequest, type SrfResponse } from '../srf/srf-types.ts';
import {
  ContactSyntaxError,
  type ParsedContact,
  parseContactList,
  parseDeltaSeconds,
  parseNameAddr,
  uriUser,
} from './contact.ts';

export interface RegistrarOptions {
  authenticator: DigestAuthenticator;
  store: RegistrationStore;
  /** Shortest Expires accepted (423 below it). */
  minExpiresS: number;
  /** Longest Expires granted (longer requests are shortened to it). */
  maxExpiresS: number;
  /** Granted when the request names no expiry (default: maxExpiresS). */
  defaultExpiresS?: number;
  /** Most bindings per agent; the least recently refreshed go first (default 10). */
  maxContactsPerAgent?: number;
  /** How often expired bindings are purged (default 30 s). */
  purgeIntervalMs?: number;
  now?: Clock;
  logger?: Logger;
  /**
   * Told whenever an agent's set of live bindings may have changed (for the
   * ACD's device count and the OPTIONS prober). `refreshed` lists the contacts
   * the device just (re-)registered: they are evidently reachable.
   */
  onBindingsChanged?: (
    agentId: string,
    bindings: RegistrationBinding[],
    refreshed: string[],
  ) => void;
}

type Reply = {
  status: number;
  reason?: string;
  headers?: Record<string, string>;
  /** Why the request was refused, for the log (never a credential). */
  why?: string;
};

class Refusal extends Error {
  constructor(readonly reply: Reply) {
    super(`${reply.status} ${reply.reason ?? ''}`);
  }
}

const MAX_CONTACT_URI_LENGTH = 512;
const TRANSPORTS: readonly SipTransport[] = ['udp', 'tcp', 'tls', 'ws', 'wss'];

export class Registrar {
  readonly #o: Required<Omit<RegistrarOptions, 'onBindingsChanged' | 'logger'>> & {
    onBindingsChanged: RegistrarOptions['onBindingsChanged'];
  };
  readonly #logger: Logger;
  /** Tail of the work queued per agent; removed when the agent's queue empties. */
  readonly #perAgent = new Map<string, Promise<void>>();
  #purgeTimer: NodeJS.Timeout | null = null;
  #purging: Promise<void> | null = null;
  #closed = false;

  constructor(options: RegistrarOptions) {
    const min = options.minExpiresS;
    const max = options.maxExpiresS;
    if (!(Number.isInteger(min) && min > 0 && Number.isInteger(max) && max >= min)) {
      throw new TypeError('registrar needs integer 0 < minExpiresS <= maxExpiresS');
    }
    const def = options.defaultExpiresS ?? max;
    if (!(def >= min && def <= max)) throw new TypeError('defaultExpiresS must lie in [min, max]');
    this.#o = {
      authenticator: options.authenticator,
      store: options.store,
      minExpiresS: min,
      maxExpiresS: max,
      defaultExpiresS: def,
      maxContactsPerAgent: options.maxContactsPerAgent ?? 10,
      purgeIntervalMs: options.purgeIntervalMs ?? 30_000,
      now: options.now ?? Date.now,
      onBindingsChanged: options.onBindingsChanged,
    };
    this.#logger = options.logger ?? silentLogger;
  }

  /** The function to pass to `srf.register(...)`. */
  readonly handler = (req: SrfRequest, res: SrfResponse): void => {
    this.handle(req, res).catch((err: unknown) => {
      // handle() answers every request itself; reaching here is a bug.
      this.#logger.error({ err }, 'registrar: unexpected failure');
    });
  };

  /** Answers one REGISTER; resolves once the response has been sent. */
  async handle(req: SrfRequest, res: SrfResponse): Promise<void> {
    let reply: Reply;
    try {
      reply = await this.#process(req);
    } catch (err) {
      if (err instanceof Refusal) {
        reply = err.reply;
      } else {
        this.#logger.error({ err, source: req.source_address }, 'registrar: store failure');
        reply = { status: 500, reason: 'Server Internal Error', headers: { 'Retry-After': '5' } };
      }
    }
    this.#logRefusal(req, reply);
    res.send(reply.status, reply.reason, reply.headers ? { headers: reply.headers } : {});
  }

  /**
   * Every refused REGISTER is logged with the user it claimed, where it came
   * from and why, so a phone that cannot register shows up in the log. The
   * first, credential-less REGISTER of every phone gets a 401 by design: not
   * a failure.
   */
  #logRefusal(req: SrfRequest, reply: Reply): void {
    if (reply.status < 300) return;
    const authorization = req.get('Authorization');
    if (reply.status === 401 && (authorization === undefined || authorization.trim() === '')) {
      return;
    }
    this.#logger.info(
      {
        username: claimedUser(authorization, req.get('To')),
        source: req.source_address,
        sourcePort: req.source_port,
        userAgent: req.get('User-Agent')?.slice(0, 100),
        status: reply.status,
        reason: reply.why ?? reply.reason,
      },
      'registrar: REGISTER refused',
    );
  }

  /** Live (unexpired) bindings of an agent, for the dialer. */
  async bindings(agentId: string): Promise<RegistrationBinding[]> {
    const now = this.#o.now();
    return (await this.#o.store.listForAgent(agentId)).filter((b) => b.expiresAt > now);
  }

  /** Starts the periodic purge of expired bindings (once). */
  start(): void {
    if (this.#closed) throw new Error('registrar is closed');
    if (this.#purgeTimer) return;
    this.#purgeTimer = setInterval(() => void this.purgeNow(), this.#o.purgeIntervalMs);
    this.#purgeTimer.unref();
  }

  /** Removes expired bindings now and tells `onBindingsChanged`; overlapping calls share one run. */
  purgeNow(): Promise<void> {
    if (this.#purging) return this.#purging;
    const run = (async () => {
      try {
        const agents = await this.#o.store.purgeExpired(this.#o.now());
        for (const agentId of new Set(agents)) {
          this.#notify(agentId, await this.bindings(agentId));
        }
      } catch (err) {
        this.#logger.warn({ err }, 'registrar: purging expired bindings failed; will retry');
      }
    })();
    this.#purging = run.finally(() => {
      this.#purging = null;
    });
    return this.#purging;
  }

  /** Stops the purge timer and waits for work in progress. Safe to call twice. */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      if (this.#purgeTimer) clearInterval(this.#purgeTimer);
      this.#purgeTimer = null;
    }
    await Promise.allSettled([this.#purging, ...this.#perAgent.values()]);
  }

  get timerActive(): boolean {
    return this.#purgeTimer !== null;
  }

  async #process(req: SrfRequest): Promise<Reply> {
    if (this.#closed)
      return { status: 503, reason: 'Service Unavailable', headers: { 'Retry-After': '5' } };
    // RFC 3261 §10.3 step 2: extensions the client requires and we lack → 420.
    const required = (req.get('Require') ?? '')
      .split(',')
      .map((o) => o.trim())
      .filter((o) => o !== '');
    if (required.length > 0) {
      return {
        status: 420,
        reason: 'Bad Extension',
        headers: { Unsupported: required.join(', ') },
      };
    }
    const auth = await this.#o.authenticator.authenticate({
      method: req.method,
      requestUri: req.uri,
      authorization: req.get('Authorization'),
      sourceAddress: req.source_address,
    });
    if (auth.kind !== 'authenticated') return authReply(auth);
    const agentId = auth.credentials.agentId;
    const toValue = req.get('To');
    let toUser: string | null = null;
    try {
      toUser = toValue ? uriUser(parseNameAddr(toValue).uri) : null;
    } catch (err) {
      if (!(err instanceof ContactSyntaxError)) throw err;
    }
    if (toUser !== auth.credentials.sipUsername) {
      // RFC 3261 §10.3 step 6: an account may only register its own address.
      this.#logger.info(
        { source: req.source_address, username: auth.credentials.sipUsername, toUser },
        'registrar: REGISTER for another address refused',
      );
      return { status: 403, reason: 'Forbidden', why: 'To names another user' };
    }
    return this.#serialised(agentId, () => this.#applyBindings(req, agentId));
  }

  async #serialised<T>(agentId: string, work: () => Promise<T>): Promise<T> {
    const before = this.#perAgent.get(agentId) ?? Promise.resolve();
    const result = before.then(work);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#perAgent.set(agentId, tail);
    void tail.then(() => {
      if (this.#perAgent.get(agentId) === tail) this.#perAgent.delete(agentId);
    });
    return result;
  }

  async #applyBindings(req: SrfRequest, agentId: string): Promise<Reply> {
    const now = this.#o.now();
    const callId = req.get('Call-ID') ?? '';
    const cseq = parseCSeq(req.get('CSeq'));
    if (callId === '' || cseq === null) return { status: 400, reason: 'Bad Request' };
    const headerExpires = req.has('Expires') ? parseDeltaSeconds(req.get('Expires')) : null;
    if (req.has('Expires') && headerExpires === null) return { status: 400, reason: 'Bad Expires' };

    const contactValue = req.get('Contact');
    let contacts: '*' | ParsedContact[] = [];
    if (contactValue !== undefined && contactValue.trim() !== '') {
      try {
        contacts = parseContactList(contactValue);
      } catch (err) {
        if (!(err instanceof ContactSyntaxError)) throw err;
        return { status: 400, reason: 'Bad Contact' };
      }
    }
    const existing = await this.#o.store.listForAgent(agentId);
    const live = existing.filter((b) => b.expiresAt > now);

    if (contacts === '*') {
      // RFC 3261 §10.3 step 6: "*" only with Expires: 0, and removes every binding.
      if (headerExpires !== 0) return { status: 400, reason: 'Contact * needs Expires: 0' };
      for (const b of existing) {
        if (b.callId === callId && cseq <= b.cseq) return outOfOrder();
      }
      await this.#o.store.apply(
        agentId,
        [],
        existing.map((b) => b.contactUri),
      );
      this.#logger.info({ agentId, removed: existing.length }, 'registrar: all bindings removed');
      this.#notify(agentId, []);
      return this.#ok([], now);
    }

    if (contacts.length === 0) {
      // A query: list the bindings, change nothing (§10.2.3).
      return this.#ok(live, now);
    }

    const transport = transportOf(req.protocol);
    const userAgent = req.get('User-Agent')?.slice(0, 255) ?? null;
    const upserts = new Map<string, RegistrationBinding>();
    const removed = new Set<string>();
    for (const c of contacts) {
      // Bindings are stored and sent back in every 200; keep them sane in size.
      if (c.uri.length > MAX_CONTACT_URI_LENGTH) return { status: 400, reason: 'Contact too long' };
      const requested = c.params.has('expires')
        ? parseDeltaSeconds(c.params.get('expires'))
        : headerExpires;
      if (c.params.has('expires') && requested === null)
        return { status: 400, reason: 'Bad expires' };
      const old = existing.find((b) => b.contactUri === c.uri);
      if (old && old.callId === callId && cseq <= old.cseq) return outOfOrder();
      if (requested === 0) {
        upserts.delete(c.uri);
        removed.add(c.uri);
        continue;
      }
      const granted =
        requested === null ? this.#o.defaultExpiresS : Math.min(requested, this.#o.maxExpiresS);
      if (granted < this.#o.minExpiresS) {
        return {
          status: 423,
          reason: 'Interval Too Brief',
          headers: { 'Min-Expires': String(this.#o.minExpiresS) },
        };
      }
      removed.delete(c.uri);
      upserts.set(c.uri, {
        agentId,
        contactUri: c.uri,
        expiresAt: now + granted * 1000,
        callId,
        cseq,
        sourceAddress: req.source_address,
        sourcePort: req.source_port,
        transport,
        userAgent,
        updatedAt: now,
      });
    }

    // Expired rows that are not refreshed go too, so the limit counts live ones.
    for (const b of existing)
      if (b.expiresAt <= now && !upserts.has(b.contactUri)) removed.add(b.contactUri);
    const kept = live.filter((b) => !upserts.has(b.contactUri) && !removed.has(b.contactUri));
    const overflow = kept.length + upserts.size - this.#o.maxContactsPerAgent;
    if (overflow > 0) {
      if (upserts.size > this.#o.maxContactsPerAgent) {
        return { status: 403, reason: 'Too Many Contacts' };
      }
      // Devices that re-register from a new port after a restart leave their
      // old binding behind; the least recently refreshed give way.
      const evict = [...kept].sort((a, b) => a.updatedAt - b.updatedAt).slice(0, overflow);
      for (const b of evict) removed.add(b.contactUri);
    }

    await this.#o.store.apply(agentId, [...upserts.values()], [...removed]);
    const current = [...kept.filter((b) => !removed.has(b.contactUri)), ...upserts.values()];
    this.#logger.info(
      {
        agentId,
        source: `${req.source_address}:${req.source_port}`,
        transport,
        userAgent,
        added: upserts.size,
        removed: removed.size,
        bindings: current.length,
      },
      'registrar: bindings updated',
    );
    this.#notify(agentId, current, [...upserts.keys()]);
    // Some phones read the granted time from an Expires header rather than
    // the Contact parameter; with one contact refreshed it is unambiguous.
    const [only] = upserts.size === 1 ? [...upserts.values()] : [];
    return this.#ok(current, now, only ? Math.round((only.expiresAt - now) / 1000) : undefined);
  }

  #ok(bindings: RegistrationBinding[], now: number, grantedS?: number): Reply {
    const headers: Record<string, string> = { Date: new Date(now).toUTCString() };
    if (grantedS !== undefined) headers.Expires = String(grantedS);
    if (bindings.length > 0) {
      headers.Contact = bindings
        .map(
          (b) => `<${b.contactUri}>;expires=${Math.max(0, Math.round((b.expiresAt - now) / 1000))}`,
        )
        .join(', ');
    }
    return { status: 200, reason: 'OK', headers };
  }

  #notify(agentId: string, bindings: RegistrationBinding[], refreshed: string[] = []): void {
    try {
      this.#o.onBindingsChanged?.(agentId, bindings, refreshed);
    } catch (err) {
      this.#logger.error({ err, agentId }, 'registrar: onBindingsChanged listener threw');
    }
  }
}

function authReply(auth: Exclude<AuthOutcome, { kind: 'authenticated' }>): Reply {
  switch (auth.kind) {
    case 'challenge':
      return {
        status: 401,
        reason: 'Unauthorized',
        why: auth.stale ? 'nonce expired' : 'credentials not accepted; challenged again',
        headers: {
          'WWW-Authenticate': repeatedHeaderValue('WWW-Authenticate', auth.wwwAuthenticate),
        },
      };
    case 'forbidden':
      return { status: 403, reason: 'Forbidden', why: auth.reason };
    case 'bad-request':
      return { status: 400, reason: 'Bad Request', why: auth.reason };
    case 'throttled':
      return {
        status: 503,
        reason: 'Service Unavailable',
        why: 'locked out after repeated failures',
        headers: { 'Retry-After': String(auth.retryAfterS) },
      };
  }
}

/** The username a REGISTER claims: its digest `username`, else the To URI's user. */
function claimedUser(authorization: string | undefined, to: string | undefined): string | null {
  if (authorization) {
    try {
      for (const c of parseAuthHeaderList(authorization)) {
        const u = c.params.get('username');
        if (u !== undefined) return u.slice(0, 64);
      }
    } catch (err) {
      if (!(err instanceof AuthHeaderSyntaxError)) throw err;
    }
  }
  try {
    return to ? (uriUser(parseNameAddr(to).uri)?.slice(0, 64) ?? null) : null;
  } catch (err) {
    if (!(err instanceof ContactSyntaxError)) throw err;
    return null;
  }
}

function outOfOrder(): never {
  // RFC 3261 §10.3 step 7: an older or repeated CSeq for the same Call-ID fails the request.
  throw new Refusal({ status: 500, reason: 'Out of Order' });
}

function parseCSeq(value: string | undefined): number | null {
  const m = value ? /^\s*(\d{1,10})\s+REGISTER\s*$/i.exec(value) : null;
  return m ? Number(m[1]) : null;
}

function transportOf(protocol: string): SipTransport {
  const p = protocol.toLowerCase() as SipTransport;
  return TRANSPORTS.includes(p) ? p : 'udp';
}
