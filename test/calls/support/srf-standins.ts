/**
 * Stand-ins for srf's request and response objects. The embedded SIP server
 * is being built in parallel, so the registrar is driven here by calling its
 * handler directly with objects of the shape srf hands over (see
 * src/calls/srf-types.ts); an end-to-end test with sipp through the real
 * server and srf will drive the same handler later.
 */
import type { SrfRequest, SrfResponse, SrfSendOptions } from '../../../src/calls/srf/srf-types.ts';

export interface RequestInit {
  method?: string;
  uri?: string;
  headers: Record<string, string>;
  sourceAddress?: string;
  sourcePort?: number;
  protocol?: string;
}

export function request(init: RequestInit): SrfRequest {
  const lower = new Map(Object.entries(init.headers).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    method: init.method ?? 'REGISTER',
    uri: init.uri ?? 'sip:acd.local',
    get: (name) => lower.get(name.toLowerCase()),
    has: (name) => lower.has(name.toLowerCase()),
    source_address: init.sourceAddress ?? '192.0.2.10',
    source_port: init.sourcePort ?? 5062,
    protocol: init.protocol ?? 'udp',
  };
}

export interface SentResponse {
  status: number;
  reason: string | undefined;
  headers: Record<string, string>;
}

export class RecordingResponse implements SrfResponse {
  readonly sent: SentResponse[] = [];

  send(status: number, reason: string | undefined, options?: SrfSendOptions): void {
    if (this.sent.some((s) => s.status >= 200)) throw new Error('final response already sent');
    this.sent.push({ status, reason, headers: { ...(options?.headers ?? {}) } });
  }

  get final(): SentResponse {
    const f = this.sent.find((s) => s.status >= 200);
    if (!f) throw new Error('no final response sent');
    return f;
  }
}
