/**
 * Where our requests go and what they carry (drachtio-wire.md §7.2, §7.6):
 * the next hop of a URI, its resolution, our Via and default Contact, and
 * in-dialog requests built from the dialog state (§12.2.1.1).
 */
import { lookup } from 'node:dns';
import net from 'node:net';
import {
  type ParsedUri,
  parseNameAddr,
  parseUri,
  type SipHeader,
  type SipRequest,
} from '../sip/index.ts';
import type { Remote } from '../transport/transport.ts';
import type { SipProtocol } from '../shared/types.ts';
import type { UaContext } from './context.ts';
import type { Dialog } from './dialog.ts';

export const NO_TRANSPORT = 'requested protocol/transport not available';

export interface Hop {
  protocol: SipProtocol;
  host: string;
  port: number;
}

/** Next hop of a URI (§7.2): `;transport=` selects the protocol, none means `fallback`. */
export function hopOf(uri: ParsedUri, fallback: SipProtocol): Hop | string {
  if (uri.scheme === 'sips') return NO_TRANSPORT;
  if (uri.scheme !== 'sip' || !uri.host) return 'invalid request-uri';
  const t = uri.params.transport;
  let protocol: SipProtocol = fallback;
  if (typeof t === 'string') {
    const lt = t.toLowerCase();
    if (lt === 'udp' || lt === 'tcp') protocol = lt;
    else return NO_TRANSPORT;
  }
  const host = uri.host.startsWith('[') ? uri.host.slice(1, -1) : uri.host;
  return { protocol, host, port: uri.port ?? 5060 };
}

/** Resolves the hop's host (IP literals synchronously, names through the system resolver). */
export function resolveHop(hop: Hop, cb: (dest: Remote | undefined) => void): void {
  if (net.isIP(hop.host)) {
    cb({ protocol: hop.protocol, address: hop.host, port: hop.port });
    return;
  }
  lookup(hop.host, (err, address) => {
    cb(err ? undefined : { protocol: hop.protocol, address, port: hop.port });
  });
}

export function viaFor(ctx: UaContext, protocol: SipProtocol, branch: string): string | undefined {
  const l = ctx.local(protocol);
  if (!l) return undefined;
  return protocol === 'udp'
    ? `SIP/2.0/UDP ${l.advertised}:${l.port};rport;branch=${branch}`
    : `SIP/2.0/TCP ${l.advertised}:${l.port};branch=${branch}`;
}

export function defaultContact(ctx: UaContext, protocol: SipProtocol): string {
  const l = ctx.local(protocol);
  const hp = l ? `${l.advertised}:${l.port}` : '127.0.0.1:5060';
  return `<sip:${hp}${protocol === 'tcp' ? ';transport=tcp' : ''}>`;
}

/** Our host:port for a protocol, as the app's `@localhost` rewrite needs it. */
export function localHostPort(ctx: UaContext, protocol: SipProtocol): string {
  const l = ctx.local(protocol);
  return l ? `${l.advertised}:${l.port}` : '127.0.0.1:5060';
}

export interface BuiltRequest {
  req: SipRequest;
  branch: string;
  dest: Remote;
}

/** Builds an in-dialog request; `app` are the app's extra headers (already cleaned). */
export function dialogRequest(
  ctx: UaContext,
  d: Dialog,
  method: string,
  uri: string,
  app: SipHeader[],
  body: Buffer,
  cseq: number,
): BuiltRequest | string {
  const targetUri = d.routeSet.length > 0 ? routeUriOf(d.routeSet[0] as string) : uri;
  const parsed = targetUri ? parseUri(targetUri) : undefined;
  if (!parsed) return `invalid request-uri: ${uri}`;
  const hop = hopOf(parsed, d.protocol);
  if (typeof hop === 'string') return hop;
  if (!net.isIP(hop.host)) return `unresolvable host in dialog target: ${hop.host}`;
  const branch = ctx.ids.branch();
  const via = viaFor(ctx, hop.protocol, branch);
  if (!via) return NO_TRANSPORT;
  const headers: SipHeader[] = [
    { name: 'Via', value: via },
    { name: 'Max-Forwards', value: '70' },
    { name: 'From', value: `${d.localAor};tag=${d.localTag}` },
    { name: 'To', value: d.remoteWithTag },
    { name: 'Call-ID', value: d.callId },
    { name: 'CSeq', value: `${cseq} ${method}` },
  ];
  for (const r of d.routeSet) headers.push({ name: 'Route', value: r });
  for (const h of app) headers.push(h);
  const req: SipRequest = { kind: 'request', method, uri, version: 'SIP/2.0', headers, body };
  const dest = d.tcpDest({ protocol: hop.protocol, address: hop.host, port: hop.port });
  return { req, branch, dest };
}

function routeUriOf(route: string): string | undefined {
  return parseNameAddr(route)?.uri;
}
