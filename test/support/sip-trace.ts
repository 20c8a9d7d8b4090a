/**
 * Reads a sipp message trace (-trace_msg) into timed messages, so a test can
 * tell from a real peer's view what happened when: which INVITE arrived while
 * which dialog was still up, when the first call after an event was answered.
 */

export interface TracedMessage {
  /** When sipp wrote it (sipp's local clock, as ms since the epoch). */
  at: number;
  direction: 'sent' | 'received';
  /** `INVITE`, `BYE`... for a request; undefined for a response. */
  method?: string;
  /** Status code for a response. */
  status?: number;
  /** The user part of a request's Request-URI. */
  requestUser?: string;
  callId: string;
  /** The CSeq method (for a response: the method it answers). */
  cseqMethod: string;
}

const SEPARATOR = /^-{10,}\s*(\d{4}-\d\d-\d\d)\s+(\d\d:\d\d:\d\d(?:\.\d+)?)\s*$/m;

/** The messages of a trace, in the order sipp wrote them. */
export function parseTrace(trace: string): TracedMessage[] {
  const out: TracedMessage[] = [];
  const parts = trace.split(new RegExp(`(${SEPARATOR.source})`, 'm'));
  let at = Number.NaN;
  for (const part of parts) {
    const stamp = SEPARATOR.exec(part);
    if (stamp && part.trim().startsWith('-')) {
      // sipp stamps with local time; Date parses a zone-less ISO time as local too.
      at = new Date(`${stamp[1]}T${stamp[2]?.slice(0, 12)}`).getTime();
      continue;
    }
    const head = /message (sent|received)[^\n]*\n+([^\n]*)/.exec(part);
    if (!head) continue;
    const firstLine = (head[2] ?? '').trim();
    const callId = /^Call-ID:\s*(.*?)\s*$/im.exec(part)?.[1] ?? '';
    const cseqMethod = /^CSeq:\s*\d+\s+([A-Z]+)/im.exec(part)?.[1] ?? '';
    const status = /^SIP\/2\.0 (\d{3})/.exec(firstLine);
    const request = /^([A-Z]+) sips?:(?:([^@;>\s]+)@)?/.exec(firstLine);
    out.push({
      at,
      direction: head[1] as 'sent' | 'received',
      callId,
      cseqMethod,
      ...(status ? { status: Number(status[1]) } : {}),
      ...(request ? { method: request[1], requestUser: request[2] } : {}),
    });
  }
  return out;
}

/** A dialog (or attempt) as the called peer saw it: from its INVITE to its end. */
export interface OfferSpan {
  user: string;
  callId: string;
  start: number;
  /** When it ended (BYE, CANCEL or a failure answer); undefined while still up. */
  end?: number;
}

/**
 * The offers a called peer (e.g. a trunk standing in for agents' mobiles)
 * received, per Request-URI user: each starts at the INVITE and ends at a
 * BYE either way, a CANCEL, or a final answer of 300 or above.
 */
export function offerSpans(messages: readonly TracedMessage[]): OfferSpan[] {
  const spans = new Map<string, OfferSpan>();
  for (const m of messages) {
    const span = spans.get(m.callId);
    if (m.direction === 'received' && m.method === 'INVITE' && m.requestUser !== undefined) {
      if (!span) spans.set(m.callId, { user: m.requestUser, callId: m.callId, start: m.at });
      continue;
    }
    if (!span || span.end !== undefined) continue;
    const ends =
      m.method === 'BYE' ||
      m.method === 'CANCEL' ||
      (m.direction === 'sent' && m.cseqMethod === 'INVITE' && (m.status ?? 0) >= 300);
    if (ends) span.end = m.at;
  }
  return [...spans.values()].sort((a, b) => a.start - b.start);
}

/** Pairs of offers to the same user that were up at the same time. */
export function overlappingOffers(spans: readonly OfferSpan[]): Array<[OfferSpan, OfferSpan]> {
  const out: Array<[OfferSpan, OfferSpan]> = [];
  const open = new Map<string, OfferSpan[]>();
  for (const s of spans) {
    const mine = (open.get(s.user) ?? []).filter((o) => o.end === undefined || o.end > s.start);
    for (const o of mine) out.push([o, s]);
    open.set(s.user, [...mine, s]);
  }
  return out;
}
