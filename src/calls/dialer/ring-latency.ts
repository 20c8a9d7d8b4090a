/**
 * Ring latency: from the moment the engine hands call control a `ring` (a
 * call and a free eligible agent met) to that agent's first INVITE leaving
 * (srf's `cbRequest`, i.e. the SIP server reports the request as sent).
 *
 * It covers the forwarding-plan lookup, the leg set-up and the trip through
 * drachtio-srf to the SIP server and back. Measured with the monotonic clock
 * (not the call-control scheduler, which tests may fake), only while someone
 * observes it (the load benchmark), so normal calls pay nothing.
 */
import type { SipUac } from '../sip/sip.ts';

/** One ring attempt's latency, in milliseconds from the engine's `ring`. */
export interface RingLatency {
  /** When the engine's `ring` reached call control (`performance.now()`). */
  readonly startedAt: number;
  /** The caller's number (From user) the agent's INVITE carries, to match it on the wire. */
  readonly caller: string;
  /** Until the first INVITE was handed to srf (`createUAC`): plan lookup and leg set-up. */
  readonly toSrfMs: number;
  /** Until srf reported that INVITE sent (`cbRequest`): the "INVITE leaving". */
  readonly sentMs: number;
}

/** Told once per ring attempt whose INVITE left. */
export type RingLatencyObserver = (latency: RingLatency) => void;

/**
 * Wraps `uac` for one ring attempt begun at `startedAt` (`performance.now()`)
 * for `caller`'s call:
 * the first INVITE of the attempt that leaves reports the elapsed time, once.
 */
export function timedUac(
  uac: SipUac,
  startedAt: number,
  caller: string,
  report: RingLatencyObserver,
): SipUac {
  let toSrfMs: number | null = null;
  let reported = false;
  return {
    invite(request, progress) {
      toSrfMs ??= performance.now() - startedAt;
      return uac.invite(request, {
        onRequest: (req) => {
          if (!reported) {
            reported = true;
            report({
              startedAt,
              caller,
              toSrfMs: toSrfMs ?? 0,
              sentMs: performance.now() - startedAt,
            });
          }
          progress.onRequest(req);
        },
        onProvisional: (status) => progress.onProvisional(status),
      });
    },
  };
}
