/** drachtio wire framing (drachtio-wire.md §1.2, §11 items 1-2). */
import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder } from '../../../src/edge/wire/framing.ts';

describe('wire framing', () => {
  it('length prefix counts UTF-8 bytes, not UTF-16 units', () => {
    const payload = 'a-01|sip||\r\nFrom: "Zoë 😀" <sip:z@h>\r\n';
    const frame = encodeFrame(payload);
    const hash = frame.indexOf('#');
    expect(Number(frame.toString('latin1', 0, hash))).toBe(Buffer.byteLength(payload, 'utf8'));
    expect(Buffer.byteLength(payload, 'utf8')).toBeGreaterThan(payload.length);
    expect(new FrameDecoder().push(frame)).toEqual({ frames: [payload] });
  });

  it('reassembles frames split at every byte position', () => {
    const payloads = ['a|ping', 'b|route|invite', 'c|sip||\r\nINVITE sip:é@h SIP/2.0\r\n\r\n'];
    const all = Buffer.concat(payloads.map(encodeFrame));
    for (let cut = 1; cut < all.length; cut++) {
      const d = new FrameDecoder();
      const got = [...d.push(all.subarray(0, cut)).frames, ...d.push(all.subarray(cut)).frames];
      expect(got).toEqual(payloads);
    }
  });

  it('byte-by-byte delivery and several frames in one chunk both work', () => {
    const payloads = ['x|ping', 'y|ping', '😀|ping'];
    const all = Buffer.concat(payloads.map(encodeFrame));
    const d = new FrameDecoder();
    const got: string[] = [];
    for (const b of all) got.push(...d.push(Buffer.from([b])).frames);
    expect(got).toEqual(payloads);
    expect(new FrameDecoder().push(all).frames).toEqual(payloads);
  });

  it('garbage before # or an oversized length is an error', () => {
    expect(new FrameDecoder().push(Buffer.from('abc#xyz')).error).toBeDefined();
    expect(new FrameDecoder().push(Buffer.from('0#')).error).toBeDefined();
    expect(new FrameDecoder(100).push(Buffer.from('101#')).error).toBeDefined();
    expect(new FrameDecoder().push(Buffer.from('12345678')).error).toBeDefined();
    // A partial length prefix is not an error yet.
    expect(new FrameDecoder().push(Buffer.from('12')).error).toBeUndefined();
  });
});
