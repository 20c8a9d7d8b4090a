/**
 * SDP for the media server's answers and offers: G.711 (PCMU, PCMA) and
 * RFC 4733 telephone-event over plain RTP/AVP. FreeSWITCH's profile uses
 * "greedy" negotiation (its own codec order wins), so PCMU is chosen when the
 * offer has both.
 */
import type { G711, RemoteMedia } from '../rtp/engine-view.ts';

export interface SdpOffer {
  address: string;
  port: number;
  proto: string;
  payloadTypes: number[];
  /** payload type -> encoding name (upper case) and clock rate */
  rtpmap: Map<number, { name: string; rate: number }>;
  direction?: 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
}

export type Negotiated =
  | { ok: true; remote: RemoteMedia; offer: SdpOffer }
  | { ok: false; reason: string };

const STATIC: Record<number, { name: string; rate: number }> = {
  0: { name: 'PCMU', rate: 8000 },
  8: { name: 'PCMA', rate: 8000 },
  13: { name: 'CN', rate: 8000 },
};

/** Reads the first audio m= section; undefined when there is none. */
export function parseSdp(text: string): SdpOffer | undefined {
  const lines = text.split(/\r?\n/);
  let sessionAddr: string | undefined;
  let mediaAddr: string | undefined;
  let media: SdpOffer | undefined;
  let inAudio = false;
  let sessionDir: SdpOffer['direction'];
  for (const line of lines) {
    if (line.startsWith('m=')) {
      if (media) break; // only the first audio section matters
      const parts = line.slice(2).trim().split(/\s+/);
      inAudio = parts[0] === 'audio';
      if (!inAudio) continue;
      const port = Number(parts[1]);
      if (!Number.isInteger(port) || port < 0 || port > 65535) return undefined;
      media = {
        address: '',
        port,
        proto: parts[2] ?? '',
        payloadTypes: parts
          .slice(3)
          .map(Number)
          .filter((n) => Number.isInteger(n) && n >= 0 && n <= 127),
        rtpmap: new Map(),
      };
      continue;
    }
    const c = /^c=IN IP[46] (\S+)/.exec(line);
    if (c) {
      if (media && inAudio) mediaAddr = c[1];
      else if (!media) sessionAddr = c[1];
      continue;
    }
    const dir = /^a=(sendrecv|sendonly|recvonly|inactive)\s*$/.exec(line);
    if (dir) {
      const d = dir[1] as SdpOffer['direction'];
      if (media && inAudio) media.direction = d;
      else if (!media) sessionDir = d;
      continue;
    }
    const map = /^a=rtpmap:(\d+)\s+([^/\s]+)\/(\d+)/.exec(line);
    if (map && media && inAudio) {
      media.rtpmap.set(Number(map[1]), {
        name: (map[2] as string).toUpperCase(),
        rate: Number(map[3]),
      });
    }
  }
  if (!media) return undefined;
  media.address = mediaAddr ?? sessionAddr ?? '';
  if (!media.direction && sessionDir) media.direction = sessionDir;
  return media;
}

function encodingOf(offer: SdpOffer, pt: number): { name: string; rate: number } | undefined {
  return offer.rtpmap.get(pt) ?? STATIC[pt];
}

/** Chooses the codec for an offer (our order: PCMU, then PCMA) and the telephone-event type. */
export function negotiate(text: string, prefer: readonly G711[] = ['PCMU', 'PCMA']): Negotiated {
  const offer = parseSdp(text);
  if (!offer) return { ok: false, reason: 'no audio stream in the offer' };
  if (offer.proto !== 'RTP/AVP' && offer.proto !== 'RTP/AVPF') {
    return { ok: false, reason: `unsupported transport ${offer.proto} (plain RTP/AVP only)` };
  }
  if (offer.port === 0) return { ok: false, reason: 'audio stream disabled (port 0)' };
  if (!offer.address) return { ok: false, reason: 'no c= address' };
  for (const codec of prefer) {
    const pt = offer.payloadTypes.find((p) => {
      const enc = encodingOf(offer, p);
      return enc?.name === codec && enc.rate === 8000;
    });
    if (pt === undefined) continue;
    const te = offer.payloadTypes.find((p) => {
      const enc = encodingOf(offer, p);
      return enc?.name === 'TELEPHONE-EVENT' && enc.rate === 8000;
    });
    const remote: RemoteMedia = {
      address: offer.address,
      port: offer.port,
      codec,
      payloadType: pt,
    };
    if (te !== undefined) remote.telephoneEventPt = te;
    return { ok: true, remote, offer };
  }
  return { ok: false, reason: 'no common codec (PCMU or PCMA at 8000 Hz)' };
}

export interface LocalSdpOptions {
  /** SDP o=/s= user, FreeSWITCH's profile `username`. */
  user: string;
  sessionId: string;
  version: number;
  address: string;
  port: number;
}

/** Our answer: the chosen codec and, when the offer had it, telephone-event. */
export function answerSdp(o: LocalSdpOptions, remote: RemoteMedia): string {
  const pts = [remote.payloadType];
  const lines = [`a=rtpmap:${remote.payloadType} ${remote.codec}/8000`];
  if (remote.telephoneEventPt !== undefined) {
    pts.push(remote.telephoneEventPt);
    lines.push(
      `a=rtpmap:${remote.telephoneEventPt} telephone-event/8000`,
      `a=fmtp:${remote.telephoneEventPt} 0-16`,
    );
  }
  return sdp(o, pts, lines);
}

/** Our offer (an INVITE without SDP): every codec we have plus telephone-event 101. */
export function offerSdp(o: LocalSdpOptions): string {
  return sdp(
    o,
    [0, 8, 101],
    [
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:8 PCMA/8000',
      'a=rtpmap:101 telephone-event/8000',
      'a=fmtp:101 0-16',
    ],
  );
}

function sdp(o: LocalSdpOptions, pts: number[], attrs: string[]): string {
  return `${[
    'v=0',
    `o=${o.user} ${o.sessionId} ${o.version} IN IP4 ${o.address}`,
    `s=${o.user}`,
    `c=IN IP4 ${o.address}`,
    't=0 0',
    `m=audio ${o.port} RTP/AVP ${pts.join(' ')}`,
    ...attrs,
    'a=ptime:20',
    'a=sendrecv',
  ].join('\r\n')}\r\n`;
}
