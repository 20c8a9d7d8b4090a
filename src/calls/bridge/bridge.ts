/**
 * Two established legs joined back to back (B2BUA): the caller's dialog
 * (UAS side) and the agent's (UAC side).
 *
 * ```
 *   connected ──BYE from either side / hangUp()──▶ ending ──other leg's BYE done──▶ ended
 * ```
 *
 * - BYE from either side ends the other leg (one `end` per dialog, so the
 *   BYE goes out once even when both sides hang up at the same moment). The
 *   BYE is handed to srf before the end is reported, so the agent's next
 *   offer can never overtake it.
 * - A re-INVITE (hold, codec change) from one side is sent to the other side
 *   as a re-INVITE with the same offer; its answer goes back as our 200. A
 *   failure there is passed back with its status (488 when none). That is
 *   the `direct` media path; once the call's media is being moved into the
 *   media server (`moving`, anchor/on-demand-anchor.ts) a peer's re-INVITE
 *   is answered 491 (ours is in flight), and once it is `anchored` each
 *   side's re-INVITE is answered by its own endpoint, the other side never
 *   hears of it.
 * - `onEnded` reports once who hung up first; `closed` resolves when both
 *   dialogs are gone.
 */
import type { Scheduler } from '../mechanisms/scheduler.ts';
import type { CallDialog } from '../sip/sip.ts';
import { sipStatusOf } from '../sip/sip-failure.ts';
import { StateMachine, type TransitionTable } from '../mechanisms/state-machine.ts';

export type BridgeState = 'connected' | 'ending' | 'ended';

export const BRIDGE_TRANSITIONS: TransitionTable<BridgeState> = {
  connected: ['ending'],
  ending: ['ended'],
  ended: [],
};

export type Side = 'caller' | 'agent' | 'system';

/** Where the two legs' media flows, and so who answers a peer's re-INVITE. */
export type MediaPath =
  | { kind: 'direct' }
  | { kind: 'moving' }
  | {
      kind: 'anchored';
      /** Each side's own endpoint answers that side's new offers. */
      caller: (offer: string) => Promise<string>;
      agent: (offer: string) => Promise<string>;
    };

export interface BridgeEnd {
  /** Who ended the call first. */
  by: Side;
  reason: string;
  at: number;
}

export class Bridge {
  readonly #fsm: StateMachine<BridgeState>;
  #end: BridgeEnd | null = null;
  #onEnded: ((end: BridgeEnd) => void) | null = null;
  #media: MediaPath = { kind: 'direct' };
  #resolveClosed!: () => void;
  readonly closed: Promise<void>;
  readonly connectedAt: number;

  constructor(
    readonly caller: CallDialog,
    readonly agent: CallDialog,
    private readonly scheduler: Scheduler,
    name = 'bridge',
  ) {
    this.#fsm = new StateMachine(name, 'connected', BRIDGE_TRANSITIONS, scheduler);
    this.connectedAt = scheduler.now();
    this.closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    caller.onEnded((_by, reason) => this.#sideEnded('caller', reason));
    agent.onEnded((_by, reason) => this.#sideEnded('agent', reason));
    caller.onModify((offer, reply) => this.#passModify('caller', offer, reply));
    agent.onModify((offer, reply) => this.#passModify('agent', offer, reply));
  }

  get state(): BridgeState {
    return this.#fsm.state;
  }

  get ended(): BridgeEnd | null {
    return this.#end;
  }

  get mediaPath(): MediaPath['kind'] {
    return this.#media.kind;
  }

  /** The media path changed (on-demand anchoring moves it; its failure moves it back). */
  setMediaPath(path: MediaPath): void {
    this.#media = path;
  }

  /** Called once when the first side hangs up (or `hangUp` is called). */
  onEnded(cb: (end: BridgeEnd) => void): void {
    this.#onEnded = cb;
    if (this.#end) cb(this.#end);
  }

  /** Ends both legs (shutdown, admin action). */
  hangUp(reason: string): void {
    this.#sideEnded('system', reason);
  }

  /** The connection to the SIP server is gone: both dialogs are dead, no BYE can be sent. */
  lost(): void {
    if (this.#fsm.is('connected')) {
      this.#fsm.to('ending', 'connection lost');
      this.#end = { by: 'system', reason: 'connection lost', at: this.scheduler.now() };
      this.#onEnded?.(this.#end);
    }
    if (this.#fsm.is('ending')) {
      this.#fsm.to('ended', 'connection lost');
      this.#resolveClosed();
    }
  }

  #sideEnded(by: Side, reason: string): void {
    if (!this.#fsm.is('connected')) return;
    this.#fsm.to('ending', `${by}: ${reason}`);
    this.#end = { by, reason, at: this.scheduler.now() };
    // The BYEs are handed to srf first: reporting the end frees the agent, and
    // the engine may offer them the next call in the same turn. Were that
    // INVITE to leave before our BYE, the phone would still be on this call
    // and answer it 486. Our own end() on a dialog that already ended is a
    // no-op, so both calls are safe.
    const byes = Promise.all([this.caller.end(reason), this.agent.end(reason)]);
    this.#onEnded?.(this.#end);
    void byes.then(() => {
      if (!this.#fsm.is('ending')) return; // lost() got there first
      this.#fsm.to('ended', 'both legs gone');
      this.#resolveClosed();
    });
  }

  #passModify(
    from: 'caller' | 'agent',
    offer: string,
    reply: { accept(sdp: string): void; reject(status: number, reason?: string): void },
  ): void {
    const other = from === 'caller' ? this.agent : this.caller;
    if (!this.#fsm.is('connected') || other.ended) {
      reply.reject(481, 'Call Leg Does Not Exist');
      return;
    }
    const media = this.#media;
    if (media.kind === 'moving') {
      // Our own re-INVITE of this call is under way (RFC 3261 14.2: glare).
      reply.reject(491, 'Request Pending');
      return;
    }
    const answered = media.kind === 'anchored' ? media[from](offer) : other.modify(offer);
    answered.then(
      (answer) => reply.accept(answer),
      (err: unknown) => reply.reject(sipStatusOf(err) ?? 488),
    );
  }
}
