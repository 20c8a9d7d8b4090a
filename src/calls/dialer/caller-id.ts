/**
 * What an agent's phone shows for an offered call: the caller's number and
 * the department's name, e.g. `"+4930123456 Support" <sip:+4930123456@localhost>`.
 * The SIP server replaces `localhost` with its own address (drachtio-wire §4.4).
 */

/** Characters allowed unescaped in a SIP URI user part that a phone number could contain. */
const USER_SAFE = /[^0-9A-Za-z+\-_.!~*'()&=$,;?/]/g;

function callerIdUser(caller: string): string {
  const user = caller.replace(USER_SAFE, '');
  return user === '' ? 'anonymous' : user;
}

/** A quoted-string display name (RFC 3261 §25.1): quotes and backslashes escaped, no CR/LF. */
export function quotedDisplayName(text: string): string {
  const clean = [...text.replace(/[\r\n\t]+/g, ' ')]
    .filter((c) => {
      const code = c.charCodeAt(0);
      return code >= 0x20 && code !== 0x7f;
    })
    .join('')
    .trim();
  return `"${clean.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** `displayName` replaces the shown text (a callback says so: "Callback +4930123456"). */
export function callerIdFrom(caller: string, departmentName: string, displayName?: string): string {
  const user = callerIdUser(caller);
  const shown = caller.trim() === '' ? 'anonymous' : caller.trim();
  const name =
    displayName ?? (departmentName.trim() === '' ? shown : `${shown} ${departmentName.trim()}`);
  return `${quotedDisplayName(name)} <sip:${user}@localhost>`;
}

/** The Contact of an offered call's INVITE: the caller ID's URI, without the display name. */
export function callerIdContact(caller: string): string {
  return `<sip:${callerIdUser(caller)}@localhost>`;
}
