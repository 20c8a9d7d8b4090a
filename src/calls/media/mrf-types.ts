/**
 * The typed face of drachtio-fsmrf that call control uses (fsmrf ships no
 * typings). Real fsmrf MediaServer and Endpoint objects satisfy these shapes;
 * nothing here imports the media server itself: call control reaches it only
 * through fsmrf, as it reaches the SIP server only through drachtio-srf.
 */

export interface MrfDtmf {
  dtmf: string;
  duration?: string;
  source?: string;
}

export interface MrfEndpoint {
  readonly uuid: string;
  readonly local: { sdp: string };
  /** `playback` of one file or a `!`-joined list; resolves when it ends or is broken off. */
  play(file: string | string[]): Promise<unknown>;
  /**
   * `record <file> <limit s>`: what the caller sends, to a WAV file, until the
   * limit, a digit in `playback_terminators`, `uuid_break` or hang-up.
   */
  record(file: string, opts: { timeLimitSecs: number }): Promise<unknown>;
  /** `set <name>=<value>` on the channel. */
  set(name: string, value: string): Promise<unknown>;
  /** `api <command> <args>` on the media server (e.g. `uuid_break <uuid>`). */
  api(command: string, args: string | string[]): Promise<unknown>;
  on(event: 'dtmf', cb: (e: MrfDtmf) => void): unknown;
  /** The media server ended the channel (BYE from it, e.g. `MEDIA_TIMEOUT`), or its socket closed. */
  on(event: 'destroy', cb: (e?: { reason?: string }) => void): unknown;
  /** `hangup`, resolved by the media server's BYE; a no-op once destroyed. */
  destroy(): Promise<unknown>;
  /** Re-INVITE of the endpoint with the peer's SDP (an endpoint made without one: 3pcc). */
  modify(sdp: string): Promise<unknown>;
  /** `uuid_bridge` with another endpoint: RTP flows between their peers. */
  bridge(other: MrfEndpoint): Promise<unknown>;
}

export interface MrfMediaServer {
  /** Without `remoteSdp` the endpoint offers (its SDP in `local.sdp`), answered by `modify()`. */
  createEndpoint(opts?: { remoteSdp?: string; codecs?: string[] }): Promise<MrfEndpoint>;
}

/** Checks that `ms` has what call control uses (a connected fsmrf MediaServer does). */
export function asMediaServer(ms: unknown): MrfMediaServer {
  const o = ms as { createEndpoint?: unknown } | null;
  if (!o || typeof o.createEndpoint !== 'function') {
    throw new TypeError('expected a drachtio-fsmrf MediaServer');
  }
  return o as MrfMediaServer;
}
