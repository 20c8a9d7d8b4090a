/**
 * The small part of drachtio-srf's request and response objects that call
 * control uses, typed here because srf's bundled typings lag its code. Real
 * srf objects satisfy these shapes; tests may build plain objects that do.
 */

/** An incoming request as srf hands it to `srf.register(...)`, `srf.invite(...)` etc. */
export interface SrfRequest {
  readonly method: string;
  /** The Request-URI. */
  readonly uri: string;
  /** A header's raw value; repeated headers joined with `,`; undefined when absent. */
  get(name: string): string | undefined;
  has(name: string): boolean;
  /** Address and port the request came from (after NAT). */
  readonly source_address: string;
  readonly source_port: number;
  /** `udp`, `tcp` or `tls` (WebSocket is reported as `tcp`); empty on ACK relays. */
  readonly protocol: string;
}

export interface SrfSendOptions {
  headers?: Record<string, string>;
  body?: string;
}

export interface SrfResponse {
  send(status: number, reason: string | undefined, options?: SrfSendOptions): void;
}

/**
 * srf writes each header of `options.headers` as one `Name: value` line and
 * joins repeated values with commas. Some headers must not be comma-joined:
 * RFC 3261 allows one challenge per `WWW-Authenticate`. The value returned here
 * makes srf write one line per value (the SIP server reads the message line by
 * line, so these arrive as separate header fields).
 */
export function repeatedHeaderValue(name: string, values: readonly string[]): string {
  for (const v of values) {
    if (/[\r\n]/.test(v)) throw new TypeError(`${name} value must not contain CR or LF`);
  }
  return values.join(`\r\n${name}: `);
}
