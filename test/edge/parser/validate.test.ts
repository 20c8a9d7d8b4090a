import { describe, expect, it } from 'vitest';
import type { SipRequest } from '../../../src/edge/sip/message.ts';
import { parseSipMessage } from '../../../src/edge/sip/parse.ts';
import { triage } from '../../../src/edge/sip/triage.ts';
import {
  isRfc1123Date,
  validateRequest,
  validateResponse,
} from '../../../src/edge/sip/validate.ts';

const BASE: Record<string, string> = {
  Via: 'SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx',
  'Max-Forwards': '70',
  To: '<sip:bob@example.com>',
  From: '<sip:alice@example.com>;tag=1',
  'Call-ID': 'c1',
  CSeq: '1 INVITE',
};

function request(
  method = 'INVITE',
  uri = 'sip:bob@example.com',
  change: Record<string, string | null> = {},
  extra: string[] = [],
): SipRequest {
  const lines = [`${method} ${uri} SIP/2.0`];
  const h = { ...BASE, CSeq: `1 ${method}`, ...change };
  for (const [name, value] of Object.entries(h))
    if (value !== null) lines.push(`${name}: ${value}`);
  lines.push(...extra, 'Content-Length: 0', '', '');
  const r = parseSipMessage(Buffer.from(lines.join('\r\n')));
  if (!r.ok || r.message.kind !== 'request') throw new Error('fixture');
  return r.message;
}

describe('validateRequest', () => {
  it('accepts a well-formed request', () => {
    expect(validateRequest(request())).toBeUndefined();
    expect(validateRequest(request('ACK'))).toBeUndefined();
  });

  it('400 for each missing mandatory header (Max-Forwards is optional for RFC 2543 peers)', () => {
    for (const name of ['Via', 'To', 'From', 'Call-ID', 'CSeq']) {
      expect(validateRequest(request('INVITE', 'sip:b@h', { [name]: null }))?.status, name).toBe(
        400,
      );
    }
    expect(validateRequest(request('INVITE', 'sip:b@h', { 'Max-Forwards': null }))).toBeUndefined();
  });

  it('400 for duplicated single-valued headers', () => {
    const v = validateRequest(request('INVITE', 'sip:b@h', {}, ['i: c2']));
    expect(v?.status).toBe(400);
    expect(v?.detail).toMatch(/call-id/);
  });

  it('400 for malformed CSeq, Max-Forwards, Contact, Route, Date, Request-URI headers', () => {
    const cases: [Record<string, string>, string[], string][] = [
      [{ CSeq: '2147483648 INVITE' }, [], 'cseq'],
      [{ 'Max-Forwards': 'ten' }, [], 'mf'],
      [{}, ['Contact: <sip:a@b'], 'contact'],
      [{}, ['Route: sip:a@b junk'], 'route'],
      [{}, ['Date: Fri, 01 Jan 2010 16:00:00 EST'], 'date'],
      [{ 'Call-ID': 'has space' }, [], 'callid'],
    ];
    for (const [change, extra, label] of cases) {
      expect(validateRequest(request('INVITE', 'sip:b@h', change, extra))?.status, label).toBe(400);
    }
    expect(validateRequest(request('INVITE', 'sip:b@h?Route=x'))?.status).toBe(400);
    expect(validateRequest(request('INVITE', '<sip:b@h>'))?.status).toBe(400);
  });

  it('501 with Allow for unknown methods, before the CSeq check', () => {
    const v = validateRequest(request('FOO', 'sip:b@h', { CSeq: '1 INVITE' }));
    expect(v?.status).toBe(501);
    expect(v?.headers?.[0]?.name).toBe('Allow');
    expect(validateRequest(request('FOO'), { knownMethods: new Set(['FOO']) })).toBeUndefined();
  });

  it('400 when the CSeq method differs from the request method', () => {
    expect(validateRequest(request('OPTIONS', 'sip:b@h', { CSeq: '1 INVITE' }))?.status).toBe(400);
  });

  it('416 for unsupported Request-URI schemes; tel is accepted', () => {
    expect(validateRequest(request('OPTIONS', 'mailto:x@y'))?.status).toBe(416);
    expect(validateRequest(request('OPTIONS', 'tel:+15551234'))).toBeUndefined();
  });

  it('420 lists unsupported Require tags, never for ACK/CANCEL', () => {
    const v = validateRequest(request('INVITE', 'sip:b@h', {}, ['Require: 100rel, foo, bar']));
    expect(v).toMatchObject({ status: 420, headers: [{ name: 'Unsupported', value: 'foo, bar' }] });
    expect(validateRequest(request('ACK', 'sip:b@h', {}, ['Require: foo']))).toBeUndefined();
    expect(
      validateRequest(request('INVITE', 'sip:b@h', {}, ['Require: foo']), {
        supportedOptions: new Set(['foo']),
      }),
    ).toBeUndefined();
  });

  it('406 for an INVITE whose Accept excludes SDP, unless disabled', () => {
    const r = request('INVITE', 'sip:b@h', {}, ['Accept: text/plain']);
    expect(validateRequest(r)?.status).toBe(406);
    expect(validateRequest(r, { requireSdpAccept: false })).toBeUndefined();
    expect(
      validateRequest(request('INVITE', 'sip:b@h', {}, ['Accept: application/*'])),
    ).toBeUndefined();
  });

  it('leaves a REGISTER whose To is not a SIP AOR to the app (the registrar refuses it)', () => {
    expect(validateRequest(request('REGISTER', 'sip:h', { To: 'tel:+1555' }))).toBeUndefined();
  });
});

describe('validateResponse and triage', () => {
  it('drops responses with malformed mandatory headers', () => {
    const r = parseSipMessage(
      Buffer.from(
        'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\nTo: <sip:a@b>\r\nFrom: <sip:c@d>;tag=1\r\nCall-ID: x\r\nCSeq: 99999999999 INVITE\r\nl: 0\r\n\r\n',
      ),
    );
    if (!r.ok || r.message.kind !== 'response') throw new Error('fixture');
    expect(validateResponse(r.message)).toMatch(/CSeq/);
    expect(triage(r).action).toBe('drop');
  });

  it('never answers an ACK', () => {
    const bad = parseSipMessage(Buffer.from('ACK  sip:a@b SIP/2.0\r\nCall-ID: x\r\nl: 0\r\n\r\n'));
    expect(triage(bad).action).toBe('drop');
    expect(triage(parseSipMessage(Buffer.from('ACK sip:a@b SIP/2.0\r\nl: 0\r\n\r\n'))).action).toBe(
      'drop',
    );
  });

  it('maps parser statuses to reason phrases', () => {
    const t = triage(parseSipMessage(Buffer.from('OPTIONS sip:a@b SIP/3.0\r\nl: 0\r\n\r\n')));
    expect(t).toMatchObject({ action: 'reject', status: 505, reason: 'Version Not Supported' });
  });
});

describe('isRfc1123Date', () => {
  it('GMT only', () => {
    expect(isRfc1123Date('Sat, 13 Nov 2010 23:29:00 GMT')).toBe(true);
    expect(isRfc1123Date('Sat, 13 Nov 2010 23:29:00 UTC')).toBe(false);
    expect(isRfc1123Date('13 Nov 2010')).toBe(false);
  });
});
