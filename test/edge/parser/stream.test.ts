import { describe, expect, it } from 'vitest';
import { getHeader } from '../../../src/edge/sip/headers.ts';
import { type FramerItem, SipStreamFramer } from '../../../src/edge/sip/stream.ts';

function msg(callId: string, body = ''): Buffer {
  return Buffer.from(
    [
      'MESSAGE sip:bob@example.com SIP/2.0',
      `Via: SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bK-${callId}`,
      'Max-Forwards: 70',
      'To: <sip:bob@example.com>',
      'From: <sip:alice@example.com>;tag=1',
      `Call-ID: ${callId}`,
      'CSeq: 1 MESSAGE',
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n'),
  );
}

function callIds(items: FramerItem[]): string[] {
  return items.map((i) => {
    if (i.kind !== 'message' || !i.result.ok) throw new Error(`unexpected item ${i.kind}`);
    return getHeader(i.result.message, 'call-id') ?? '';
  });
}

describe('SipStreamFramer', () => {
  it('frames several messages delivered in one chunk', () => {
    const f = new SipStreamFramer();
    const items = f.push(Buffer.concat([msg('a', 'hello'), msg('b'), msg('c', 'wörld')]));
    expect(callIds(items)).toEqual(['a', 'b', 'c']);
    expect(f.bufferedBytes).toBe(0);
  });

  it('reassembles messages split at every byte position', () => {
    const all = Buffer.concat([msg('a', 'body one'), msg('b', 'two')]);
    for (let cut = 1; cut < all.length; cut++) {
      const f = new SipStreamFramer();
      const items = [...f.push(all.subarray(0, cut)), ...f.push(all.subarray(cut))];
      expect(callIds(items), `cut at ${cut}`).toEqual(['a', 'b']);
    }
  });

  it('keeps the exact bytes of each message and the body', () => {
    const f = new SipStreamFramer();
    const one = msg('x', 'payload\r\n\r\nwith blank lines');
    const [item] = f.push(one);
    if (item?.kind !== 'message' || !item.result.ok) throw new Error('no message');
    expect(item.bytes.equals(one)).toBe(true);
    expect(item.result.message.body.toString()).toBe('payload\r\n\r\nwith blank lines');
  });

  it('reports CRLF CRLF keep-alives as pings and ignores single CRLFs', () => {
    const f = new SipStreamFramer();
    expect(f.push(Buffer.from('\r\n\r\n'))).toEqual([{ kind: 'ping' }]);
    expect(f.push(Buffer.from('\r\n'))).toEqual([]);
    const items = f.push(Buffer.concat([Buffer.from('\r\n'), msg('after')]));
    expect(items.map((i) => i.kind)).toEqual(['ping', 'message']);
    // A ping split across chunks still counts once.
    const g = new SipStreamFramer();
    expect([...g.push(Buffer.from('\r\n\r')), ...g.push(Buffer.from('\n'))]).toEqual([
      { kind: 'ping' },
    ]);
  });

  it('a framed message that fails to parse does not kill the connection', () => {
    const f = new SipStreamFramer();
    const bad = Buffer.from('INVITE  sip:a@b SIP/2.0\r\nCall-ID: z\r\nContent-Length: 0\r\n\r\n');
    const items = f.push(Buffer.concat([bad, msg('next')]));
    expect(items).toHaveLength(2);
    const first = items[0];
    if (first?.kind !== 'message' || first.result.ok) throw new Error('expected a parse failure');
    expect(first.result.request?.method).toBe('INVITE');
    expect(callIds(items.slice(1))).toEqual(['next']);
    expect(f.failed).toBe(false);
  });

  it('a missing Content-Length is fatal, with the request for a 400', () => {
    const f = new SipStreamFramer();
    const items = f.push(
      Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nCall-ID: q\r\nCSeq: 1 OPTIONS\r\n\r\n'),
    );
    expect(items).toHaveLength(1);
    const item = items[0];
    if (item?.kind !== 'error') throw new Error('expected error');
    expect(item.status).toBe(400);
    expect(item.request?.headers).toContainEqual({ name: 'Call-ID', value: 'q' });
    expect(f.failed).toBe(true);
    expect(f.push(msg('ignored'))).toEqual([]);
  });

  it('an oversize header section is fatal (513) without waiting for the end', () => {
    const f = new SipStreamFramer({ maxHeaderBytes: 1024 });
    const items = f.push(Buffer.from(`OPTIONS sip:a@b SIP/2.0\r\nX-Big: ${'a'.repeat(2000)}`));
    expect(items).toEqual([{ kind: 'error', error: expect.stringMatching(/larger/), status: 513 }]);
    expect(f.bufferedBytes).toBe(0);
  });

  it('an oversize Content-Length is fatal (513)', () => {
    const f = new SipStreamFramer({ maxSize: 4096 });
    const items = f.push(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 100000\r\n\r\n'));
    expect(items[0]).toMatchObject({ kind: 'error', status: 400 });
  });

  it('a folded Content-Length is still found', () => {
    const f = new SipStreamFramer();
    const items = f.push(
      Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nCall-ID: f\r\nContent-Length:\r\n 3\r\n\r\nabcNEXT'),
    );
    const item = items[0];
    if (item?.kind !== 'message' || !item.result.ok) throw new Error('expected message');
    expect(item.result.message.body.toString()).toBe('abc');
    expect(f.bufferedBytes).toBe(4);
  });

  it('waits for a body that has not arrived yet', () => {
    const f = new SipStreamFramer();
    const whole = msg('w', '0123456789');
    expect(f.push(whole.subarray(0, whole.length - 5))).toEqual([]);
    expect(f.bufferedBytes).toBe(whole.length - 5);
    expect(callIds(f.push(whole.subarray(whole.length - 5)))).toEqual(['w']);
  });
});

describe('SipStreamFramer buffering', () => {
  it('messages handed out stay intact while later bytes arrive (shared store)', () => {
    const f = new SipStreamFramer();
    const all = Buffer.concat([msg('a', 'first body'), msg('b', 'second body'), msg('c', 'third')]);
    const got: Buffer[] = [];
    const bodies: string[] = [];
    for (let i = 0; i < all.length; i += 7) {
      for (const item of f.push(all.subarray(i, i + 7))) {
        if (item.kind !== 'message' || !item.result.ok) throw new Error('unexpected');
        got.push(item.bytes);
        bodies.push(item.result.message.body.toString());
      }
    }
    // Checked after everything was pushed: earlier views were not overwritten.
    expect(Buffer.concat(got).equals(all)).toBe(true);
    expect(got.map((b) => b.toString()).join('')).toBe(all.toString());
    expect(bodies).toEqual(['first body', 'second body', 'third']);
  });

  it('a large message trickled one byte at a time is framed', () => {
    const f = new SipStreamFramer();
    const big = msg('big', 'x'.repeat(60_000));
    const items = [];
    for (let i = 0; i < big.length; i++) items.push(...f.push(big.subarray(i, i + 1)));
    expect(items).toHaveLength(1);
    const item = items[0];
    if (item?.kind !== 'message') throw new Error('no message');
    expect(item.bytes.equals(big)).toBe(true);
  });
});
