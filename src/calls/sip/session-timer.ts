/**
 * RFC 4028 session timers on the calls we carry (the recommended 30 minutes).
 * Where the peer agrees, the SIP server refreshes the session itself or
 * watches the peer's refreshes, and a refresh that fails or never comes ends
 * the call: a caller or agent whose line is gone without a BYE does not stay
 * on a call until the department's maximum duration.
 */

export const SESSION_EXPIRES_S = 1800;
/** The smallest interval RFC 4028 allows (Min-SE default). */
const MIN_SE_S = 90;

/**
 * Headers for our 2xx to a caller's INVITE: a timer only when the caller
 * supports it. The caller's own interval and refresher choice are kept; with
 * no choice the caller (the UAC) refreshes and the server watches.
 */
export function answerSessionTimer(
  header: (name: string) => string | undefined,
): Record<string, string> | undefined {
  const tags = `${header('Supported') ?? ''},${header('Require') ?? ''}`
    .split(',')
    .map((t) => t.trim().toLowerCase());
  if (!tags.includes('timer')) return undefined;
  const asked = /^\s*(\d+)\s*(?:;.*?refresher\s*=\s*(uac|uas))?/i.exec(
    header('Session-Expires') ?? '',
  );
  const secs = asked ? Math.max(MIN_SE_S, Number(asked[1])) : SESSION_EXPIRES_S;
  const refresher = asked?.[2]?.toLowerCase() ?? 'uac';
  return { 'Session-Expires': `${secs};refresher=${refresher}`, Require: 'timer' };
}
