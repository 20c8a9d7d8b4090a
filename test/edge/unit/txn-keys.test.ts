/**
 * Transaction keys (txn/keys.ts): what they match, and that a key does not
 * keep its request's text alive while the transaction lingers (64*T1).
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { parseSipMessage, type SipMessage } from '../../../src/edge/sip/index.ts';
import { serverKey } from '../../../src/edge/txn/keys.ts';

function request(branch: string, method = 'INVITE', padding = 0): SipMessage {
  const text = [
    `${method} sip:bob@127.0.0.1 SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:5070;branch=${branch}`,
    'From: <sip:alice@127.0.0.1>;tag=a1',
    'To: <sip:bob@127.0.0.1>',
    'Call-ID: c1@127.0.0.1',
    `CSeq: 1 ${method}`,
    `X-Padding: ${'p'.repeat(padding)}`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  const parsed = parseSipMessage(Buffer.from(text));
  if (!parsed.ok) throw new Error('test request did not parse');
  return parsed.message;
}

/** A full garbage collection (the test process is not started with --expose-gc). */
function collectGarbage(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

describe('server transaction keys', () => {
  it('match on branch and method; an ACK finds its INVITE through the method given', () => {
    const inv = request('z9hG4bK-one');
    expect(serverKey(inv, 'INVITE')).toBe(serverKey(request('z9hG4bK-one', 'ACK'), 'INVITE'));
    expect(serverKey(inv, 'INVITE')).not.toBe(serverKey(request('z9hG4bK-two'), 'INVITE'));
    expect(serverKey(request('z9hG4bK-one', 'BYE'), 'BYE')).not.toBe(serverKey(inv, 'INVITE'));
  });

  it("a key does not keep the request's text alive", () => {
    const n = 2000;
    const padding = 4000;
    collectGarbage();
    const before = process.memoryUsage().heapUsed;
    const keys: string[] = [];
    for (let i = 0; i < n; i++) {
      const key = serverKey(request(`z9hG4bK-${i}-0123456789abcdef`, 'INVITE', padding), 'INVITE');
      if (key) keys.push(key);
    }
    collectGarbage();
    const perKey = (process.memoryUsage().heapUsed - before) / n;
    expect(keys).toHaveLength(n);
    // A key concatenated from the branch (a slice of the header text) keeps
    // that whole text: over `padding` bytes each. A copied key is ~100 bytes.
    expect(perKey).toBeLessThan(padding / 4);
  });
});
