/**
 * Out-of-dialog OPTIONS to the product. Trunk providers (and some phones)
 * send OPTIONS as a health check and take the target out of service on
 * anything but a 200, so the app answers them itself: 200 with what it
 * accepts (RFC 3261 §11.2) while call control runs, 503 with Retry-After
 * once it is shutting down. Without a route for `options` the SIP server
 * would answer every one 503. OPTIONS inside a dialog never come here (srf
 * answers them).
 */
import type { SrfRequest, SrfResponse } from './srf-types.ts';

/** The methods call control handles (srf answers in-dialog INFO, UPDATE etc. itself). */
export const ALLOWED_METHODS = ['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'REGISTER'] as const;

/** The srf handler for `srf.options(...)`; `up()` says whether calls are being taken. */
export function optionsAnswer(up: () => boolean) {
  return (_req: SrfRequest, res: SrfResponse): void => {
    if (!up()) {
      res.send(503, 'Service Unavailable', { headers: { 'Retry-After': '5' } });
      return;
    }
    res.send(200, 'OK', {
      headers: {
        Allow: ALLOWED_METHODS.join(', '),
        Accept: 'application/sdp',
        // No Supported header: no extension is supported (a Require gets 420).
      },
    });
  };
}
