import { describe, expect, it } from 'vitest';
import {
  canonicalHeaderName,
  formatVia,
  getTag,
  headerKey,
  isRfc3261Branch,
  parseContactList,
  parseCSeq,
  parseNameAddr,
  parseUri,
  parseVia,
} from '../../../src/edge/sip/headers.ts';
import { splitList, unescapePercent, unquote } from '../../../src/edge/sip/syntax.ts';

describe('header names', () => {
  it('expands compact forms and canonicalises well-known names', () => {
    const pairs: [string, string][] = [
      ['v', 'Via'],
      ['F', 'From'],
      ['t', 'To'],
      ['i', 'Call-ID'],
      ['m', 'Contact'],
      ['l', 'Content-Length'],
      ['c', 'Content-Type'],
      ['e', 'Content-Encoding'],
      ['k', 'Supported'],
      ['s', 'Subject'],
      ['o', 'Event'],
      ['u', 'Allow-Events'],
      ['r', 'Refer-To'],
      ['b', 'Referred-By'],
      ['x', 'Session-Expires'],
      ['cseq', 'CSeq'],
      ['www-authenticate', 'WWW-Authenticate'],
      ['X-Custom', 'X-Custom'],
    ];
    for (const [short, long] of pairs) expect(canonicalHeaderName(short)).toBe(long);
    expect(headerKey('V')).toBe('via');
    expect(headerKey('Call-Id')).toBe('call-id');
  });
});

describe('parseUri', () => {
  it('parses a full SIP URI', () => {
    const u = parseUri(
      'sip:alice:secret@Example.COM:5070;transport=tcp;lr?Subject=hi&Priority=urgent',
    );
    expect(u).toMatchObject({
      scheme: 'sip',
      user: 'alice',
      password: 'secret',
      host: 'Example.COM',
      port: 5070,
      params: { transport: 'tcp', lr: null },
      headers: { Subject: 'hi', Priority: 'urgent' },
    });
  });

  it('handles IPv6 references', () => {
    expect(parseUri('sip:[2001:db8::10]:5060;transport=udp')).toMatchObject({
      host: '[2001:db8::10]',
      port: 5060,
    });
    expect(parseUri('sips:bob@[::1]')).toMatchObject({
      scheme: 'sips',
      user: 'bob',
      host: '[::1]',
    });
    expect(parseUri('sip:[::1')).toBeUndefined();
    expect(parseUri('sip:[zz::1]')).toBeUndefined();
  });

  it('host-only URIs and case-insensitive scheme', () => {
    expect(parseUri('SIP:example.com')).toMatchObject({ scheme: 'sip', host: 'example.com' });
    expect(parseUri('sip:example.com')?.user).toBeUndefined();
  });

  it('tel and other schemes', () => {
    expect(parseUri('tel:+1-201-555-0123;phone-context=example.com')).toMatchObject({
      scheme: 'tel',
      user: '+1-201-555-0123',
      params: { 'phone-context': 'example.com' },
    });
    expect(parseUri('urn:service:sos')).toMatchObject({ scheme: 'urn', opaque: 'service:sos' });
    expect(parseUri('http://www.example.com')?.scheme).toBe('http');
  });

  it('rejects malformed URIs', () => {
    for (const bad of [
      '',
      'sip:',
      'nocolon',
      '<sip:a@b>',
      'sip:a@b c',
      'sip:a@',
      'sip:@host',
      'sip:host:99999',
      'sip:host;;lr',
      'sip:host?',
      '1sip:host',
      'sip:host:5060x',
    ]) {
      expect(parseUri(bad), bad).toBeUndefined();
    }
  });

  it('decodes escapes once', () => {
    expect(parseUri('sip:%61lice@h;p=%2541')?.user).toBe('alice');
    expect(parseUri('sip:%61lice@h;p=%2541')?.params.p).toBe('%41');
    expect(unescapePercent('%Zz%4')).toBe('%Zz%4');
    expect(unescapePercent('%E2%82%AC')).toBe('€');
  });
});

describe('parseVia', () => {
  it('parses the usual form', () => {
    const v = parseVia('SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776;received=10.0.0.1;rport=5061');
    expect(v).toMatchObject({
      protocol: 'SIP',
      version: '2.0',
      transport: 'UDP',
      host: '192.0.2.1',
      port: 5060,
      branch: 'z9hG4bK776',
      received: '10.0.0.1',
      rport: 5061,
    });
  });

  it('valueless rport, maddr, ttl, IPv6 sent-by and received', () => {
    const v = parseVia(
      'SIP/2.0/tcp [2001:db8::1]:5070;rport;maddr=224.2.0.1;ttl=16;received=2001:db8::9',
    );
    expect(v).toMatchObject({
      transport: 'TCP',
      host: '[2001:db8::1]',
      port: 5070,
      rport: null,
      maddr: '224.2.0.1',
      ttl: 16,
      received: '2001:db8::9',
    });
  });

  it('allows LWS around / : ; =', () => {
    const v = parseVia('SIP / 2.0 / UDP  host.example.com : 5060 ; branch = z9hG4bKx ; foo');
    expect(v).toMatchObject({ host: 'host.example.com', port: 5060, branch: 'z9hG4bKx' });
    expect(v?.params.foo).toBeNull();
  });

  it('rejects malformed values', () => {
    for (const bad of [
      'SIP/2.0/UDP',
      'SIP/2.0 host',
      'SIP/2.0/UDP 192.0.2.15;;',
      'SIP/2.0/UDP host;branch',
      'SIP/2.0/UDP host:70000',
      'SIP/2.0/UDP host;rport=abc',
      'SIP/2.0/UDP ho$t',
      'SIP/2.0/UDP host junk',
    ]) {
      expect(parseVia(bad), bad).toBeUndefined();
    }
  });

  it('re-encodes without LWS', () => {
    const v = parseVia('SIP / 2.0 / UDP  h : 5999 ; branch=z9hG4bK-1 ;Foo=Bar');
    if (!v) throw new Error('parse');
    expect(formatVia(v)).toBe('SIP/2.0/UDP h:5999;branch=z9hG4bK-1;foo=Bar');
  });

  it('branch magic cookie', () => {
    expect(isRfc3261Branch('z9hG4bK')).toBe(false);
    expect(isRfc3261Branch('z9hG4bKabc')).toBe(true);
    expect(isRfc3261Branch('abc')).toBe(false);
    expect(isRfc3261Branch(undefined)).toBe(false);
  });
});

describe('parseNameAddr', () => {
  it('quoted display name with escapes', () => {
    const na = parseNameAddr('"A \\"quoted\\" name" <sip:a@b>;tag=xyz');
    expect(na).toMatchObject({ displayName: 'A "quoted" name', uri: 'sip:a@b', bracketed: true });
    expect(na?.params.tag).toBe('xyz');
  });

  it('token display name, no display name, addr-spec with params', () => {
    expect(parseNameAddr('Bob Smith <sip:bob@h>')?.displayName).toBe('Bob Smith');
    expect(parseNameAddr('<sip:bob@h;lr>')?.parsedUri.params.lr).toBeNull();
    const spec = parseNameAddr('sip:bob@h;tag=1;expires=60');
    expect(spec).toMatchObject({ uri: 'sip:bob@h', bracketed: false });
    expect(spec?.params).toEqual({ tag: '1', expires: '60' });
  });

  it('liberal where phones commonly deviate: unquoted UTF-8 display name, # in user', () => {
    expect(parseNameAddr('Jürgen Müller <sip:jm@h>')?.displayName).toBe('Jürgen Müller');
    expect(parseUri('sip:*67#123@h')?.user).toBe('*67#123');
  });

  it('IPv6 inside angle brackets', () => {
    expect(parseNameAddr('<sip:[::1]:5062>;tag=a')?.parsedUri.host).toBe('[::1]');
  });

  it('rejects what RFC 4475 says to reject', () => {
    for (const bad of [
      '"Mr. J. User <sip:j.user@example.com>', // unterminated quote
      'Bell, Alexander <sip:a.g.bell@example.com>;tag=43', // non-token display name
      '"Watson, Thomas" < sip:t.watson@example.org >', // spaces inside <>
      'sip:user@example.com?Route=%3Csip:sip.example.com%3E', // addr-spec with headers
      '<sip:a@b>;;', // empty parameter
      '<sip:a@b', // unbalanced
      '<sip:a@b> junk',
    ]) {
      expect(parseNameAddr(bad), bad).toBeUndefined();
    }
  });

  it('getTag', () => {
    expect(getTag('<sip:a@b>;tag=77')).toBe('77');
    expect(getTag('<sip:a@b;tag=inuri>')).toBeUndefined();
    expect(getTag(undefined)).toBeUndefined();
  });
});

describe('parseContactList', () => {
  it('star, lists with commas inside quotes and URIs', () => {
    expect(parseContactList(' * ')).toBe('*');
    const list = parseContactList('"A, B" <sip:a@h>;q=0.5, <sip:b,x@h;x=1>, sip:c@h;expires=3');
    if (!Array.isArray(list)) throw new Error('list');
    expect(list.map((c) => c.uri)).toEqual(['sip:a@h', 'sip:b,x@h;x=1', 'sip:c@h']);
    expect(list[0]?.displayName).toBe('A, B');
    expect(list[2]?.params.expires).toBe('3');
  });

  it('rejects empty elements', () => {
    expect(parseContactList('<sip:a@h>,,<sip:b@h>')).toBeUndefined();
    expect(parseContactList('"Joe" <sip:joe@example.org>;;;;')).toBeUndefined();
  });
});

describe('parseCSeq', () => {
  it('number and method, LWS, leading zeros', () => {
    expect(parseCSeq('0009 INVITE')).toEqual({ seq: 9, method: 'INVITE' });
    expect(parseCSeq('  1   ACK ')).toEqual({ seq: 1, method: 'ACK' });
    expect(parseCSeq(`${2 ** 31 - 1} BYE`)?.seq).toBe(2 ** 31 - 1);
  });

  it('rejects overlarge numbers and garbage', () => {
    for (const bad of [
      `${2 ** 31} BYE`,
      '36893488147419103232 REGISTER',
      'INVITE',
      '1',
      '1INVITE',
      '1 IN VITE',
      '-1 BYE',
    ]) {
      expect(parseCSeq(bad), bad).toBeUndefined();
    }
  });
});

describe('lexical helpers', () => {
  it('splitList respects quotes and angle brackets', () => {
    expect(splitList('a, "b,c", <d,e>;x=1 ,f')).toEqual(['a', '"b,c"', '<d,e>;x=1', 'f']);
    expect(splitList('"open')).toBeUndefined();
    expect(splitList('<open')).toBeUndefined();
  });

  it('unquote resolves quoted pairs', () => {
    expect(unquote('"a\\\\b\\"c"')).toBe('a\\b"c');
  });
});
