import { describe, expect, it } from 'vitest';
import { getHeader, getHeaders } from '../../../src/edge/sip/headers.ts';
import { parseSipMessage } from '../../../src/edge/sip/parse.ts';

const crlf = (...lines: string[]): Buffer => Buffer.from(lines.join('\r\n'), 'utf8');

const OPTIONS = [
  'OPTIONS sip:bob@example.com SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds',
  'Max-Forwards: 70',
  'To: <sip:bob@example.com>',
  'From: "Alice" <sip:alice@example.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710@pc33.example.com',
  'CSeq: 63104 OPTIONS',
];

function ok(data: Buffer, opts?: Parameters<typeof parseSipMessage>[1]) {
  const r = parseSipMessage(data, opts);
  if (!r.ok) throw new Error(`parse failed: ${r.error}`);
  return r.message;
}

function fail(data: Buffer, opts?: Parameters<typeof parseSipMessage>[1]) {
  const r = parseSipMessage(data, opts);
  if (r.ok) throw new Error('parse unexpectedly succeeded');
  return r;
}

describe('parseSipMessage: start line', () => {
  it('parses a request line', () => {
    const m = ok(crlf(...OPTIONS, 'Content-Length: 0', '', ''));
    expect(m).toMatchObject({ kind: 'request', method: 'OPTIONS', uri: 'sip:bob@example.com' });
    expect(m.version).toBe('SIP/2.0');
    expect(m.headers).toHaveLength(7);
  });

  it('parses a status line, keeping spaces in the reason phrase', () => {
    const m = ok(crlf('SIP/2.0 486 Busy  Here', 'Content-Length: 0', '', ''));
    expect(m).toMatchObject({ kind: 'response', status: 486, reason: 'Busy  Here' });
  });

  it('accepts a lower-case SIP version and normalises it', () => {
    const m = ok(crlf('INVITE sip:a@b sip/2.0', 'l: 0', '', ''));
    expect(m.version).toBe('SIP/2.0');
  });

  it('rejects status codes that are not three digits in 100-699', () => {
    for (const line of [
      'SIP/2.0 99 Low',
      'SIP/2.0 700 High',
      'SIP/2.0 2000 Long',
      'SIP/2.0 abc X',
    ]) {
      const r = fail(crlf(line, 'l: 0', '', ''));
      expect(r.request).toBeUndefined();
    }
  });

  it('answers another SIP version with 505 and keeps the request for the answer', () => {
    const r = fail(crlf('OPTIONS sip:a@b SIP/3.0', 'Call-ID: x', 'l: 0', '', ''));
    expect(r.status).toBe(505);
    expect(r.request).toMatchObject({ method: 'OPTIONS', uri: 'sip:a@b' });
    expect(r.request?.headers).toEqual([
      { name: 'Call-ID', value: 'x' },
      { name: 'l', value: '0' },
    ]);
  });

  it('rejects extra or trailing whitespace in the request line but recovers its parts', () => {
    for (const line of [
      'OPTIONS  sip:a@b SIP/2.0',
      'OPTIONS sip:a@b SIP/2.0 ',
      'OPTIONS\tsip:a@b SIP/2.0',
    ]) {
      const r = fail(crlf(line, 'l: 0', '', ''));
      expect(r.status).toBe(400);
      expect(r.request).toMatchObject({ method: 'OPTIONS', uri: 'sip:a@b' });
    }
  });

  it('rejects a request line without version, a non-token method, garbage', () => {
    expect(fail(crlf('OPTIONS sip:a@b', 'l: 0', '', '')).request?.method).toBe('OPTIONS');
    expect(fail(crlf('OPT<IONS sip:a@b SIP/2.0', 'l: 0', '', '')).request).toBeUndefined();
    expect(fail(crlf('hello', '', '')).request).toBeUndefined();
  });

  it('skips CRLFs before the start line (RFC 3261 §7.5)', () => {
    expect(ok(crlf('', '', ...OPTIONS, 'l: 0', '', '')).kind).toBe('request');
  });

  it('reports a datagram of CRLFs as a keep-alive', () => {
    const r = fail(Buffer.from('\r\n\r\n'));
    expect(r.keepAlive).toBe(true);
    expect(r.request).toBeUndefined();
  });
});

describe('parseSipMessage: header fields', () => {
  it('unfolds continuation lines with one space', () => {
    const m = ok(crlf(...OPTIONS, 'Subject: first', ' \t second', '\tthird', 'l: 0', '', ''));
    expect(getHeader(m, 'subject')).toBe('first second third');
  });

  it('keeps names as written, trims values, allows whitespace before the colon', () => {
    const m = ok(crlf(...OPTIONS, 'X-Odd   :   spaced value  ', 'l: 0', '', ''));
    expect(m.headers.find((h) => h.name === 'X-Odd')?.value).toBe('spaced value');
  });

  it('keeps empty values', () => {
    const m = ok(crlf(...OPTIONS, 'Subject:', 'l: 0', '', ''));
    expect(getHeader(m, 's')).toBe('');
  });

  it('resolves compact forms through getHeader/getHeaders', () => {
    const m = ok(
      crlf(
        'INVITE sip:a@b SIP/2.0',
        'v: SIP/2.0/UDP h1;branch=z9hG4bK1, SIP/2.0/UDP h2;branch=z9hG4bK2',
        'Via: SIP/2.0/TCP h3;branch=z9hG4bK3',
        'f: <sip:x@y>;tag=1',
        't: sip:a@b',
        'i: cid',
        'm: <sip:c1@h>, "Comma, Inside" <sip:c2@h>',
        'k: 100rel, timer',
        'c: application/sdp',
        'l: 3',
        '',
        'abc',
      ),
    );
    expect(getHeaders(m, 'Via')).toHaveLength(3);
    expect(getHeader(m, 'From')).toBe('<sip:x@y>;tag=1');
    expect(getHeader(m, 'CALL-ID')).toBe('cid');
    expect(getHeaders(m, 'contact')).toEqual(['<sip:c1@h>', '"Comma, Inside" <sip:c2@h>']);
    expect(getHeaders(m, 'supported')).toEqual(['100rel', 'timer']);
    expect(getHeader(m, 'content-type')).toBe('application/sdp');
    expect(m.body.toString()).toBe('abc');
  });

  it('rejects a header line without colon, with a bad name, or a leading continuation', () => {
    expect(fail(crlf(...OPTIONS, 'NoColonHere', 'l: 0', '', '')).status).toBe(400);
    expect(fail(crlf(...OPTIONS, 'Bad Name: x', 'l: 0', '', '')).status).toBe(400);
    expect(fail(crlf('OPTIONS sip:a@b SIP/2.0', ' folded: x', 'l: 0', '', '')).status).toBe(400);
  });

  it('keeps the good headers of a request with a bad line, for the 400', () => {
    const r = fail(crlf(...OPTIONS, 'NoColonHere', 'l: 0', '', ''));
    expect(r.request?.headers.map((h) => h.name)).toContain('Call-ID');
  });

  it('rejects a bare CR inside a header line', () => {
    expect(fail(crlf(...OPTIONS, 'X-A: one\rtwo', 'l: 0', '', '')).status).toBe(400);
  });

  it('tolerates bare LF line ends', () => {
    const m = ok(Buffer.from(`${OPTIONS.join('\n')}\nl: 2\n\nhi`));
    expect(getHeader(m, 'call-id')).toBe('a84b4c76e66710@pc33.example.com');
    expect(m.body.toString()).toBe('hi');
  });

  it('enforces the header count limit', () => {
    const many = Array.from({ length: 20 }, (_, i) => `X-H${i}: ${i}`);
    expect(ok(crlf(...OPTIONS, ...many, 'l: 0', '', ''), { maxHeaders: 100 }).headers).toHaveLength(
      27,
    );
    expect(fail(crlf(...OPTIONS, ...many, 'l: 0', '', ''), { maxHeaders: 10 }).error).toMatch(
      /more than 10/,
    );
  });

  it('enforces the message size limit with 513', () => {
    const r = fail(crlf(...OPTIONS, `X-Big: ${'a'.repeat(2000)}`, 'l: 0', '', ''), {
      maxSize: 1000,
    });
    expect(r.status).toBe(513);
    expect(r.request?.method).toBe('OPTIONS');
  });

  it('rejects a header section that is not UTF-8', () => {
    const bytes = Buffer.concat([
      crlf(...OPTIONS, 'X-Bin: '),
      Buffer.from([0xff, 0xfe]),
      crlf('', 'l: 0', '', ''),
    ]);
    expect(fail(bytes).error).toMatch(/UTF-8/);
    expect(getHeader(ok(bytes, { latin1Fallback: true }), 'x-bin')).toBe('\u00ff\u00fe');
  });

  it('rejects a header section without the empty line', () => {
    expect(fail(crlf(...OPTIONS, 'l: 0', '')).error).toMatch(/not terminated/);
  });
});

describe('parseSipMessage: Content-Length framing', () => {
  it('UDP: octets after Content-Length are discarded', () => {
    const m = ok(crlf(...OPTIONS, 'Content-Length: 4', '', 'bodyEXTRA'));
    expect(m.body.toString()).toBe('body');
  });

  it('UDP: a missing Content-Length means the rest of the datagram', () => {
    expect(ok(crlf(...OPTIONS, '', 'whole rest')).body.toString()).toBe('whole rest');
  });

  it('stream: a missing Content-Length is an error', () => {
    expect(fail(crlf(...OPTIONS, '', ''), { datagram: false }).error).toMatch(/mandatory/);
  });

  it('a body shorter than Content-Length is an error', () => {
    expect(fail(crlf(...OPTIONS, 'Content-Length: 10', '', 'short')).status).toBe(400);
  });

  it('negative, non-numeric, repeated or huge Content-Length is an error', () => {
    for (const extra of [
      ['Content-Length: -1'],
      ['Content-Length: 1x'],
      ['Content-Length: 0', 'l: 0'],
      ['Content-Length: 99999999999999999999'],
    ]) {
      expect(fail(crlf(...OPTIONS, ...extra, '', '')).status).toBe(400);
    }
  });

  it('counts the body in bytes, not characters', () => {
    const m = ok(crlf(...OPTIONS, 'Content-Length: 5', '', 'héé'));
    expect(m.body.toString('utf8')).toBe('héé');
  });

  it('keeps binary bodies byte for byte', () => {
    const body = Buffer.from([0, 1, 2, 255, 13, 10, 13, 10, 0]);
    const m = ok(Buffer.concat([crlf(...OPTIONS, `l: ${body.length}`, '', ''), body]));
    expect(m.body.equals(body)).toBe(true);
  });
});
