/**
 * What the channel accepts from the network: RFC 4733 presses (one event per
 * press, retransmitted end packets ignored), symmetric RTP latching, and bad
 * input (malformed RTP/RTCP, unknown payload types, strangers) dropped, counted
 * and logged at a limited rate, without stopping the channel.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RtpChannel, RtpEngine } from '../../../src/media/rtp/index.ts';
import { encodeG711 } from '../../../src/media/audio/g711.ts';
import { isSilent, tone } from '../../support/audio.ts';
import { RtpPeer, eventPayload } from '../../support/rtp-peer.ts';
import { type collectingLog, newEngine, sleep, until } from './helpers.ts';

let engine: RtpEngine;
let log: ReturnType<typeof collectingLog>;
let channel: RtpChannel;
let peer: RtpPeer;
let target: { address: string; port: number };

const ulaw = (pcm: Int16Array) => {
  const out = new Uint8Array(pcm.length);
  encodeG711('PCMU', pcm, out);
  return out;
};

beforeEach(async () => {
  ({ engine, log } = newEngine());
  channel = await engine.open();
  peer = await RtpPeer.open();
  target = { address: '127.0.0.1', port: channel.localPort };
});

afterEach(async () => {
  await engine.close();
  await peer.close();
  expect(engine.portsInUse).toBe(0);
});

function digitsOf(ch: RtpChannel): [string, number][] {
  const seen: [string, number][] = [];
  ch.on('dtmf', (digit, ms) => seen.push([digit, ms]));
  return seen;
}

describe('RFC 4733 telephone-events in', () => {
  beforeEach(() =>
    channel.setRemote({
      address: '127.0.0.1',
      port: peer.port,
      codec: 'PCMU',
      payloadType: 0,
      telephoneEventPt: 101,
    }),
  );

  it('emits one dtmf per press, ignoring the retransmitted end packets', async () => {
    const seen = digitsOf(channel);
    await peer.sendDtmf(target, 101, 5, 120, 3);
    await peer.sendDtmf(target, 101, 11, 80, 3); // '#'
    await peer.sendDtmf(target, 101, 5, 60, 1); // the same digit again is a new press
    await until(() => seen.length >= 3, 2000, 'three presses');
    await sleep(100);
    expect(seen).toEqual([
      ['5', 120],
      ['#', 80],
      ['5', 60],
    ]);
  });

  it('a press whose end packets were all lost is reported when the next begins', async () => {
    const seen = digitsOf(channel);
    await peer.sendDtmf(target, 101, 1, 100, 0);
    await peer.sendDtmf(target, 101, 2, 100, 3);
    await until(() => seen.length >= 2, 2000, 'two presses');
    expect(seen.map(([d]) => d)).toEqual(['1', '2']);
  });

  it('event packets too short to hold an event are counted as malformed', async () => {
    peer.sendRaw(peer.packet(101, Buffer.from([5, 0x80])), target);
    await until(() => channel.stats.malformed === 1, 2000, 'malformed count');
  });
});

describe('symmetric RTP', () => {
  it('sends to where the peer sends from, not to the SDP address, after the first valid packet', async () => {
    const elsewhere = await RtpPeer.open(); // the SDP's address (a NAT's inside address, say)
    channel.setRemote({
      address: '127.0.0.1',
      port: elsewhere.port,
      codec: 'PCMU',
      payloadType: 0,
    });
    await elsewhere.waitForPackets(2);
    peer.sendRaw(peer.packet(0, Buffer.from(ulaw(tone([1000], 20)))), target);
    await peer.waitForPackets(5);
    const atElsewhere = elsewhere.received.length;
    await sleep(100);
    expect(elsewhere.received.length - atElsewhere).toBeLessThanOrEqual(1); // in flight at the switch
    expect(log.lines.some((l) => l.msg.includes('symmetric RTP'))).toBe(true);
    expect(channel.lastPacketAt).toBeGreaterThan(0);
    await elsewhere.close();
  });

  it('after latching, packets from another source are dropped and counted; a new setRemote latches again', async () => {
    const stranger = await RtpPeer.open();
    channel.setRemote({ address: '127.0.0.1', port: peer.port, codec: 'PCMU', payloadType: 0 });
    peer.sendRaw(peer.packet(0, Buffer.alloc(160, 0xff)), target);
    await until(() => channel.stats.packetsIn === 1, 2000, 'first packet');
    const loud = Buffer.from(ulaw(tone([1000], 20)));
    for (let i = 0; i < 20; i++) stranger.sendRaw(stranger.packet(0, loud), target);
    await until(() => channel.stats.dropped === 20, 2000, 'drops');
    expect(channel.stats.packetsIn).toBe(1);
    expect(stranger.received.length).toBe(0);
    // One log line for the flood, not twenty.
    expect(log.lines.filter((l) => l.msg.includes('unexpected source')).length).toBe(1);

    channel.setRemote({ address: '127.0.0.1', port: stranger.port, codec: 'PCMU', payloadType: 0 });
    stranger.sendRaw(stranger.packet(0, loud), target);
    await until(() => channel.stats.packetsIn === 2, 2000, 'packet after re-latch');
    await stranger.waitForPackets(2);
    await stranger.close();
  });
});

describe('a channel pointed at itself (3pcc before the answer)', () => {
  it('ignores its own looped-back packets, so the real answer is where it sends afterwards', async () => {
    // Pointed at its own port, as a 3pcc endpoint is until its answer arrives.
    channel.setRemote({
      address: '127.0.0.1',
      port: channel.localPort,
      codec: 'PCMU',
      payloadType: 0,
    });
    await sleep(100);
    expect(channel.stats.packetsIn).toBe(0);
    channel.setRemote({ address: '127.0.0.1', port: peer.port, codec: 'PCMU', payloadType: 0 });
    // Packets it sent to itself before the answer may still be queued: none of them latches.
    await sleep(100);
    await peer.waitForPackets(5);
    const loud = Buffer.from(ulaw(tone([1000], 20)));
    peer.sendRaw(peer.packet(0, loud), target);
    await until(() => channel.stats.packetsIn === 1, 2000, 'the peer latched');
    const before = peer.received.length;
    await sleep(200);
    expect(peer.received.length - before).toBeGreaterThanOrEqual(5);
    expect(channel.stats.dropped).toBe(0);
  });
});

describe('bad input', () => {
  beforeEach(() =>
    channel.setRemote({
      address: '127.0.0.1',
      port: peer.port,
      codec: 'PCMU',
      payloadType: 0,
      telephoneEventPt: 101,
    }),
  );

  it('malformed RTP, unknown payload types and packets before setRemote are dropped and counted; the channel goes on', async () => {
    const garbage = [
      Buffer.from('hello'), // too short
      Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), // version 1
      (() => {
        const b = peer.packet(0, Buffer.alloc(4));
        b[0] = 0xa0; // padding bit with a padding count larger than the packet
        b[b.length - 1] = 200;
        return b;
      })(),
      (() => {
        const b = peer.packet(0, Buffer.alloc(0));
        b[0] = 0x8f; // 15 CSRCs announced, none present
        return b;
      })(),
      Buffer.from([0x80, 0xc8, 0x00, 0x40, 1, 2, 3, 4]), // RTCP whose length runs past the datagram
    ];
    for (const g of garbage) peer.sendRaw(g, target);
    for (let i = 0; i < 3; i++) peer.sendRaw(peer.packet(96, Buffer.alloc(160)), target); // unknown payload type
    await until(() => channel.stats.malformed === 5 && channel.stats.dropped === 3, 2000, 'counts');
    expect(channel.stats.packetsIn).toBe(0);
    const warnings = log.lines.filter((l) => l.level === 'warn');
    expect(warnings.filter((l) => l.msg.includes('malformed')).length).toBe(1); // rate-limited
    expect(warnings.some((l) => l.msg.includes('unknown payload type'))).toBe(true);

    const late = await engine.open(); // no setRemote: nothing to compare with
    peer.sendRaw(peer.packet(0, Buffer.alloc(160)), { address: '127.0.0.1', port: late.localPort });
    await until(() => late.stats.dropped === 1, 2000, 'drop before setRemote');

    // Still working: audio is accepted and the channel keeps sending.
    const seen = digitsOf(channel);
    await peer.sendDtmf(target, 101, 9, 60);
    await until(() => seen.length === 1, 2000, 'dtmf after garbage');
    expect(channel.stats.packetsIn).toBeGreaterThan(0);
  });

  it('RTCP on the odd port (and muxed on the RTP port) is read and ignored; garbage there is counted', async () => {
    const receiverReport = Buffer.from([0x80, 0xc9, 0x00, 0x01, 0, 0, 0, 1]);
    peer.sendRaw(receiverReport, { address: '127.0.0.1', port: channel.localPort + 1 });
    peer.sendRaw(receiverReport, target);
    peer.sendRaw(Buffer.from('junk'), { address: '127.0.0.1', port: channel.localPort + 1 });
    await until(
      () => channel.stats.rtcp === 2 && channel.stats.malformed === 1,
      2000,
      'rtcp counts',
    );
    expect(channel.stats.packetsIn).toBe(0);
    await peer.waitForPackets(3); // and it still sends
    expect(isSilent(peer.audio('PCMU'))).toBe(true);
  });

  it('comfort noise (payload type 13) is accepted without being counted as dropped', async () => {
    peer.sendRaw(peer.packet(13, Buffer.from([40])), target);
    peer.sendRaw(peer.packet(101, eventPayload(3, true, 800)), target);
    await until(() => channel.stats.packetsIn === 2, 2000, 'cn');
    expect(channel.stats.dropped).toBe(0);
  });
});
