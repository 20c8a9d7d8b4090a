/**
 * Property test: generated well-formed requests, written with the variations
 * RFC 3261 allows (compact or long names in any case, LWS around the colon,
 * folded lines, quoted display names with escapes, IPv6 hosts, several Via
 * values on one line), parse back to exactly the fields they were built from,
 * pass validation, and are read the same way by drachtio-srf's parser.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  getHeader,
  parseCSeq,
  parseNameAddr,
  parseUri,
  parseViaList,
} from '../../../src/edge/sip/headers.ts';
import { parseSipMessage } from '../../../src/edge/sip/parse.ts';
import { serializeSipMessage } from '../../../src/edge/sip/serialize.ts';
import { validateRequest } from '../../../src/edge/sip/validate.ts';
import { oracleParse } from './oracle.ts';

const tokenChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~";
const token = fc
  .array(fc.constantFrom(...tokenChars.split('')), { minLength: 1, maxLength: 12 })
  .map((a) => a.join(''));
const label = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}[a-z0-9]$/);
const host = fc.oneof(
  fc.array(label, { minLength: 1, maxLength: 3 }).map((l) => `${l.join('.')}.example`),
  fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.')),
  fc.constantFrom('[::1]', '[2001:db8::10]', '[fe80::1:2:3:4]'),
);
const port = fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined });
const user = fc.stringMatching(/^[a-zA-Z0-9_.!~*'()&=+$,;?/-]{1,12}$/);
const uriParam = fc.tuple(
  fc.stringMatching(/^[a-z]{1,6}$/),
  fc.option(fc.stringMatching(/^[a-z0-9]{1,6}$/), { nil: null }),
);
const sipUri = fc
  .record({
    user: fc.option(user, { nil: undefined }),
    host,
    port,
    params: fc.uniqueArray(uriParam, { maxLength: 3, selector: (p) => p[0] }),
  })
  .map((u) => ({
    ...u,
    text: `sip:${u.user !== undefined ? `${u.user}@` : ''}${u.host}${u.port !== undefined ? `:${u.port}` : ''}${u.params
      .map(([n, v]) => (v === null ? `;${n}` : `;${n}=${v}`))
      .join('')}`,
  }));
// Display names: printable ASCII plus UTF-8, quotes and backslashes escaped.
const displayName = fc.option(
  fc.string({
    minLength: 1,
    maxLength: 16,
    unit: fc.constantFrom(...'ab Z"\\,;<>:@é日'.split('')),
  }),
  { nil: undefined },
);
const quote = (s: string): string => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

const caseVariant = (name: string, pick: number): string =>
  pick % 3 === 0 ? name : pick % 3 === 1 ? name.toLowerCase() : name.toUpperCase();

const request = fc.record({
  method: fc.constantFrom('INVITE', 'OPTIONS', 'BYE', 'MESSAGE', 'REGISTER', 'INFO'),
  ruri: sipUri,
  fromName: displayName,
  from: sipUri,
  fromTag: token,
  to: sipUri,
  vias: fc.array(
    fc.record({
      host,
      port,
      branch: token,
      transport: fc.constantFrom('UDP', 'TCP', 'TLS', 'SCTP'),
    }),
    {
      minLength: 1,
      maxLength: 4,
    },
  ),
  viaPerLine: fc.integer({ min: 1, max: 3 }),
  callId: fc
    .tuple(token, fc.option(host, { nil: undefined }))
    .map(([a, b]) => (b ? `${a}@${b}` : a)),
  seq: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  body: fc.uint8Array({ maxLength: 64 }),
  compact: fc.boolean(),
  nameCase: fc.nat(),
  colonSpace: fc.constantFrom(':', ': ', ' : ', ':\t', '  :  '),
  fold: fc.boolean(),
});

type Gen = typeof request extends fc.Arbitrary<infer T> ? T : never;

function render(g: Gen): Buffer {
  const n = (long: string, short: string): string =>
    g.compact ? short : caseVariant(long, g.nameCase);
  const lines = [`${g.method} ${g.ruri.text} SIP/2.0`];
  for (let i = 0; i < g.vias.length; i += g.viaPerLine) {
    const values = g.vias
      .slice(i, i + g.viaPerLine)
      .map(
        (v) =>
          `SIP/2.0/${v.transport} ${v.host}${v.port !== undefined ? `:${v.port}` : ''};branch=z9hG4bK${v.branch}`,
      );
    lines.push(`${n('Via', 'v')}${g.colonSpace}${values.join(g.fold ? ',\r\n  ' : ', ')}`);
  }
  const from = `${g.fromName !== undefined ? `${quote(g.fromName)} ` : ''}<${g.from.text}>;tag=${g.fromTag}`;
  lines.push(
    `${n('From', 'f')}${g.colonSpace}${g.fold ? from.replace(';tag=', '\r\n ;tag=') : from}`,
  );
  lines.push(`${n('To', 't')}${g.colonSpace}<${g.to.text}>`);
  lines.push(`${n('Call-ID', 'i')}${g.colonSpace}${g.callId}`);
  lines.push(`CSeq${g.colonSpace}${g.seq}${g.fold ? '\r\n\t' : ' '}${g.method}`);
  lines.push(`Max-Forwards${g.colonSpace}70`);
  lines.push(`${n('Content-Length', 'l')}${g.colonSpace}${g.body.length}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), Buffer.from(g.body)]);
}

describe('generated well-formed requests', () => {
  it('parse back to the fields they were built from, validate, and satisfy srf', () => {
    fc.assert(
      fc.property(request, (g) => {
        const r = parseSipMessage(render(g));
        if (!r.ok) throw new Error(r.error);
        const m = r.message;
        if (m.kind !== 'request') throw new Error('not a request');
        expect(m.method).toBe(g.method);
        expect(m.uri).toBe(g.ruri.text);
        const ruri = parseUri(m.uri);
        expect(ruri?.host).toBe(g.ruri.host);
        expect(ruri?.port).toBe(g.ruri.port);
        expect(ruri?.user).toBe(g.ruri.user);
        expect(Object.entries(ruri?.params ?? {})).toEqual(g.ruri.params);
        const vias = parseViaList(m);
        expect(vias?.map((v) => [v.transport, v.host, v.port, v.branch])).toEqual(
          g.vias.map((v) => [v.transport, v.host, v.port, `z9hG4bK${v.branch}`]),
        );
        const from = parseNameAddr(getHeader(m, 'from') ?? '');
        expect(from?.displayName).toBe(g.fromName);
        expect(from?.uri).toBe(g.from.text);
        expect(from?.params.tag).toBe(g.fromTag);
        expect(parseNameAddr(getHeader(m, 'to') ?? '')?.uri).toBe(g.to.text);
        expect(getHeader(m, 'call-id')).toBe(g.callId);
        expect(parseCSeq(getHeader(m, 'cseq') ?? '')).toEqual({ seq: g.seq, method: g.method });
        expect(m.body.equals(Buffer.from(g.body))).toBe(true);
        expect(validateRequest(m)).toBeUndefined();
        const o = oracleParse(serializeSipMessage(m).toString('latin1'));
        expect(o.method).toBe(g.method);
        expect(o.get('call-id')).toBe(g.callId);
      }),
      { seed: 2026, numRuns: 1500 },
    );
  });
});
