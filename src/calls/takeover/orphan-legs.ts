/**
 * Hangs up the SIP legs of calls whose router died.
 *
 * When an instance dies, the SIP server keeps its dialogs (the caller's and
 * the agent's legs of each call it carried): the phones are still "in a
 * call" with nobody behind it, and an agent whose line is still up must not
 * be offered a second call. The instance that takes over knows each leg's
 * SIP Call-ID from the call log and sends a BYE carrying only that Call-ID:
 * drachtio-server (and the embedded SIP server) sends a request whose
 * Call-ID belongs to an established dialog inside that dialog, whichever app
 * created it, and a Request-URI containing `placeholder` stands for the
 * dialog's remote target. A leg that is already gone gets no BYE on the wire:
 * the request fails at the SIP server (no such host), which is fine.
 */
import type { Logger } from '../ports/index.ts';
import type { SrfRequester } from '../srf/srf-options.ts';

/** The caller's leg of a lost call, as the call log names it. */
export interface CallerLeg {
  /** The call (call-log id). */
  callId: string;
  sipCallId: string;
}

/** How a BYE ended: the far end's status, or the reason it never got one. */
export type LegHangUp = { kind: 'answered'; status: number } | { kind: 'failed'; reason: string };

/** Request-URI that drachtio-server replaces with the dialog's remote target. */
const IN_DIALOG_URI = 'sip:placeholder';
const DEFAULT_TIMEOUT_MS = 10_000;

/** Sends a BYE inside the dialog with this Call-ID; resolves when it is answered or has failed. */
export function hangUpLeg(
  srf: SrfRequester,
  sipCallId: string,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<LegHangUp> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (r: LegHangUp) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    // The SIP server times the transaction out itself (32 s); this only bounds the wait here.
    const timer = setTimeout(() => settle({ kind: 'failed', reason: 'no answer' }), timeoutMs);
    timer.unref?.();
    try {
      srf.request(
        IN_DIALOG_URI,
        { method: 'BYE', headers: { 'Call-ID': sipCallId } },
        (err, req) => {
          if (err) {
            settle({ kind: 'failed', reason: err instanceof Error ? err.message : String(err) });
            return;
          }
          req.on('response', (res) => {
            if (res.status >= 200) settle({ kind: 'answered', status: res.status });
          });
        },
      );
    } catch (err) {
      settle({ kind: 'failed', reason: err instanceof Error ? err.message : String(err) });
    }
  });
}

/** Hangs up each caller's leg, one log line per call with what became of it. */
export async function hangUpCallerLegs(
  srf: SrfRequester,
  legs: readonly CallerLeg[],
  logger: Logger,
): Promise<void> {
  await Promise.all(
    legs.map(async ({ callId, sipCallId }) => {
      const r = await hangUpLeg(srf, sipCallId);
      const caller = r.kind === 'answered' ? r.status : r.reason;
      logger.info({ callId, caller }, 'reconcile: hung up the legs of a lost call');
    }),
  );
}
