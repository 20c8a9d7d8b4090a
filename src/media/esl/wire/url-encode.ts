/**
 * FreeSWITCH's URL encoding of event header values (switch_url_encode with
 * SWITCH_URL_UNSAFE): `%XX` upper-case hex for control bytes, bytes above `~`
 * and the unsafe set. modesl `decodeURIComponent`s every envelope value, so
 * an unencoded `%` or newline would break the frame.
 *
 * FreeSWITCH leaves an existing `%XX` escape as it is; here every `%` is
 * encoded, so a value reads back exactly as it was set, and a value such as
 * `100%FF` cannot make modesl's decodeURIComponent throw (an exception in its
 * socket handler, outside any promise of the app).
 */

const UNSAFE = new Set(' \r\n#%&+:;<=>?@[\\]^`{|}"'.split('').map((c) => c.charCodeAt(0)));

const HEX = '0123456789ABCDEF';

export function urlEncode(value: string): string {
  const bytes = Buffer.from(value, 'utf8');
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i] as number;
    if (c < 32 || c > 126 || UNSAFE.has(c)) {
      out += `%${HEX[c >> 4]}${HEX[c & 15]}`;
    } else {
      out += String.fromCharCode(c);
    }
  }
  return out;
}
