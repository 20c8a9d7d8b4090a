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
import type { SipUac } from '../session/sip.ts';

/** Told once per ring attempt, with the latency in milliseconds. */
export type RingLatencyObserver = (ms: number) => void;

/**
 * Wraps `uac` for one ring attempt begun at `startedAt` (`performance.now()`):
 * the first INVITE of the attempt that leaves reports the elapsed time, once.
 */
export function timedUac(uac: SipUac, startedAt: number, report: RingLatencyObserver): SipUac {
  let reported = false;
  return {
    invite(request, progress) {
      return uac.invite(request, {
        onRequest: (req) => {
          if (!reported) {
            reported = true;
            report(performance.now() - startedAt);
          }
          progress.onRequest(req);
        },
        onProvisional: (status) => progress.onProvisional(status),
      });
    },
  };
}
