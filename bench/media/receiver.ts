/**
 * The benchmark's RTP receivers, in a process of their own (forked by
 * bench/media-bench.ts): UDP sockets on loopback that time every packet's
 * arrival per SSRC and count sequence gaps. Commands arrive over IPC:
 *   {cmd:'listen', sockets}  -> {ports}
 *   {cmd:'start'}            -> forget earlier packets, measure from now
 *   {cmd:'stop'}             -> {report}
 */
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { prioritiseThisThread } from '../../src/edge/thread/thread-scheduling.ts';

const BUCKET_MS = 0.05;
const BUCKETS = 4000; // up to 200 ms

interface Stream {
  lastAt: number;
  firstSeq: number;
  lastSeq: number; // extended (no wrap)
  count: number;
}

export interface ReceiverReport {
  streams: number;
  packets: number;
  lost: number;
  gaps: number;
  /** Percentiles of the time between consecutive packets of a stream, ms. */
  gapP1: number;
  gapP50: number;
  gapP99: number;
  gapMax: number;
  /** 99th percentile of |gap - 20 ms|. */
  deviationP99: number;
}

const gapHist = new Uint32Array(BUCKETS + 1);
const devHist = new Uint32Array(BUCKETS + 1);
let gapMax = 0;
let measuring = false;
const streams = new Map<number, Stream>();
const sockets: dgram.Socket[] = [];

function onMessage(msg: Buffer): void {
  if (!measuring || msg.length < 12) return;
  const now = performance.now();
  const ssrc = msg.readUInt32BE(8);
  const seq = msg.readUInt16BE(2);
  const s = streams.get(ssrc);
  if (!s) {
    streams.set(ssrc, { lastAt: now, firstSeq: seq, lastSeq: seq, count: 1 });
    return;
  }
  const gap = now - s.lastAt;
  s.lastAt = now;
  let ext = (s.lastSeq & ~0xffff) | seq;
  if (ext < s.lastSeq - 0x8000) ext += 0x10000;
  if (ext > s.lastSeq) s.lastSeq = ext;
  s.count++;
  gapHist[Math.min(BUCKETS, Math.floor(gap / BUCKET_MS))]!++;
  devHist[Math.min(BUCKETS, Math.floor(Math.abs(gap - 20) / BUCKET_MS))]!++;
  if (gap > gapMax) gapMax = gap;
}

function percentile(hist: Uint32Array, total: number, p: number): number {
  const want = Math.ceil((p / 100) * total);
  let seen = 0;
  for (let i = 0; i < hist.length; i++) {
    seen += hist[i]!;
    if (seen >= want) return (i + 1) * BUCKET_MS;
  }
  return hist.length * BUCKET_MS;
}

function report(): ReceiverReport {
  let packets = 0;
  let lost = 0;
  for (const s of streams.values()) {
    packets += s.count;
    lost += Math.max(0, s.lastSeq - s.firstSeq + 1 - s.count);
  }
  const gaps = gapHist.reduce((a, b) => a + b, 0);
  return {
    streams: streams.size,
    packets,
    lost,
    gaps,
    gapP1: percentile(gapHist, gaps, 1),
    gapP50: percentile(gapHist, gaps, 50),
    gapP99: percentile(gapHist, gaps, 99),
    gapMax,
    deviationP99: percentile(devHist, gaps, 99),
  };
}

async function listen(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < count; i++) {
    const s = dgram.createSocket('udp4');
    s.on('message', onMessage);
    await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
    s.setRecvBufferSize(4 * 1024 * 1024);
    sockets.push(s);
    ports.push(s.address().port);
  }
  return ports;
}

process.on('message', async (m: { cmd: string; sockets?: number; realtime?: number }) => {
  if (m.cmd === 'listen') {
    // The measuring instrument gets the same scheduling as the engine, so its own delays do not count against it.
    if (m.realtime) await prioritiseThisThread(m.realtime);
    process.send?.({ ports: await listen(m.sockets ?? 1) });
  } else if (m.cmd === 'start') {
    streams.clear();
    gapHist.fill(0);
    devHist.fill(0);
    gapMax = 0;
    measuring = true;
    process.send?.({ started: true });
  } else if (m.cmd === 'stop') {
    measuring = false;
    process.send?.({ report: report() });
  } else if (m.cmd === 'exit') {
    for (const s of sockets) s.close();
    process.disconnect?.();
  }
});
