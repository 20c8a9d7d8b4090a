/**
 * The media-server endpoint of an anchored agent leg ("B"), as call control
 * sees it through drachtio-fsmrf, and its one owner.
 *
 * B is made with `createEndpoint()` and no remote SDP: the media server
 * answers with an offer (3pcc), which becomes the agent leg's offer; the
 * agent's answer is then given to B with `modify`. A real fsmrf Endpoint
 * satisfies `AnchorEndpoint`; nothing here imports the media server.
 *
 * `HeldEndpoint` releases B exactly once, whichever comes first: our
 * `release()` (destroy: `hangup`, resolved by the media server's BYE), the
 * media server ending the channel (`destroy` event), or `lost()` when the SIP
 * connection is gone and nothing can be sent.
 *
 * ```
 *   held ──release()──▶ releasing ──BYE from the media server──▶ released
 *     │                                                            ▲
 *     └──── media server ended it / connection lost ───────────────┘
 * ```
 */
import type { Logger } from '../ports/index.ts';

export interface AnchorEndpoint {
  readonly uuid: string;
  readonly local: { sdp: string };
  play(file: string | string[]): Promise<unknown>;
  api(command: string, args: string | string[]): Promise<unknown>;
  /** Sets a channel variable (`RECORD_STEREO` before recording). */
  set(name: string, value: string): Promise<unknown>;
  /** Re-INVITEs the endpoint with `sdp` (the agent's answer, or a later offer). */
  modify(sdp: string): Promise<unknown>;
  on(event: 'dtmf', cb: (e: { dtmf: string }) => void): unknown;
  on(event: 'destroy', cb: (e?: { reason?: string }) => void): unknown;
  destroy(): Promise<unknown>;
}

export interface AnchorMediaServer {
  /** Without `remoteSdp`: the media server offers (3pcc); with it, it answers that offer. */
  createEndpoint(opts?: { remoteSdp?: string }): Promise<AnchorEndpoint>;
}

/**
 * The offer an endpoint is made with before its peer is known: G.711 towards
 * the discard port. Made without any SDP (3pcc), the endpoint's first remote
 * would be its own offer echoed in the ACK: it sends to itself, and a packet
 * of that still in flight when `modify()` gives the real peer latches the
 * endpoint's symmetric RTP onto itself, so the peer never hears anything.
 * The endpoint's answer to this offer is what the peer is offered.
 */
export const PARKED_OFFER = [
  'v=0',
  'o=- 0 0 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 9 RTP/AVP 0 8 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-15',
  'a=sendrecv',
  '',
].join('\r\n');

/** Keeps the endpoints of anchored legs (leak checks, connection loss). */
export interface EndpointCount {
  opened(held: HeldEndpoint): void;
  released(held: HeldEndpoint): void;
}

/** The text of an `api` reply: fsmrf resolves with modesl's Event (`getBody()`). */
export function apiReplyText(reply: unknown): string {
  const r = reply as { getBody?: () => unknown; body?: unknown } | null;
  if (r && typeof r.getBody === 'function') return String(r.getBody() ?? '');
  return typeof r?.body === 'string' ? r.body : '';
}

/** `uuid_bridge <a> <b>`: joins two endpoints' media in the media server (fsmrf's `bridge`). */
export async function bridgeEndpoints(
  a: { readonly uuid: string; api(command: string, args: string[]): Promise<unknown> },
  bUuid: string,
): Promise<void> {
  const reply = apiReplyText(await a.api('uuid_bridge', [a.uuid, bUuid]));
  if (!reply.startsWith('+OK')) throw new Error(`uuid_bridge refused: ${reply.trim()}`);
}

/** An endpoint that may take a new offer (fsmrf's Endpoint has `modify`). */
export interface Renegotiable {
  readonly local: { sdp: string };
  modify?(sdp: string): Promise<unknown>;
}

/** The answer the media server gave to a re-INVITE (`modify`), falling back to its current SDP. */
export async function renegotiate(ep: Renegotiable, offer: string): Promise<string> {
  if (!ep.modify) {
    throw Object.assign(new Error('the endpoint cannot take a new offer'), { status: 488 });
  }
  const answer = await ep.modify(offer);
  return typeof answer === 'string' && answer.length > 0 ? answer : ep.local.sdp;
}

type HoldState = 'held' | 'releasing' | 'released';

export class HeldEndpoint {
  #state: HoldState = 'held';
  #released: Promise<void> | null = null;
  #onGone: ((reason: string) => void) | null = null;

  constructor(
    readonly endpoint: AnchorEndpoint,
    private readonly count: EndpointCount,
    private readonly logger: Logger,
    private readonly label: string,
  ) {
    count.opened(this);
    endpoint.on('destroy', (e) => this.#gone(e?.reason ?? 'media server ended the endpoint'));
  }

  get state(): HoldState {
    return this.#state;
  }

  get uuid(): string {
    return this.endpoint.uuid;
  }

  /** The release under way or done (null while held). */
  get releasing(): Promise<void> | null {
    return this.#released;
  }

  /** The media server ended the endpoint on its own (told once, while still held). */
  onGone(cb: (reason: string) => void): void {
    this.#onGone = cb;
  }

  /** Destroys the endpoint once; later calls return the same promise. Never rejects. */
  release(): Promise<void> {
    if (this.#released) return this.#released;
    if (this.#state === 'released') {
      this.#released = Promise.resolve();
      return this.#released;
    }
    this.#state = 'releasing';
    this.#released = this.endpoint.destroy().then(
      () => this.#settle(),
      (err: unknown) => {
        this.logger.warn({ err, leg: this.label }, 'anchor: endpoint destroy failed');
        this.#settle();
      },
    );
    return this.#released;
  }

  /** The connection is gone: count it released without sending anything. */
  lost(): void {
    this.#settle();
  }

  #gone(reason: string): void {
    const wasHeld = this.#state === 'held';
    this.#settle();
    if (wasHeld) this.#onGone?.(reason);
  }

  #settle(): void {
    if (this.#state === 'released') return;
    this.#state = 'released';
    this.count.released(this);
  }
}
