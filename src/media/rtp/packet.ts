/**
 * RTP (RFC 3550) and RTCP packet recognition, pure functions on Buffers.
 * A datagram is classified as RTP, RTCP (second byte 192-223, which also
 * covers RTCP multiplexed on the RTP port, RFC 5761) or malformed.
 */

export const RTP_HEADER_BYTES = 12;

export interface RtpPacket {
  payloadType: number;
  marker: boolean;
  sequence: number;
  timestamp: number;
  ssrc: number;
  payload: Buffer;
}

export type Datagram =
  | { kind: 'rtp'; packet: RtpPacket }
  | { kind: 'rtcp' }
  | { kind: 'malformed'; reason: string };

function malformed(reason: string): Datagram {
  return { kind: 'malformed', reason };
}

function checkRtcp(buf: Buffer): Datagram {
  // A compound packet: each part's length field (in 32-bit words minus one) must fit.
  let at = 0;
  while (at < buf.length) {
    if (buf.length - at < 4) return malformed('truncated RTCP');
    if (buf[at]! >> 6 !== 2) return malformed('RTCP version is not 2');
    at += (buf.readUInt16BE(at + 2) + 1) * 4;
  }
  return at === buf.length ? { kind: 'rtcp' } : malformed('RTCP length runs past the datagram');
}

export function classify(buf: Buffer): Datagram {
  if (buf.length < RTP_HEADER_BYTES)
    return buf.length >= 4 && buf[1]! >= 192 && buf[1]! <= 223
      ? checkRtcp(buf)
      : malformed('shorter than an RTP header');
  const b0 = buf[0]!;
  if (b0 >> 6 !== 2) return malformed('version is not 2');
  const b1 = buf[1]!;
  if (b1 >= 192 && b1 <= 223) return checkRtcp(buf);
  let start = RTP_HEADER_BYTES + 4 * (b0 & 0x0f);
  if (b0 & 0x10) {
    if (buf.length < start + 4) return malformed('truncated header extension');
    start += 4 + 4 * buf.readUInt16BE(start + 2);
  }
  let end = buf.length;
  if (b0 & 0x20) {
    const pad = buf[buf.length - 1]!;
    if (pad === 0) return malformed('padding count of zero');
    end -= pad;
  }
  if (end < start) return malformed('header and padding longer than the packet');
  return {
    kind: 'rtp',
    packet: {
      payloadType: b1 & 0x7f,
      marker: (b1 & 0x80) !== 0,
      sequence: buf.readUInt16BE(2),
      timestamp: buf.readUInt32BE(4),
      ssrc: buf.readUInt32BE(8),
      payload: buf.subarray(start, end),
    },
  };
}

/** Writes a 12-byte RTP header (no CSRC, no extension, no padding) at the start of `buf`. */
export function writeRtpHeader(
  buf: Buffer,
  h: { payloadType: number; marker: boolean; sequence: number; timestamp: number; ssrc: number },
): void {
  buf[0] = 0x80;
  buf[1] = (h.marker ? 0x80 : 0) | (h.payloadType & 0x7f);
  buf.writeUInt16BE(h.sequence & 0xffff, 2);
  buf.writeUInt32BE(h.timestamp >>> 0, 4);
  buf.writeUInt32BE(h.ssrc >>> 0, 8);
}
