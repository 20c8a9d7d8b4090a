import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AuthHeaderSyntaxError,
  DigestAuthenticator,
  parseAuthHeaderList,
  quote,
} from '../../src/calls/digest/index.ts';
import { ContactSyntaxError, parseContactList } from '../../src/calls/registrar/index.ts';
import { type Algo, authorization, challengeParam, ha1 } from './digest-client.ts';

const token = fc.stringMatching(/^[A-Za-z0-9\-.!%*_+`'~]{1,12}$/);

describe('Authorization parsing properties', () => {
  it('quoted values with commas, quotes, backslashes and UTF-8 come back unchanged', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(token, { minLength: 1, maxLength: 6, selector: (t) => t.toLowerCase() }),
        fc.array(fc.string({ maxLength: 20 }), { minLength: 6, maxLength: 6 }),
        (names, values) => {
          const text = `Digest ${names.map((n, i) => `${n}=${quote(values[i] as string)}`).join(', ')}`;
          const [parsed] = parseAuthHeaderList(text);
          for (const [i, n] of names.entries()) {
            expect(parsed?.params.get(n.toLowerCase())).toBe(values[i]);
          }
        },
      ),
    );
  });

  it('any input either parses or throws AuthHeaderSyntaxError', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        try {
          parseAuthHeaderList(text);
        } catch (err) {
          expect(err).toBeInstanceOf(AuthHeaderSyntaxError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('any Contact value either parses or throws ContactSyntaxError', () => {
    const pieces = fc.constantFrom(
      '<',
      '>',
      '"',
      ',',
      ';',
      '=',
      'sip:',
      'a@b',
      ' ',
      '*',
      'expires=0',
      '\\',
    );
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 15 }), (parts) => {
        try {
          parseContactList(parts.join(''));
        } catch (err) {
          expect(err).toBeInstanceOf(ContactSyntaxError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('DigestAuthenticator properties', () => {
  const realm = 'acd.local';

  it('accepts the right password and refuses any other, for any username and password', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.stringMatching(/^[A-Za-z0-9._~-]{1,16}$/),
        fc.string({ minLength: 1, maxLength: 24 }),
        fc.string({ minLength: 1, maxLength: 24 }),
        fc.constantFrom<Algo>('MD5', 'SHA-256'),
        async (user, password, other, algo) => {
          const auth = new DigestAuthenticator({
            realm,
            algorithms: ['SHA-256', 'MD5'],
            throttle: { freeFailures: 1000 },
            credentials: {
              getCredentials: async (u) =>
                u === user
                  ? {
                      agentId: 'a',
                      sipUsername: user,
                      ha1Md5: ha1('MD5', user, realm, password),
                      ha1Sha256: ha1('SHA-256', user, realm, password),
                    }
                  : null,
            },
          });
          const challenge = await auth.authenticate({
            method: 'REGISTER',
            requestUri: 'sip:acd.local',
            authorization: undefined,
            sourceAddress: 'x',
          });
          if (challenge.kind !== 'challenge') throw new Error('expected a challenge');
          const nonce = challengeParam(challenge.wwwAuthenticate[0] as string, 'nonce') as string;
          const answer = (pw: string, nc: number) =>
            auth.authenticate({
              method: 'REGISTER',
              requestUri: 'sip:acd.local',
              authorization: authorization({
                algo,
                user,
                realm,
                password: pw,
                nonce,
                method: 'REGISTER',
                uri: 'sip:acd.local',
                nc,
              }),
              sourceAddress: 'x',
            });
          expect((await answer(password, 1)).kind).toBe('authenticated');
          if (other !== password) expect((await answer(other, 2)).kind).toBe('forbidden');
        },
      ),
      { numRuns: 60 },
    );
  });
});
