/** DTMF sent as SIP INFO inside the caller's dialog (some phones and trunks do not send RFC 4733). */

/** The digit of a SIP INFO `application/dtmf-relay` body (`Signal=5`), or of `application/dtmf`. */
export function dtmfRelayDigit(contentType: string | undefined, body: string): string | null {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  let value: string | undefined;
  if (type === 'application/dtmf-relay') {
    value = /^\s*Signal\s*=\s*(\S+)\s*$/im.exec(body)?.[1];
  } else if (type === 'application/dtmf') {
    value = body.trim();
  }
  if (value === undefined) return null;
  if (value === '10') return '*';
  if (value === '11') return '#';
  return /^[0-9*#A-D]$/i.test(value) ? value.toUpperCase() : null;
}
