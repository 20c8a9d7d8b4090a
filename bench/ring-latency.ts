/**
 * Ring latency for the load benchmark, measured from outside call control:
 * from call control starting the engine's `ring` (a call and a free eligible
 * agent met: the `agent.ringing` event, published before the INVITE is
 * built) to that agent's first INVITE leaving (srf's `cbRequest`, i.e. the
 * SIP server reports the request as sent).
 *
 * It covers the forwarding-plan lookup, the leg set-up and the trip through
 * drachtio-srf to the SIP server and back. The INVITE is seen by wrapping the
 * connected srf's `createUAC` for the run; a ring is matched to the first
 * INVITE after it that carries its caller's number. Monotonic clock
 * (`performance.now()`).
 */
import type { ApiEvents } from '../src/api/events/api-events.ts';
import type { CallFlowEventMap } from '../src/calls/recorder/call-events.ts';

/** One ring attempt's latency, in milliseconds from the engine's `ring`. */
export interface RingLatency {
  /** When call control started the ring (`performance.now()`). */
  readonly startedAt: number;
  /** The caller's number (From user) the agent's INVITE carries, to match it on the wire. */
  readonly caller: string;
  /** Until the first INVITE was handed to srf (`createUAC`): plan lookup and leg set-up. */
  readonly toSrfMs: number;
  /** Until srf reported that INVITE sent (`cbRequest`): "INVITE leaving". */
  readonly sentMs: number;
}

type CreateUac = (
  uri: string,
  opts: { headers?: Record<string, string> },
  progress: { cbRequest?: (err: unknown, req: unknown) => void } & Record<string, unknown>,
) => Promise<unknown>;

interface OpenRing {
  startedAt: number;
  toSrfMs: number | null;
}

/**
 * Reports each ring's latency to `report` until the returned function is
 * called (which also gives srf back its own `createUAC`).
 */
export function observeRingLatency(
  events: ApiEvents,
  connectedSrf: unknown,
  report: (latency: RingLatency) => void,
): () => void {
  const srf = connectedSrf as { createUAC: CreateUac } | null | undefined;
  if (!srf) throw new Error('ring latency: the app has no connected srf');
  const callers = new Map<string, string>();
  /** Rings whose first INVITE has not been reported sent yet, by caller number. */
  const open = new Map<string, OpenRing[]>();
  const offs = [
    events.on('call.queued', (e) => {
      const d = e.data as CallFlowEventMap['call.queued'];
      callers.set(d.callId, d.caller);
    }),
    events.on('call.ended', (e) => {
      callers.delete((e.data as CallFlowEventMap['call.ended']).callId);
    }),
    events.on('agent.ringing', (e) => {
      const caller = callers.get((e.data as CallFlowEventMap['agent.ringing']).callId);
      if (caller === undefined) return;
      open.set(caller, [
        ...(open.get(caller) ?? []),
        { startedAt: performance.now(), toSrfMs: null },
      ]);
    }),
  ];
  const own = srf.createUAC;
  srf.createUAC = (uri, opts, progress) => {
    const caller = /<sip:([^@>;]+)@/.exec(opts.headers?.From ?? '')?.[1];
    const ring = caller === undefined ? undefined : open.get(caller)?.[0];
    if (caller === undefined || !ring) return own.call(srf, uri, opts, progress);
    ring.toSrfMs ??= performance.now() - ring.startedAt;
    const cbRequest = progress.cbRequest;
    return own.call(srf, uri, opts, {
      ...progress,
      cbRequest: (err: unknown, req: unknown) => {
        const rings = open.get(caller);
        if (!err && rings?.[0] === ring) {
          rings.shift();
          if (rings.length === 0) open.delete(caller);
          report({
            startedAt: ring.startedAt,
            caller,
            toSrfMs: ring.toSrfMs ?? 0,
            sentMs: performance.now() - ring.startedAt,
          });
        }
        cbRequest?.(err, req);
      },
    });
  };
  return () => {
    srf.createUAC = own;
    for (const off of offs) off();
  };
}
