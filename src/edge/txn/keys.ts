/**
 * Transaction matching keys (RFC 3261 §17.1.3, §17.2.3). With an RFC 3261
 * branch (magic cookie) the branch plus the method identifies the
 * transaction (ACK is folded into INVITE); for old RFC 2543 peers the
 * Call-ID, From tag, CSeq number and the whole top Via are used instead.
 */
import {
  getHeader,
  getTag,
  isRfc3261Branch,
  parseCSeq,
  type SipMessage,
  topVia,
} from '../sip/index.ts';

export function txnMethod(method: string): string {
  return method === 'ACK' ? 'INVITE' : method;
}

/**
 * Key of the server transaction a request belongs to (`method` overrides the
 * request's, e.g. INVITE for a CANCEL).
 *
 * Built with `join`, which copies the parts into one new string: the branch
 * is a slice of the request's whole header text, and a key concatenated from
 * it would keep that text alive for as long as the transaction lingers
 * (64*T1): about 1 KB per call under load.
 */
export function serverKey(msg: SipMessage, method: string): string | undefined {
  const via = topVia(msg);
  if (!via) return undefined;
  const m = txnMethod(method);
  const sentBy = `${via.host}:${via.port ?? ''}`;
  if (isRfc3261Branch(via.branch)) return [via.branch, sentBy, m].join('|');
  const cseq = parseCSeq(getHeader(msg, 'cseq') ?? '');
  const callId = getHeader(msg, 'call-id') ?? '';
  const fromTag = getTag(getHeader(msg, 'from')) ?? '';
  return ['2543', callId, fromTag, cseq?.seq ?? '', sentBy, via.branch ?? '', m].join('|');
}

/** Key of the client transaction a response belongs to: our branch + CSeq method. */
export function clientKey(branch: string, method: string): string {
  return `${branch}|${method}`;
}
