/**
 * FreeSWITCH's URL encoding of event header values (switch_url_encode with
 * SWITCH_URL_UNSAFE): `%XX` upper-case hex for control bytes, bytes above `~`
 * and the unsafe set; an existing `%XX` escape is kept as it is. modesl
 * `decodeURIComponent`s every envelope value, so an unencoded `%` or newline
 * would break the frame.
 */

const UNSAFE = new Set(' \r\n#%&+:;<=>?@[\\]^`{|}"'.split('').map((c) => c.charCodeAt(0)));

const HEX = '0123456789ABCDEF';

function isHex(c: number | undefined): boolean {
  return c !== undefined && ((c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102));
}

export function urlEncode(value: string): string {
  const bytes = Buffer.from(value, 'utf8');
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i] as number;
    // An existing escape stays (FreeSWITCH does not double-encode).
    if (c === 37 && isHex(bytes[i + 1]) && isHex(bytes[i + 2])) {
      out += '%';
      continue;
    }
    if (c < 32 || c > 126 || UNSAFE.has(c)) {
      out += `%${HEX[c >> 4]}${HEX[c & 15]}`;
    } else {
      out += String.fromCharCode(c);
    }
  }
  return out;
}

/** Inverse for values a client sends (tolerant: a bad escape is kept literally). */
export function urlDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
