/**
 * One decision per received datagram or framed message: process it, answer
 * it with an error status, or drop it. Combines `parseSipMessage` with
 * `validateRequest` / `validateResponse`, so the transport and transaction
 * layers need not repeat the RFC 4475 rules:
 *
 * - a request that does not parse but whose start line was readable gets the
 *   parser's status (400, 505, 513);
 * - a parsed request failing validation gets the verdict (400, 416, 420, 501, 406);
 * - a response that does not parse or validate, and anything unreadable, is
 *   dropped (no answer is possible or allowed, RFC 3261 §18.1.2, §18.2.1).
 *
 * The caller answers with `buildResponse(t.request, t.status, t.reason, t.headers)`,
 * except for ACK, which is never answered (§17.2.3: an ACK gets no response).
 */

import type { HasHeaders } from './headers.ts';
import type { SipHeader, SipMessage } from './message.ts';
import type { ParseResult } from './parse.ts';
import { type ValidateOptions, validateRequest, validateResponse } from './validate.ts';

export type Triage =
  | { action: 'accept'; message: SipMessage }
  | {
      action: 'reject';
      status: number;
      reason: string;
      /** Extra headers for the answer (Allow, Unsupported, Accept). */
      headers: SipHeader[];
      /** The request as far as it was understood: pass it to `buildResponse`. */
      request: HasHeaders & { method: string; uri: string };
      detail: string;
    }
  | { action: 'drop'; detail: string };

/** Standard reason phrases for the statuses the parser and validator produce. */
export const REASON_PHRASES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  406: 'Not Acceptable',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  416: 'Unsupported URI Scheme',
  420: 'Bad Extension',
  501: 'Not Implemented',
  505: 'Version Not Supported',
  513: 'Message Too Large',
};

export function triage(result: ParseResult, opts: ValidateOptions = {}): Triage {
  if (!result.ok) {
    if (result.request && result.request.method !== 'ACK') {
      return {
        action: 'reject',
        status: result.status,
        reason: REASON_PHRASES[result.status] ?? 'Bad Request',
        headers: [],
        request: result.request,
        detail: result.error,
      };
    }
    return { action: 'drop', detail: result.error };
  }
  const msg = result.message;
  if (msg.kind === 'response') {
    const problem = validateResponse(msg);
    return problem === undefined
      ? { action: 'accept', message: msg }
      : { action: 'drop', detail: problem };
  }
  const verdict = validateRequest(msg, opts);
  if (verdict === undefined) return { action: 'accept', message: msg };
  if (msg.method === 'ACK') return { action: 'drop', detail: verdict.detail };
  return {
    action: 'reject',
    status: verdict.status,
    reason: verdict.reason,
    headers: verdict.headers ?? [],
    request: msg,
    detail: verdict.detail,
  };
}
