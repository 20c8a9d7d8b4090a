/**
 * RFC 4475 torture messages: each file, sent as one UDP datagram, must get
 * the outcome its verdict in index.tsv calls for. Valid messages are also
 * checked field by field where the RFC says what matters, re-serialized, and
 * read back by drachtio-srf's parser (the oracle).
 */

import { describe, expect, it } from 'vitest';
import {
  getHeader,
  getHeaders,
  isRfc3261Branch,
  parseContactList,
  parseCSeq,
  parseNameAddr,
  parseUri,
  parseViaList,
  topVia,
} from '../../../src/edge/sip/headers.ts';
import type { SipMessage, SipRequest, SipResponse } from '../../../src/edge/sip/message.ts';
import { parseSipMessage } from '../../../src/edge/sip/parse.ts';
import { buildResponse, serializeSipMessage } from '../../../src/edge/sip/serialize.ts';
import { stampTopVia } from '../../../src/edge/sip/stamp.ts';
import { SipStreamFramer } from '../../../src/edge/sip/stream.ts';
import { triage } from '../../../src/edge/sip/triage.ts';
import { oracleParse } from './oracle.ts';
import { loadTortureCorpus, type TortureCase } from './torture-data.ts';

const corpus = loadTortureCorpus();
const cases = corpus.ok ? corpus.cases : [];

// Without the messages, one test fails and says what to set; the suites that
// need them are not declared (they would fail one by one on missing files).
if (!corpus.ok) {
  it('RFC 4475 test messages are available (ACD_SHARED_DIR)', () => {
    throw new Error(corpus.missing);
  });
}
const describeCorpus = (name: string, body: () => void): void => {
  if (corpus.ok) describe(name, body);
};
const byName = new Map(cases.map((c) => [c.name, c]));

/**
 * What this server does with each message: `accept` (process it), a status
 * (answer it), or `drop` (no answer possible or allowed). Where the RFC lets
 * an element be liberal, this server is strict and answers 400.
 */
const OUTCOME: Record<string, 'accept' | 'drop' | number> = {
  wsinv: 'accept',
  intmeth: 501, // parsed fine; unknown method -> 501 with Allow (RFC 4475 §3.1.1.2)
  esc01: 'accept',
  escnull: 'accept',
  esc02: 501, // RE%47IST%45R is an unknown method, not REGISTER (§3.1.1.5)
  lwsdisp: 'accept',
  longreq: 'accept',
  dblreq: 'accept',
  semiuri: 'accept',
  transports: 'accept',
  mpart01: 'accept',
  unreason: 'accept',
  noreason: 'accept',
  badinv01: 400,
  clerr: 400,
  ncl: 400,
  scalar02: 400,
  scalarlg: 'drop',
  quotbal: 400,
  ltgtruri: 400,
  lwsruri: 400,
  lwsstart: 400,
  trws: 400,
  escruri: 400,
  baddate: 400,
  regbadct: 400,
  badaspec: 400,
  baddn: 400,
  badvers: 505,
  mismatch01: 400,
  mismatch02: 501, // 501 preferred over 400 (§3.1.2.18)
  bigcode: 'drop',
  badbranch: 'accept', // RFC 2543 fallback is the transaction layer's business
  insuf: 400,
  unkscm: 416,
  novelsc: 416,
  unksm2: 'accept', // REGISTER with a non-SIP To: refusing it is the registrar's (app's) decision (§3.3.4)
  bext01: 420,
  invut: 'accept', // 415 is the app's decision (srf apps handle any content type)
  regaut01: 'accept',
  multi01: 400,
  mcl01: 400,
  bcast: 'accept', // parsed; no transaction matches it, so it is discarded there
  zeromf: 'accept',
  cparam01: 'accept',
  cparam02: 'accept',
  regescrt: 'accept',
  sdp01: 406,
  inv2543: 'accept',
  test: 400,
};

function outcomeOf(c: TortureCase): 'accept' | 'drop' | number {
  const t = triage(parseSipMessage(c.bytes, { datagram: true }));
  if (t.action === 'accept') return 'accept';
  if (t.action === 'drop') return 'drop';
  return t.status;
}

function parsed(name: string): SipMessage {
  const c = byName.get(name);
  if (!c) throw new Error(`no torture file ${name}`);
  const r = parseSipMessage(c.bytes);
  if (!r.ok) throw new Error(`${name} did not parse: ${r.error}`);
  return r.message;
}

function request(name: string): SipRequest {
  const m = parsed(name);
  if (m.kind !== 'request') throw new Error(`${name} is not a request`);
  return m;
}

function response(name: string): SipResponse {
  const m = parsed(name);
  if (m.kind !== 'response') throw new Error(`${name} is not a response`);
  return m;
}

describeCorpus('RFC 4475 corpus', () => {
  it('has all 50 files listed in index.tsv', () => {
    expect(cases).toHaveLength(50);
    expect(Object.keys(OUTCOME).sort()).toEqual(cases.map((c) => c.name).sort());
  });

  it('every valid message parses', () => {
    for (const c of cases.filter((x) => x.verdict === 'valid' || x.verdict === 'valid-syntax')) {
      const r = parseSipMessage(c.bytes);
      expect(r.ok, `${c.name}: ${r.ok ? '' : r.error}`).toBe(true);
    }
  });

  it('no invalid message is accepted', () => {
    for (const c of cases.filter((x) => x.verdict === 'invalid' || x.verdict === 'unreferenced')) {
      expect(outcomeOf(c), c.name).not.toBe('accept');
    }
  });
});

describeCorpus('RFC 4475 outcome per message', () => {
  for (const c of cases) {
    it(`${c.name} (§${c.section} ${c.title}, ${c.verdict}) -> ${OUTCOME[c.name]}`, () => {
      expect(outcomeOf(c)).toBe(OUTCOME[c.name]);
    });
  }
});

/** Why each invalid message is refused: the check that must fire, not just any. */
const CAUSE: Record<string, RegExp> = {
  badinv01: /malformed Via/,
  clerr: /Content-Length 9999 exceeds/,
  ncl: /invalid Content-Length "-999"/,
  scalar02: /malformed CSeq/,
  scalarlg: /malformed CSeq/,
  quotbal: /malformed To/,
  ltgtruri: /malformed Request-URI/,
  lwsruri: /malformed Request-Line/,
  lwsstart: /malformed Request-Line/,
  trws: /malformed Request-Line/,
  escruri: /URI headers/,
  baddate: /Date/,
  regbadct: /malformed Contact/,
  badaspec: /malformed To/,
  baddn: /not terminated/,
  badvers: /unsupported SIP version SIP\/7\.0/,
  mismatch01: /CSeq method does not match/,
  mismatch02: /NEWMETHOD not implemented/,
  bigcode: /Status-Line/,
  insuf: /missing/,
  multi01: /more than one/,
  mcl01: /more than one Content-Length/,
  unkscm: /scheme nobodyknowsthisscheme/,
  novelsc: /scheme soap\.beep/,
  sdp01: /Accept/,
  test: /Request-Line/,
};

describeCorpus('RFC 4475 cause of each refusal', () => {
  for (const [name, cause] of Object.entries(CAUSE)) {
    it(`${name}: ${cause.source}`, () => {
      const t = triage(parseSipMessage(byName.get(name)?.bytes ?? Buffer.alloc(0)));
      if (t.action === 'accept') throw new Error(`${name} accepted`);
      expect(t.detail).toMatch(cause);
    });
  }

  it('baddn with its empty line restored is still refused, for the display names', () => {
    const bytes = Buffer.concat([
      byName.get('baddn')?.bytes ?? Buffer.alloc(0),
      Buffer.from('\r\n'),
    ]);
    const t = triage(parseSipMessage(bytes));
    expect(t).toMatchObject({ action: 'reject', status: 400, detail: 'malformed From' });
  });
});

describeCorpus('answers owed to rejected requests', () => {
  for (const c of cases.filter((x) => typeof OUTCOME[x.name] === 'number')) {
    it(`${c.name}: the ${OUTCOME[c.name]} answer is well formed and readable by srf`, () => {
      const t = triage(parseSipMessage(c.bytes));
      if (t.action !== 'reject') throw new Error(`${c.name} not rejected`);
      const res = buildResponse(t.request, t.status, t.reason, t.headers);
      const bytes = serializeSipMessage(res);
      const again = parseSipMessage(bytes);
      expect(again.ok).toBe(true);
      const o = oracleParse(bytes.toString('utf8'));
      expect(o.status).toBe(t.status);
      // Call-ID and CSeq are copied whenever the request had them (§8.2.6.2).
      const callId = getHeader(t.request, 'call-id');
      if (callId !== undefined) expect(o.get('call-id')).toBe(callId);
      const via = getHeader(t.request, 'via');
      if (via !== undefined) expect(o.has('via')).toBe(true);
    });
  }

  it('bext01: 420 lists both unknown Require option tags in Unsupported', () => {
    const t = triage(parseSipMessage(byName.get('bext01')?.bytes ?? Buffer.alloc(0)));
    if (t.action !== 'reject') throw new Error('not rejected');
    expect(t.headers).toEqual([
      { name: 'Unsupported', value: 'nothingSupportsThis, nothingSupportsThisEither' },
    ]);
  });

  it('intmeth: 501 carries Allow', () => {
    const t = triage(parseSipMessage(byName.get('intmeth')?.bytes ?? Buffer.alloc(0)));
    if (t.action !== 'reject') throw new Error('not rejected');
    expect(t.headers[0]?.name).toBe('Allow');
    expect(t.headers[0]?.value).toContain('INVITE');
  });

  it('badvers: 505 answer even though the version is unknown', () => {
    const r = parseSipMessage(byName.get('badvers')?.bytes ?? Buffer.alloc(0));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.status).toBe(505);
    expect(r.request?.method).toBe('OPTIONS');
  });
});

describeCorpus('valid messages: the fields that matter', () => {
  it('wsinv: folding, LWS everywhere, compact and odd-case names, leading zeros', () => {
    const m = request('wsinv');
    expect(m.method).toBe('INVITE');
    expect(m.uri).toBe('sip:vivekg@chair-dnrc.example.com;unknownparam');
    const to = parseNameAddr(getHeader(m, 'to') ?? '');
    expect(to?.uri).toBe('sip:vivekg@chair-dnrc.example.com');
    expect(to?.params.tag).toBe('1918181833n');
    const from = parseNameAddr(getHeader(m, 'from') ?? '');
    expect(from?.displayName).toBe('J Rosenberg \\"');
    expect(from?.params.tag).toBe('98asjd8');
    expect(getHeader(m, 'max-forwards')).toBe('0068');
    expect(parseCSeq(getHeader(m, 'cseq') ?? '')).toEqual({ seq: 9, method: 'INVITE' });
    expect(getHeader(m, 'subject')).toBe('');
    expect(getHeader(m, 'newfangledheader')).toBe('newfangled value continued newfangled value');
    expect(getHeader(m, 'UnknownHeaderWithUnusualValue')).toBe(';;,,;;,;');
    const vias = parseViaList(m);
    expect(vias?.map((v) => [v.transport, v.host, v.branch])).toEqual([
      ['UDP', '192.0.2.2', '390skdjuw'],
      ['TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
      ['UDP', '192.168.255.111', 'z9hG4bK30239'],
    ]);
    const route = parseNameAddr(getHeader(m, 'route') ?? '');
    expect(route?.parsedUri.params).toEqual({
      lr: null,
      unknownwith: 'value',
      'unknown-no-value': null,
    });
    const contacts = parseContactList(getHeader(m, 'contact') ?? '');
    if (!Array.isArray(contacts)) throw new Error('contact');
    expect(contacts[0]?.displayName).toBe('Quoted string ""');
    expect(contacts[0]?.params).toEqual({ newparam: 'newvalue', secondparam: null, q: '0.33' });
    expect(m.body.length).toBe(150);
  });

  it('intmeth: unusual method token, NUL/BEL/DEL in a quoted string, UTF-8 value', () => {
    const m = request('intmeth');
    expect(m.method).toBe("!interesting-Method0123456789_*+`.%indeed'~");
    expect(parseCSeq(getHeader(m, 'cseq') ?? '')?.method).toBe(m.method);
    const ruri = parseUri(m.uri);
    expect(ruri?.user).toBe("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
    expect(ruri?.password).toBe("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
    expect(ruri?.host).toBe('example.com');
    const to = parseNameAddr(getHeader(m, 'to') ?? '');
    expect(to?.displayName).toBe('BEL:\x07 NUL:\x00 DEL:\x7f');
    const from = parseNameAddr(getHeader(m, 'from') ?? '');
    expect(from?.displayName).toBe("token1~` token2'+_ token3*%!.-");
    expect(from?.params["fromparam''~+*_!.-%"]).toBe('"работающий"');
    expect(from?.params.tag).toBe("_token~1'+`*%!-.");
    expect(getHeader(m, 'call-id')).toBe('intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{');
    expect(getHeader(m, "extensionHeader-!.%*+_`'~")).toBe('\uFEFF大停電');
    // The raw bytes survive serialization: control characters and UTF-8 alike.
    const out = serializeSipMessage(m);
    expect(out.includes(Buffer.from('"BEL:\\\x07 NUL:\\\x00 DEL:\\\x7f"', 'latin1'))).toBe(true);
    expect(out.includes(Buffer.from([0xef, 0xbb, 0xbf, 0xe5, 0xa4, 0xa7]))).toBe(true);
    const again = parseSipMessage(out);
    expect(again.ok && again.message.headers).toEqual(m.headers);
  });

  it('esc01: %HH escapes decoded once in user parts and URI parameters', () => {
    const m = request('esc01');
    const ruri = parseUri(m.uri);
    expect(ruri?.user).toBe('sips:user@example.com');
    expect(ruri?.host).toBe('example.net');
    expect(parseNameAddr(getHeader(m, 'to') ?? '')?.parsedUri.user).toBe('user');
    expect(parseNameAddr(getHeader(m, 'from') ?? '')?.parsedUri.user).toBe('I have spaces');
    const contact = parseNameAddr(getHeader(m, 'contact') ?? '');
    expect(contact?.parsedUri.user).toBe('caller');
    expect(contact?.parsedUri.params).toEqual({ lr: null, name: 'value%41' });
  });

  it('escnull: %00 does not truncate the user part; two distinct contacts', () => {
    const m = request('escnull');
    expect(parseNameAddr(getHeader(m, 'to') ?? '')?.parsedUri.user).toBe('null-\x00-null');
    const users = getHeaders(m, 'contact').map((v) => parseNameAddr(v)?.parsedUri.user);
    expect(users).toEqual(['\x00', '\x00\x00']);
  });

  it('esc02: % that is not an escape; C%6Fntact is not Contact', () => {
    const m = request('esc02');
    expect(m.method).toBe('RE%47IST%45R');
    expect(parseNameAddr(getHeader(m, 'to') ?? '')?.displayName).toBe('%Z%45');
    expect(getHeaders(m, 'contact')).toHaveLength(2);
    expect(getHeader(m, 'C%6Fntact')).toBe('<sip:alias2@host2.example.com>');
    expect(topVia(m)?.branch).toBe('z9hG4bK209%fzsnel234');
  });

  it('lwsdisp: no LWS between display name and <', () => {
    const from = parseNameAddr(getHeader(request('lwsdisp'), 'from') ?? '');
    expect(from?.displayName).toBe('caller');
    expect(from?.uri).toBe('sip:caller@example.com');
    expect(from?.params.tag).toBe('323');
  });

  it('longreq: long values, 34 Via lines in many spellings', () => {
    const m = request('longreq');
    const to = parseNameAddr(getHeader(m, 'to') ?? '');
    expect(to?.displayName?.length).toBeGreaterThan(100);
    expect(to?.parsedUri.port).toBe(6000);
    expect(parseNameAddr(getHeader(m, 'from') ?? '')?.params.tag?.length).toBeGreaterThan(100);
    expect(getHeader(m, 'call-id')?.length).toBeGreaterThan(100);
    const vias = parseViaList(m);
    expect(vias).toHaveLength(34);
    expect(vias?.[0]?.host).toBe('sip33.example.com');
    expect(vias?.[33]?.received).toBe('192.0.2.5');
    expect(m.body.length).toBe(150);
  });

  it('dblreq: the REGISTER is handled and the trailing INVITE octets ignored', () => {
    const m = request('dblreq');
    expect(m.method).toBe('REGISTER');
    expect(m.body.length).toBe(0);
    expect(serializeSipMessage(m).includes('INVITE')).toBe(false);
  });

  it('semiuri: user part with ; and escaped @', () => {
    const m = request('semiuri');
    const ruri = parseUri(m.uri);
    expect(ruri?.user).toBe('user;par=u@example.net');
    expect(ruri?.host).toBe('example.com');
    expect(ruri?.params).toEqual({});
    expect(getHeaders(m, 'accept')).toHaveLength(6);
  });

  it('transports: unknown transport tokens are legal', () => {
    expect(parseViaList(request('transports'))?.map((v) => v.transport)).toEqual([
      'UDP',
      'SCTP',
      'TLS',
      'UNKNOWN',
      'TCP',
    ]);
  });

  it('mpart01: binary multipart body framed by Content-Length, NULs intact', () => {
    const m = request('mpart01');
    expect(m.body.length).toBe(Number(getHeader(m, 'content-length')));
    expect(m.body.includes(0)).toBe(true);
    expect(topVia(m)?.rport).toBe(null);
    expect(topVia(m)?.port).toBe(5070);
  });

  it('unreason: reason phrase with UTF-8 and symbols', () => {
    const m = response('unreason');
    expect(m.status).toBe(200);
    expect(m.reason.startsWith('= 2**3 * 5**2 но')).toBe(true);
  });

  it('noreason: empty reason phrase', () => {
    const m = response('noreason');
    expect(m.status).toBe(100);
    expect(m.reason).toBe('');
  });

  it('inv2543: no branch, no From tag, no Content-Length (body = rest of datagram)', () => {
    const m = request('inv2543');
    const c = byName.get('inv2543');
    expect(topVia(m)?.branch).toBeUndefined();
    expect(parseNameAddr(getHeader(m, 'from') ?? '')?.params.tag).toBeUndefined();
    expect(getHeader(m, 'max-forwards')).toBeUndefined();
    expect(m.body.toString()).toBe(c?.bytes.toString().split('\r\n\r\n')[1]);
  });

  it('badbranch: the bare magic cookie is not an RFC 3261 branch', () => {
    expect(isRfc3261Branch(topVia(request('badbranch'))?.branch)).toBe(false);
  });

  it('unksm2: non-SIP schemes in To, From and Contact parse', () => {
    const m = request('unksm2');
    expect(parseNameAddr(getHeader(m, 'to') ?? '')?.parsedUri.scheme).toBe('isbn');
    expect(parseNameAddr(getHeader(m, 'from') ?? '')?.parsedUri.scheme).toBe('http');
    expect(parseNameAddr(getHeader(m, 'contact') ?? '')?.parsedUri.scheme).toBe('name');
  });

  it('cparam01: unknownparam is a contact parameter, not a URI parameter', () => {
    const c = parseNameAddr(getHeader(request('cparam01'), 'contact') ?? '');
    expect(c?.uri).toBe('sip:+19725552222@gw1.example.net');
    expect(c?.parsedUri.params).toEqual({});
    expect(c?.params).toEqual({ unknownparam: null });
  });

  it('cparam02: unknownparam is a URI parameter', () => {
    const c = parseNameAddr(getHeader(request('cparam02'), 'contact') ?? '');
    expect(c?.parsedUri.params).toEqual({ unknownparam: null });
    expect(c?.params).toEqual({});
  });

  it('regescrt: the escaped Route header stays in the contact URI', () => {
    const c = parseNameAddr(getHeader(request('regescrt'), 'contact') ?? '');
    expect(c?.parsedUri.headers).toEqual({ Route: '<sip:sip.example.com>' });
    expect(c?.uri).toBe('sip:user@example.com?Route=%3Csip:sip.example.com%3E');
  });

  it('regaut01: unknown Authorization scheme kept verbatim', () => {
    expect(getHeader(request('regaut01'), 'authorization')).toBe(
      'NoOneKnowsThisScheme opaque-data=here',
    );
  });

  it('zeromf: Max-Forwards 0 is processed normally by an endpoint', () => {
    expect(getHeader(request('zeromf'), 'max-forwards')).toBe('0');
  });

  it('bcast: broadcast Via parsed', () => {
    const vias = parseViaList(response('bcast'));
    expect(vias?.[1]?.host).toBe('255.255.255.255');
  });
});

describeCorpus('drachtio-srf reads what we serialize (oracle)', () => {
  // Every message that parses, in the form the server hands it to the app:
  // requests with the top Via stamped (received/rport, drachtio-wire.md §3.2).
  const parsable = cases.filter((c) => parseSipMessage(c.bytes).ok);
  it('covers every accepted message', () => {
    const accepted = cases.filter((c) => OUTCOME[c.name] === 'accept').map((c) => c.name);
    expect(parsable.map((c) => c.name)).toEqual(expect.arrayContaining(accepted));
  });
  for (const c of parsable) {
    it(c.name, () => {
      const m = parsed(c.name);
      const relayed: SipMessage =
        m.kind === 'request'
          ? { ...m, headers: stampTopVia(m.headers, '127.0.0.1', 5060) ?? m.headers }
          : m;
      const bytes = serializeSipMessage(relayed);
      const o = oracleParse(bytes.toString('utf8'));
      if (m.kind === 'request') {
        // srf percent-decodes the method (esc02's RE%47IST%45R reads as REGISTER);
        // such methods are answered 501 by the server and never reach the app.
        expect(o.method).toBe(
          m.method.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) =>
            String.fromCharCode(Number.parseInt(h, 16)),
          ),
        );
        expect(o.uri).toBe(m.uri);
        if (topVia(m)) expect(o.get('via')).toMatch(/;rport=5060(,|$)/);
      } else {
        expect(o.status).toBe(m.status);
      }
      const callIds = getHeaders(m, 'call-id');
      if (callIds.length > 0) expect(o.get('call-id')).toBe(callIds.join(','));
      else expect(o.has('call-id')).toBe(false);
      const cseq = getHeaders(m, 'cseq');
      if (cseq.length > 0) expect(o.get('cseq')).toBe(cseq.join(','));
      // Text bodies are compared as srf sees them (it works on strings).
      if (!m.body.includes(0)) expect(o.body).toBe(m.body.toString('utf8'));
    });
  }
});

describeCorpus('torture messages over a stream', () => {
  it('valid messages frame identically when fed byte by byte', () => {
    for (const name of ['wsinv', 'esc01', 'longreq', 'mpart01', 'unreason']) {
      const c = byName.get(name);
      if (!c) throw new Error(name);
      const framer = new SipStreamFramer();
      const items = [];
      for (let i = 0; i < c.bytes.length; i++)
        items.push(...framer.push(c.bytes.subarray(i, i + 1)));
      expect(items, name).toHaveLength(1);
      const item = items[0];
      if (item?.kind !== 'message' || !item.result.ok) throw new Error(`${name} not framed`);
      expect(item.result.message.body.equals(parsed(name).body)).toBe(true);
    }
  });

  it('ncl and mcl01 are unrecoverable framing errors with a 400 owed', () => {
    for (const name of ['ncl', 'mcl01']) {
      const framer = new SipStreamFramer();
      const bytes = byName.get(name)?.bytes ?? Buffer.alloc(0);
      const items = framer.push(bytes);
      const datagram = parseSipMessage(bytes);
      if (datagram.ok || !datagram.request) throw new Error(`${name} should fail with a request`);
      expect(items).toHaveLength(1);
      const item = items[0];
      if (item?.kind !== 'error') throw new Error(`${name}: expected a framing error`);
      expect(item.status).toBe(400);
      expect(item.request?.method).toBe(datagram.request.method);
      expect(item.request?.headers).toEqual(datagram.request.headers);
      expect(framer.failed).toBe(true);
    }
  });

  it('clerr waits for more data (the transport times it out)', () => {
    const framer = new SipStreamFramer();
    const c = byName.get('clerr');
    expect(framer.push(c?.bytes ?? Buffer.alloc(0))).toEqual([]);
    expect(framer.bufferedBytes).toBe(c?.bytes.length);
  });

  it('inv2543 (no Content-Length) is a framing error on a stream', () => {
    const framer = new SipStreamFramer();
    const items = framer.push(byName.get('inv2543')?.bytes ?? Buffer.alloc(0));
    expect(items[0]?.kind).toBe('error');
  });
});
