/**
 * The SIP text of a received request as relayed to the app (drachtio-wire.md
 * §3.2): the bytes as received, except the top Via, which is re-encoded as a
 * whole (long name, no LWS, parameters kept in order and spelling, `received`
 * and `rport` updated in place or appended in that order). Working on the
 * received text keeps odd spacing, compact forms and header order verbatim
 * and avoids re-serializing every request. Also the `sip` frame that
 * carries a message to the app.
 */
import {
  parseVia,
  type SipHeader,
  type SipRequest,
  type SipResponse,
  serializeSipMessage,
  splitList,
} from '../sip/index.ts';
import type { Inbound } from '../transport/transport.ts';
import { sipFrame, type WireMeta } from '../wire/frames.ts';

export function relayText(raw: Buffer, srcAddress: string, srcPort: number): string | undefined {
  const text = raw.toString('utf8');
  const headEnd = text.indexOf('\r\n\r\n');
  if (headEnd < 0) return undefined;
  let pos = text.indexOf('\r\n') + 2; // skip the start line
  while (pos < headEnd) {
    let eol = text.indexOf('\r\n', pos);
    if (eol < 0 || eol > headEnd) eol = headEnd;
    const colon = text.indexOf(':', pos);
    if (colon > pos && colon < eol) {
      const name = text.slice(pos, colon).trim();
      const lname = name.toLowerCase();
      if (lname === 'via' || lname === 'v') {
        // Take folded continuation lines with it.
        let end = eol;
        while (
          end < headEnd &&
          (text.charCodeAt(end + 2) === 32 || text.charCodeAt(end + 2) === 9)
        ) {
          const next = text.indexOf('\r\n', end + 2);
          end = next < 0 || next > headEnd ? headEnd : next;
        }
        const value = text
          .slice(colon + 1, end)
          .replace(/\r\n[ \t]+/g, ' ')
          .trim();
        const parts = value.indexOf(',') < 0 ? [value] : splitList(value);
        const first = parts?.[0];
        if (!parts || first === undefined) return undefined;
        const stamped = stampVia(first, srcAddress, srcPort);
        if (stamped === undefined) return undefined;
        let line = `Via: ${stamped}`;
        if (parts.length > 1) line += `\r\n${name}: ${parts.slice(1).join(', ')}`;
        return text.slice(0, pos) + line + text.slice(end);
      }
    }
    pos = eol + 2;
  }
  return undefined;
}

/** One Via value with received/rport set, keeping the parameters' spelling. */
export function stampVia(value: string, srcAddress: string, srcPort: number): string | undefined {
  const via = parseVia(value);
  if (!via) return undefined;
  const semi = value.indexOf(';');
  const params: Array<[string, string | undefined]> = [];
  if (semi >= 0) {
    for (const p of value.slice(semi + 1).split(';')) {
      const eq = p.indexOf('=');
      const n = (eq < 0 ? p : p.slice(0, eq)).trim();
      if (!n) continue;
      params.push([n, eq < 0 ? undefined : p.slice(eq + 1).trim()]);
    }
  }
  const host = via.host.startsWith('[') ? via.host.slice(1, -1) : via.host;
  const needReceived = host.toLowerCase() !== srcAddress.toLowerCase();
  let hasReceived = false;
  let hasRport = false;
  for (const p of params) {
    const n = p[0].toLowerCase();
    if (n === 'received') {
      hasReceived = true;
      p[1] = srcAddress;
    } else if (n === 'rport') {
      hasRport = true;
      p[1] = String(srcPort);
    }
  }
  if (needReceived && !hasReceived) params.push(['received', srcAddress]);
  if (!hasRport) params.push(['rport', String(srcPort)]);
  let out = `${via.protocol}/${via.version}/${via.transport} ${via.host}${via.port === undefined ? '' : `:${via.port}`}`;
  for (const [n, v] of params) out += v === undefined ? `;${n}` : `;${n}=${v}`;
  return out;
}

/** The request with its top Via stamped (received/rport), as relayed to the app (§3.2). */
export function stamped(req: SipRequest, inb: Inbound): SipRequest | undefined {
  // Same re-encoding as the relayed text (parameter spelling kept), so that
  // our responses copy the Via exactly as the app saw it.
  const idx = req.headers.findIndex((h) => {
    const n = h.name.toLowerCase();
    return n === 'via' || n === 'v';
  });
  const line = req.headers[idx];
  if (!line) return undefined;
  const values = line.value.indexOf(',') < 0 ? [line.value] : splitList(line.value);
  const first = values?.[0];
  const top = first === undefined ? undefined : stampVia(first, inb.src.address, inb.src.port);
  if (!values || top === undefined) return undefined;
  const headers = req.headers.slice(0, idx);
  headers.push({ name: 'Via', value: top });
  if (values.length > 1) headers.push({ name: line.name, value: values.slice(1).join(', ') });
  for (let i = idx + 1; i < req.headers.length; i++) headers.push(req.headers[i] as SipHeader);
  return { ...req, headers };
}

/** The `sip` frame that carries a received message (or one of ours, without `inb`) to an app. */
export function relayFrame(
  frameId: string,
  msg: SipRequest | SipResponse,
  inb: Inbound | undefined,
  txnId: string,
  dlgId: string,
  receivedOn?: { host: string; port: number },
): string {
  let text: string | undefined;
  if (inb)
    text =
      msg.kind === 'request'
        ? relayText(inb.raw, inb.src.address, inb.src.port)
        : inb.raw.toString('utf8');
  if (text === undefined) text = serializeSipMessage(msg).toString('utf8');
  const meta: WireMeta = inb
    ? { bytes: inb.bytes, protocol: inb.src.protocol, address: inb.src.address, port: inb.src.port }
    : { bytes: Buffer.byteLength(text), protocol: 'udp', address: '', port: 0 };
  return sipFrame(frameId, 'network', meta, txnId, dlgId, text, receivedOn);
}
