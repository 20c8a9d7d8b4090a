import { describe, expect, it } from 'vitest';
import {
  AuthHeaderSyntaxError,
  challengeValues,
  DigestAuthenticator,
  digestsEqual,
  expectedResponse,
  FailureThrottle,
  NonceManager,
  parseAuthHeaderList,
  sameRequestUri,
} from '../../src/calls/digest/index.ts';
import type { DigestCredentials, Logger } from '../../src/calls/ports/index.ts';
import { type Algo, authorization, challengeParam, h, ha1 } from './digest-client.ts';

describe('digest computation: known-answer vectors', () => {
  it('matches the RFC 2617 §3.5 example (MD5, qop=auth)', () => {
    const key = ha1('MD5', 'Mufasa', 'testrealm@host.com', 'Circle Of Life');
    const response = expectedResponse({
      algorithm: 'MD5',
      ha1: key,
      method: 'GET',
      uri: '/dir/index.html',
      nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
      qop: { qop: 'auth', nc: '00000001', cnonce: '0a4f113b' },
    });
    // The value printed in RFC 2617.
    expect(response).toBe('6629fae49393a05397450978507c4ef1');
  });

  it.each([
    // RFC 7616 §3.9.1 prints both responses.
    ['MD5', '8ca523f5e9506fed4657c9700eebdbec'],
    ['SHA-256', '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1'],
  ] as const)('matches the RFC 7616 §3.9.1 example with %s', (algo, printed) => {
    const nonce = '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v';
    const cnonce = 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ';
    const key = ha1(algo, 'Mufasa', 'http-auth@example.org', 'Circle of Life');
    const response = expectedResponse({
      algorithm: algo,
      ha1: key,
      method: 'GET',
      uri: '/dir/index.html',
      nonce,
      qop: { qop: 'auth', nc: '00000001', cnonce },
    });
    expect(response).toBe(printed);
    // And the independent calculation agrees.
    const independent = h(
      algo,
      `${key}:${nonce}:00000001:${cnonce}:auth:${h(algo, 'GET:/dir/index.html')}`,
    );
    expect(response).toBe(independent);
  });

  it('computes RFC 2069 style responses (no qop) as H(HA1:nonce:HA2)', () => {
    const key = ha1('SHA-256', 'alice', 'acd.local', 'pw');
    const expected = h('SHA-256', `${key}:n1:${h('SHA-256', 'REGISTER:sip:acd.local')}`);
    expect(
      expectedResponse({
        algorithm: 'SHA-256',
        ha1: key,
        method: 'REGISTER',
        uri: 'sip:acd.local',
        nonce: 'n1',
      }),
    ).toBe(expected);
  });

  it('digestsEqual is case-insensitive and false for different lengths', () => {
    expect(digestsEqual('abcDEF', 'ABCdef')).toBe(true);
    expect(digestsEqual('abc', 'abcd')).toBe(false);
    expect(digestsEqual('abc', 'abd')).toBe(false);
  });
});

describe('Authorization header parsing', () => {
  it('unquotes values, keeps commas and escaped quotes inside quotes', () => {
    const [c] = parseAuthHeaderList(
      'Digest username="a,b", realm="r \\"x\\"",nonce=abc ,  uri="sip:x@y;transport=tcp", algorithm=SHA-256',
    );
    expect(c?.scheme).toBe('digest');
    expect(c?.params.get('username')).toBe('a,b');
    expect(c?.params.get('realm')).toBe('r "x"');
    expect(c?.params.get('nonce')).toBe('abc');
    expect(c?.params.get('uri')).toBe('sip:x@y;transport=tcp');
    expect(c?.params.get('algorithm')).toBe('SHA-256');
  });

  it('lower-cases parameter names and the scheme', () => {
    const [c] = parseAuthHeaderList('DIGEST UserName="u", NC=00000001');
    expect(c?.scheme).toBe('digest');
    expect([...(c?.params.keys() ?? [])]).toEqual(['username', 'nc']);
  });

  it('splits credentials that srf joined with a comma', () => {
    const list = parseAuthHeaderList(
      'Digest username="a", realm="one", Digest username="b", realm="two"',
    );
    expect(list).toHaveLength(2);
    expect(list[0]?.params.get('realm')).toBe('one');
    expect(list[1]?.params.get('username')).toBe('b');
    expect(list[1]?.params.get('realm')).toBe('two');
  });

  it.each([
    ['an unterminated quote', 'Digest username="abc'],
    ['a duplicate parameter', 'Digest response="1", response="2"'],
    ['a missing =', 'Digest username'],
    ['a missing comma', 'Digest a=1 b=2'],
    ['an empty value', 'Digest a=, b=1'],
    ['no scheme', '=x'],
    ['stray characters', 'Digest a=1, @=2'],
  ])('refuses %s', (_name, value) => {
    expect(() => parseAuthHeaderList(value)).toThrow(AuthHeaderSyntaxError);
  });

  it('refuses overlong values', () => {
    expect(() => parseAuthHeaderList(`Digest a="${'x'.repeat(5000)}"`)).toThrow(
      AuthHeaderSyntaxError,
    );
  });
});

describe('challenges', () => {
  it('offers one WWW-Authenticate per algorithm, SHA-256 first, with qop=auth', () => {
    const values = challengeValues({
      realm: 'acd.local',
      nonce: 'N',
      algorithms: ['SHA-256', 'MD5'],
      stale: false,
    });
    expect(values).toEqual([
      'Digest realm="acd.local", nonce="N", algorithm=SHA-256, qop="auth"',
      'Digest realm="acd.local", nonce="N", algorithm=MD5, qop="auth"',
    ]);
  });

  it('adds stale=true when asked', () => {
    const [v] = challengeValues({ realm: 'r', nonce: 'N', algorithms: ['MD5'], stale: true });
    expect(v).toBe('Digest realm="r", nonce="N", algorithm=MD5, qop="auth", stale=true');
  });
});

describe('nonces', () => {
  const secret = Buffer.alloc(32, 7);

  it('verifies its own nonces without state and refuses altered ones', () => {
    const m = new NonceManager({ secret, ttlMs: 60_000, maxTracked: 10 });
    const nonce = m.issue(1_000_000);
    expect(m.check(nonce, 1_000_500)).toEqual({ kind: 'fresh', issuedAt: 1_000_000 });
    const other = new NonceManager({ secret: Buffer.alloc(32, 8), ttlMs: 60_000, maxTracked: 10 });
    expect(other.check(nonce, 1_000_500).kind).toBe('invalid');
    const flipped = (nonce[5] === 'A' ? 'B' : 'A') as string;
    expect(m.check(nonce.slice(0, 5) + flipped + nonce.slice(6), 1_000_500).kind).toBe('invalid');
    expect(m.check('short', 1_000_500).kind).toBe('invalid');
    expect(m.check(`${nonce.slice(0, -1)}!`, 1_000_500).kind).toBe('invalid');
  });

  it('gives each nonce a different value even at the same instant', () => {
    const m = new NonceManager({ secret, ttlMs: 60_000, maxTracked: 10 });
    expect(m.issue(5)).not.toBe(m.issue(5));
  });

  it('reports stale after the time to live and invalid when issued in the future', () => {
    const m = new NonceManager({ secret, ttlMs: 60_000, maxTracked: 10 });
    const nonce = m.issue(1_000_000);
    expect(m.check(nonce, 1_060_000).kind).toBe('fresh');
    expect(m.check(nonce, 1_060_001).kind).toBe('stale');
    expect(m.check(nonce, 990_000).kind).toBe('invalid');
  });

  it('accepts growing nonce counts and refuses a repeated or lower one', () => {
    const m = new NonceManager({ secret, ttlMs: 60_000, maxTracked: 10 });
    const nonce = m.issue(0);
    expect(m.useCount(nonce, 0, 1, 10)).toBe('accepted');
    expect(m.useCount(nonce, 0, 1, 20)).toBe('replayed');
    expect(m.useCount(nonce, 0, 3, 30)).toBe('accepted');
    expect(m.useCount(nonce, 0, 2, 40)).toBe('replayed');
  });

  it('keeps memory bounded and makes evicted nonces stale instead of replayable', () => {
    const m = new NonceManager({ secret, ttlMs: 60_000, maxTracked: 3 });
    const nonces = [0, 1, 2, 3].map((t) => m.issue(t));
    for (const [t, n] of nonces.entries()) expect(m.useCount(n, t, 1, 10)).toBe('accepted');
    expect(m.trackedCount).toBe(3);
    // The first one was evicted: replaying it must not succeed.
    expect(m.useCount(nonces[0] as string, 0, 1, 11)).toBe('stale');
    expect(m.check(nonces[0] as string, 12).kind).toBe('stale');
    // The later ones are still tracked and still refuse replays.
    expect(m.useCount(nonces[3] as string, 3, 1, 13)).toBe('replayed');
  });

  it('prunes entries of expired nonces', () => {
    const m = new NonceManager({ secret, ttlMs: 1_000, maxTracked: 100 });
    for (let t = 0; t < 10; t++) m.useCount(m.issue(t), t, 1, t);
    expect(m.trackedCount).toBe(10);
    m.prune(5_000);
    expect(m.trackedCount).toBe(0);
  });
});

describe('failure throttle', () => {
  it('locks a source out after the free failures, doubling up to the maximum', () => {
    const t = new FailureThrottle({ freeFailures: 2, baseLockMs: 1_000, maxLockMs: 4_000 });
    expect(t.recordFailure('1.2.3.4', 0).lockedForMs).toBe(0);
    expect(t.recordFailure('1.2.3.4', 0).lockedForMs).toBe(0);
    expect(t.recordFailure('1.2.3.4', 0).lockedForMs).toBe(1_000);
    expect(t.check('1.2.3.4', 500)).toEqual({ kind: 'locked', retryAfterMs: 500 });
    expect(t.check('5.6.7.8', 500)).toEqual({ kind: 'allowed' });
    expect(t.check('1.2.3.4', 1_000)).toEqual({ kind: 'allowed' });
    expect(t.recordFailure('1.2.3.4', 1_000).lockedForMs).toBe(2_000);
    expect(t.recordFailure('1.2.3.4', 3_000).lockedForMs).toBe(4_000);
    expect(t.recordFailure('1.2.3.4', 7_000).lockedForMs).toBe(4_000);
    t.recordSuccess('1.2.3.4');
    expect(t.check('1.2.3.4', 7_001)).toEqual({ kind: 'allowed' });
  });

  it('holds at most maxSources addresses and forgets old ones', () => {
    const t = new FailureThrottle({ maxSources: 3, forgetAfterMs: 10_000 });
    for (let i = 0; i < 10; i++) t.recordFailure(`10.0.0.${i}`, i);
    expect(t.trackedCount).toBe(3);
    t.prune(20_000);
    expect(t.trackedCount).toBe(0);
  });
});

describe('DigestAuthenticator', () => {
  const realm = 'acd.local';
  const requestUri = 'sip:acd.local';
  const users: Record<string, string> = { alice: 'wonderland', bob: 'builder' };
  const hashesFor = (user: string): DigestCredentials => ({
    agentId: `agent-${user}`,
    sipUsername: user,
    ha1Md5: ha1('MD5', user, realm, users[user] as string),
    ha1Sha256: ha1('SHA-256', user, realm, users[user] as string),
  });

  function setup(
    options: {
      nonceTtlMs?: number;
      maxTrackedNonces?: number;
      sourceThrottle?: { freeFailures: number; baseLockMs: number };
    } = {},
  ) {
    let now = 1_700_000_000_000;
    const logged: string[] = [];
    const logger: Logger = {
      debug: (o, m) => logged.push(JSON.stringify([o, m])),
      info: (o, m) => logged.push(JSON.stringify([o, m])),
      warn: (o, m) => logged.push(JSON.stringify([o, m])),
      error: (o, m) => logged.push(JSON.stringify([o, m])),
    };
    const auth = new DigestAuthenticator({
      realm,
      // Both algorithms, SHA-256 first (the default offers MD5 alone).
      algorithms: ['SHA-256', 'MD5'],
      credentials: { getCredentials: async (u) => (u in users ? hashesFor(u) : null) },
      now: () => now,
      logger,
      throttle: { freeFailures: 3, baseLockMs: 10_000, maxLockMs: 60_000 },
      ...options,
    });
    return {
      auth,
      logged,
      advance: (ms: number) => {
        now += ms;
      },
    };
  }

  async function nonceFrom(
    auth: DigestAuthenticator,
    algo: Algo = 'SHA-256',
    source = '192.0.2.1',
  ): Promise<string> {
    const out = await auth.authenticate({
      method: 'REGISTER',
      requestUri,
      authorization: undefined,
      sourceAddress: source,
    });
    if (out.kind !== 'challenge') throw new Error(`expected a challenge, got ${out.kind}`);
    const c = out.wwwAuthenticate.find((v) => v.includes(`algorithm=${algo}`)) as string;
    return challengeParam(c, 'nonce') as string;
  }

  const register = (
    auth: DigestAuthenticator,
    authorizationValue: string | undefined,
    source = '192.0.2.1',
  ) =>
    auth.authenticate({
      method: 'REGISTER',
      requestUri,
      authorization: authorizationValue,
      sourceAddress: source,
    });

  it('challenges a request without credentials with SHA-256 and MD5', async () => {
    const { auth } = setup();
    const out = await register(auth, undefined);
    expect(out.kind).toBe('challenge');
    if (out.kind !== 'challenge') return;
    expect(out.stale).toBe(false);
    expect(out.wwwAuthenticate).toHaveLength(2);
    expect(out.wwwAuthenticate[0]).toContain('algorithm=SHA-256');
    expect(out.wwwAuthenticate[1]).toContain('algorithm=MD5');
    expect(challengeParam(out.wwwAuthenticate[0] as string, 'nonce')).toBe(
      challengeParam(out.wwwAuthenticate[1] as string, 'nonce'),
    );
  });

  it.each(['SHA-256', 'MD5'] as const)(
    'accepts a correct %s answer and names the agent',
    async (algo) => {
      const { auth } = setup();
      const nonce = await nonceFrom(auth, algo);
      const out = await register(
        auth,
        authorization({
          algo,
          user: 'alice',
          realm,
          password: 'wonderland',
          nonce,
          method: 'REGISTER',
          uri: requestUri,
        }),
      );
      expect(out).toMatchObject({
        kind: 'authenticated',
        algorithm: algo,
        credentials: { agentId: 'agent-alice' },
      });
    },
  );

  it('refuses a wrong password and an unknown user alike with forbidden', async () => {
    const { auth } = setup();
    const nonce = await nonceFrom(auth);
    const common = { algo: 'SHA-256' as const, realm, nonce, method: 'REGISTER', uri: requestUri };
    expect(
      (await register(auth, authorization({ ...common, user: 'alice', password: 'guess' }))).kind,
    ).toBe('forbidden');
    expect(
      (await register(auth, authorization({ ...common, user: 'mallory', password: 'x' }))).kind,
    ).toBe('forbidden');
  });

  it('refuses a replayed nonce count and accepts the next count', async () => {
    const { auth } = setup();
    const nonce = await nonceFrom(auth);
    const a = {
      algo: 'SHA-256' as const,
      user: 'bob',
      realm,
      password: 'builder',
      nonce,
      method: 'REGISTER',
      uri: requestUri,
    };
    expect((await register(auth, authorization({ ...a, nc: 1 }))).kind).toBe('authenticated');
    const replay = await register(auth, authorization({ ...a, nc: 1 }));
    expect(replay).toMatchObject({ kind: 'challenge', stale: true });
    expect((await register(auth, authorization({ ...a, nc: 2, cnonce: 'other' }))).kind).toBe(
      'authenticated',
    );
  });

  it('lets a response without qop use its nonce once', async () => {
    const { auth } = setup();
    const nonce = await nonceFrom(auth, 'MD5');
    const a = {
      algo: 'MD5' as const,
      user: 'bob',
      realm,
      password: 'builder',
      nonce,
      method: 'REGISTER',
      uri: requestUri,
      noQop: true,
    };
    expect((await register(auth, authorization(a))).kind).toBe('authenticated');
    expect((await register(auth, authorization(a))).kind).toBe('challenge');
  });

  it('answers an expired nonce with stale=true when the password was right, a fresh challenge (not counted) when wrong', async () => {
    const { auth, advance } = setup({ nonceTtlMs: 30_000 });
    const nonce = await nonceFrom(auth);
    advance(30_001);
    const a = {
      algo: 'SHA-256' as const,
      user: 'alice',
      realm,
      nonce,
      method: 'REGISTER',
      uri: requestUri,
    };
    const right = await register(auth, authorization({ ...a, password: 'wonderland' }));
    expect(right).toMatchObject({ kind: 'challenge', stale: true });
    if (right.kind === 'challenge') expect(right.wwwAuthenticate[0]).toContain('stale=true');
    expect(await register(auth, authorization({ ...a, password: 'wrong' }))).toMatchObject({
      kind: 'challenge',
      stale: false,
    });
  });

  it('re-challenges (not stale) a nonce it never issued', async () => {
    const { auth } = setup();
    const forged = Buffer.alloc(32, 1).toString('base64url');
    const out = await register(
      auth,
      authorization({
        algo: 'MD5',
        user: 'alice',
        realm,
        password: 'wonderland',
        nonce: forged,
        method: 'REGISTER',
        uri: requestUri,
      }),
    );
    expect(out).toMatchObject({ kind: 'challenge', stale: false });
  });

  it('re-challenges credentials for another realm', async () => {
    const { auth } = setup();
    const nonce = await nonceFrom(auth);
    const out = await register(
      auth,
      authorization({
        algo: 'MD5',
        user: 'alice',
        realm: 'elsewhere',
        password: 'wonderland',
        nonce,
        method: 'REGISTER',
        uri: requestUri,
      }),
    );
    expect(out.kind).toBe('challenge');
  });

  it('picks our realm out of several joined credentials', async () => {
    const { auth } = setup();
    const nonce = await nonceFrom(auth);
    const ours = authorization({
      algo: 'MD5',
      user: 'alice',
      realm,
      password: 'wonderland',
      nonce,
      method: 'REGISTER',
      uri: requestUri,
    });
    const out = await register(
      auth,
      `Digest username="x", realm="other", nonce="n", uri="u", response="r", ${ours}`,
    );
    expect(out.kind).toBe('authenticated');
  });

  it.each([
    ['a digest uri for another request', { uri: 'sip:other.example' }, {}],
    ['an algorithm not offered', {}, { algorithm: 'MD5-sess' }],
    ['qop=auth-int', {}, { qop: 'auth-int' }],
    ['a malformed nc', {}, { nc: '1' }],
  ])('answers bad-request for %s', async (_n, input, replace) => {
    const { auth } = setup();
    const nonce = await nonceFrom(auth, 'MD5');
    let value = authorization({
      algo: 'MD5',
      user: 'alice',
      realm,
      password: 'wonderland',
      nonce,
      method: 'REGISTER',
      uri: requestUri,
      ...input,
    });
    for (const [k, v] of Object.entries(replace))
      value = value.replace(new RegExp(`${k}=[^,]+`), `${k}=${v}`);
    expect((await register(auth, value)).kind).toBe('bad-request');
  });

  it('accepts a digest uri that differs only in parameters or host case', () => {
    expect(sameRequestUri('sip:ACD.local;transport=tcp', 'sip:acd.local')).toBe(true);
    expect(sameRequestUri('sip:Alice@acd.local', 'sip:alice@acd.local')).toBe(false);
    expect(sameRequestUri('sip:acd.local:5061', 'sip:acd.local')).toBe(false);
  });

  it('locks out a username from a source after repeated failures, even for the right password, then lets it in again', async () => {
    const { auth, advance, logged } = setup();
    const attempt = async (user: string, password: string, source = '192.0.2.1') => {
      const nonce = await nonceFrom(auth, 'SHA-256', source);
      return register(
        auth,
        authorization({
          algo: 'SHA-256',
          user,
          realm,
          password,
          nonce,
          method: 'REGISTER',
          uri: requestUri,
        }),
        source,
      );
    };
    for (let i = 0; i < 3; i++) expect((await attempt('alice', 'nope')).kind).toBe('forbidden');
    expect((await attempt('alice', 'nope')).kind).toBe('forbidden'); // the 4th failure starts the lock-out
    expect(await attempt('alice', 'wonderland')).toEqual({ kind: 'throttled', retryAfterS: 10 });
    // Another phone behind the same address, and alice from elsewhere, are not affected.
    expect((await attempt('bob', 'builder')).kind).toBe('authenticated');
    expect((await attempt('alice', 'wonderland', '198.51.100.9')).kind).toBe('authenticated');
    advance(10_000);
    expect((await attempt('alice', 'wonderland')).kind).toBe('authenticated');
    expect(logged.some((l) => l.includes('username locked out') && l.includes('192.0.2.1'))).toBe(
      true,
    );
  });

  it('locks out a whole source address that fails for many usernames', async () => {
    const { auth, logged } = setup({ sourceThrottle: { freeFailures: 4, baseLockMs: 20_000 } });
    for (let i = 0; i < 5; i++) {
      const nonce = await nonceFrom(auth);
      const out = await register(
        auth,
        authorization({
          algo: 'MD5',
          user: `user${i}`,
          realm,
          password: 'x',
          nonce,
          method: 'REGISTER',
          uri: requestUri,
        }),
      );
      expect(out.kind).toBe('forbidden');
    }
    // Now even a request without credentials from that address is refused.
    expect(await register(auth, undefined)).toEqual({ kind: 'throttled', retryAfterS: 20 });
    expect((await register(auth, undefined, '198.51.100.9')).kind).toBe('challenge');
    expect(logged.some((l) => l.includes('source address locked out'))).toBe(true);
  });

  describe('only guesses on our own fresh nonces count towards a lock-out', () => {
    const NAT = '203.0.113.5';
    const answer = (nonce: string, password: string, user = 'alice') =>
      authorization({
        algo: 'SHA-256',
        user,
        realm,
        password,
        nonce,
        method: 'REGISTER',
        uri: requestUri,
      });

    it('malformed Authorization headers (forged datagrams) lock out nobody', async () => {
      const { auth } = setup();
      const nonce = await nonceFrom(auth, 'SHA-256', NAT);
      const good = answer(nonce, 'wonderland');
      const malformed = [
        'Digest username="alice", realm="acd.local", nonce="x', // unterminated quote
        'Digest username="alice", realm="acd.local"', // no nonce, uri, response
        good.replace('algorithm=SHA-256', 'algorithm=SHA-512'),
        good.replace(`uri="${requestUri}"`, 'uri="sip:elsewhere.example"'),
        good.replace(/response="[0-9a-f]+"/, 'response="zz"'),
        good.replace('qop=auth', 'qop=auth-int'),
      ];
      for (let i = 0; i < 40; i += 1) {
        const out = await register(auth, malformed[i % malformed.length], NAT);
        expect(out.kind).not.toBe('throttled');
      }
      // Every phone behind the address, alice included, still registers.
      expect((await register(auth, good, NAT)).kind).toBe('authenticated');
      const bobNonce = await nonceFrom(auth, 'SHA-256', NAT);
      expect((await register(auth, answer(bobNonce, 'builder', 'bob'), NAT)).kind).toBe(
        'authenticated',
      );
    });

    it("wrong passwords on nonces issued to another address (a forger's own) are not counted", async () => {
      const { auth } = setup();
      for (let i = 0; i < 40; i += 1) {
        const forgersNonce = await nonceFrom(auth, 'SHA-256', '198.51.100.66');
        const out = await register(auth, answer(forgersNonce, `guess-${i}`), NAT);
        expect(out.kind).toBe('challenge');
      }
      const nonce = await nonceFrom(auth, 'SHA-256', NAT);
      expect((await register(auth, answer(nonce, 'wonderland'), NAT)).kind).toBe('authenticated');
    });

    it('a wrong response resent on one nonce counts once; expired nonces not at all', async () => {
      const { auth, advance } = setup({ nonceTtlMs: 30_000 });
      const nonce = await nonceFrom(auth, 'SHA-256', NAT);
      const wrong = answer(nonce, 'nope');
      for (let i = 0; i < 10; i += 1) {
        expect((await register(auth, wrong, NAT)).kind).toBe('forbidden');
      }
      advance(30_001);
      for (let i = 0; i < 10; i += 1) {
        expect((await register(auth, answer(nonce, `old-${i}`), NAT)).kind).toBe('challenge');
      }
      const fresh = await nonceFrom(auth, 'SHA-256', NAT);
      expect((await register(auth, answer(fresh, 'wonderland'), NAT)).kind).toBe('authenticated');
    });

    it('real guesses on fresh nonces still lock out', async () => {
      const { auth } = setup();
      for (let i = 0; i < 4; i += 1) {
        const nonce = await nonceFrom(auth, 'SHA-256', NAT);
        expect((await register(auth, answer(nonce, `guess-${i}`), NAT)).kind).toBe('forbidden');
      }
      const nonce = await nonceFrom(auth, 'SHA-256', NAT);
      expect((await register(auth, answer(nonce, 'wonderland'), NAT)).kind).toBe('throttled');
    });
  });

  it('never logs hashes, digests or passwords', async () => {
    const { auth, logged } = setup();
    const nonce = await nonceFrom(auth);
    const value = authorization({
      algo: 'SHA-256',
      user: 'alice',
      realm,
      password: 'badpass',
      nonce,
      method: 'REGISTER',
      uri: requestUri,
    });
    for (let i = 0; i < 6; i++) await register(auth, value);
    const response = challengeParam(value, 'response') as string;
    const text = logged.join('\n');
    expect(logged.length).toBeGreaterThan(0);
    expect(text).not.toContain(response);
    expect(text).not.toContain(hashesFor('alice').ha1Sha256 as string);
    expect(text).not.toContain(hashesFor('alice').ha1Md5 as string);
    expect(text).not.toContain('badpass');
  });
});
