/**
 * Stamping the top Via of a received request with `received` and `rport`
 * (RFC 3261 §18.2.1, RFC 3581 §4) the way drachtio-server does before it
 * relays the request to the app (drachtio-wire.md §3.2):
 *
 * - `rport` is always set to the source port, whether the sender asked for it
 *   or not;
 * - `received` is set to the source IP when the sent-by host differs from it;
 * - the top Via value is re-encoded as a whole (long name `Via`, no LWS,
 *   existing parameters kept in order, an existing `received`/`rport` updated
 *   in place, otherwise `received` then `rport` appended);
 * - every other header line is kept verbatim. When the top Via shared its
 *   line with further values (`v: a, b`), the rest stays on a line of its own
 *   with the original name.
 */

import { formatVia, nameMatches, parseVia } from './headers.ts';
import type { SipHeader } from './message.ts';
import { splitList } from './syntax.ts';

/**
 * New header list with the top Via stamped, or undefined when the message has
 * no parseable top Via (such a request gets a 400 instead).
 */
export function stampTopVia(
  headers: readonly SipHeader[],
  sourceAddress: string,
  sourcePort: number,
): SipHeader[] | undefined {
  const idx = headers.findIndex((h) => nameMatches(h.name, 'via'));
  const line = headers[idx];
  if (!line) return undefined;
  const values = line.value.indexOf(',') < 0 ? [line.value] : splitList(line.value);
  const first = values?.[0];
  if (values === undefined || first === undefined) return undefined;
  const via = parseVia(first);
  if (!via) return undefined;
  const host = via.host.startsWith('[') ? via.host.slice(1, -1) : via.host;
  if (host.toLowerCase() !== sourceAddress.toLowerCase()) {
    via.params.received = sourceAddress;
  } else if ('received' in via.params) {
    // A stale received from the sender is replaced by the truth (§18.2.1).
    via.params.received = sourceAddress;
  }
  via.params.rport = String(sourcePort);
  // Object key order is insertion order, so existing params stay in place and
  // new ones (received, then rport) are appended.
  const out = headers.slice(0, idx);
  out.push({ name: 'Via', value: formatVia(via) });
  if (values.length > 1) out.push({ name: line.name, value: values.slice(1).join(', ') });
  for (let i = idx + 1; i < headers.length; i++) out.push(headers[i] as SipHeader);
  return out;
}
