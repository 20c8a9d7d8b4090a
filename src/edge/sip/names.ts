/**
 * Header names: compact forms (RFC 3261 §7.3.3 and the IANA "Header Fields"
 * registry), canonical spelling, and which headers are comma-separated lists.
 */

/** Compact form (one letter, case-insensitive) -> canonical long name. */
const COMPACT: Record<string, string> = {
  a: 'Accept-Contact', // RFC 3841
  b: 'Referred-By', // RFC 3892
  c: 'Content-Type',
  d: 'Request-Disposition', // RFC 3841
  e: 'Content-Encoding',
  f: 'From',
  i: 'Call-ID',
  j: 'Reject-Contact', // RFC 3841
  k: 'Supported',
  l: 'Content-Length',
  m: 'Contact',
  n: 'Identity-Info', // RFC 4474
  o: 'Event', // RFC 6665
  r: 'Refer-To', // RFC 3515
  s: 'Subject',
  t: 'To',
  u: 'Allow-Events', // RFC 6665
  v: 'Via',
  x: 'Session-Expires', // RFC 4028
  y: 'Identity', // RFC 8224
};

/** Canonical spellings of well-known headers whose case is not simple Title-Case. */
const CANONICAL = new Map<string, string>();
for (const name of [
  ...Object.values(COMPACT),
  'Accept',
  'Accept-Encoding',
  'Accept-Language',
  'Alert-Info',
  'Allow',
  'Authentication-Info',
  'Authorization',
  'Call-Info',
  'Content-Disposition',
  'Content-Language',
  'CSeq',
  'Date',
  'Error-Info',
  'Expires',
  'In-Reply-To',
  'Max-Forwards',
  'Min-Expires',
  'Min-SE',
  'MIME-Version',
  'Organization',
  'P-Asserted-Identity',
  'P-Preferred-Identity',
  'Path',
  'Priority',
  'Privacy',
  'Proxy-Authenticate',
  'Proxy-Authorization',
  'Proxy-Require',
  'RAck',
  'Reason',
  'Record-Route',
  'Reply-To',
  'Replaces',
  'Require',
  'Retry-After',
  'Route',
  'RSeq',
  'Server',
  'Service-Route',
  'SIP-ETag',
  'SIP-If-Match',
  'Subscription-State',
  'Timestamp',
  'Unsupported',
  'User-Agent',
  'Warning',
  'WWW-Authenticate',
]) {
  CANONICAL.set(name.toLowerCase(), name);
}

/**
 * Headers whose grammar is a comma-separated list (`#element`, §7.3.1), and
 * which may therefore be split on commas. Authorization-type headers, Date,
 * Retry-After, Warning text etc. are not split (their values contain commas
 * that do not separate elements).
 */
const LIST_HEADERS = new Set([
  'accept',
  'accept-contact',
  'accept-encoding',
  'accept-language',
  'alert-info',
  'allow',
  'allow-events',
  'call-info',
  'contact',
  'content-encoding',
  'content-language',
  'error-info',
  'in-reply-to',
  'p-asserted-identity',
  'p-preferred-identity',
  'path',
  'privacy',
  'proxy-require',
  'reason',
  'record-route',
  'reject-contact',
  'request-disposition',
  'require',
  'route',
  'service-route',
  'supported',
  'unsupported',
  'via',
  'warning',
]);

/**
 * Lower-case lookup key of a header name: compact forms map to the long form,
 * so `headerKey('v') === headerKey('VIA') === 'via'`.
 */
export function headerKey(name: string): string {
  if (name.length === 1) {
    const long = COMPACT[name.toLowerCase()];
    if (long !== undefined) return long.toLowerCase();
  }
  return name.toLowerCase();
}

/**
 * Canonical long form of a header name: compact forms expanded (`v` -> `Via`),
 * well-known names in their registered spelling (`cseq` -> `CSeq`), any other
 * name returned unchanged.
 */
export function canonicalHeaderName(name: string): string {
  if (name.length === 1) {
    const long = COMPACT[name.toLowerCase()];
    if (long !== undefined) return long;
  }
  return CANONICAL.get(name.toLowerCase()) ?? name;
}

/** True when the header (any spelling) is a comma-separated list header. */
export function isListHeader(name: string): boolean {
  return LIST_HEADERS.has(headerKey(name));
}
