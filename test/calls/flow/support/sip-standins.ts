/**
 * Stand-ins for the SIP side of the state-machine unit tests. The real parts
 * (drachtio-srf through the embedded SIP server, sipp peers) are used by the
 * end-to-end tests; these exist so that every interleaving of answers,
 * failures, cancels and timers can be driven step by step with a manual
 * clock, which real peers cannot do deterministically.
 */
import type {
  CallDialog,
  InboundCall,
  ModifyReply,
  SipUac,
  UacProgress,
  UacRequest,
} from '../../../../src/calls/session/sip.ts';

let dialogSeq = 0;

export class StandInDialog implements CallDialog {
  readonly id = `dlg-${++dialogSeq}`;
  readonly sipCallId = `call-${this.id}`;
  ended = false;
  /** BYEs we sent (must never exceed 1). */
  byes = 0;
  endReasons: string[] = [];
  modifies: string[] = [];
  modifyAnswer: string | Error = 'v=0 answer';
  #onEnded: ((by: 'remote' | 'local', reason: string) => void) | null = null;
  #onModify: ((offer: string, reply: ModifyReply) => void) | null = null;

  constructor(public remoteSdp = 'v=0 agent') {}

  onEnded(cb: (by: 'remote' | 'local', reason: string) => void): void {
    this.#onEnded = cb;
  }

  onModify(cb: (offer: string, reply: ModifyReply) => void): void {
    this.#onModify = cb;
  }

  async modify(offer: string): Promise<string> {
    this.modifies.push(offer);
    if (this.modifyAnswer instanceof Error) throw this.modifyAnswer;
    return this.modifyAnswer;
  }

  async end(reason: string): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.byes++;
    this.endReasons.push(reason);
    this.#onEnded?.('local', reason);
  }

  /** The peer sends BYE. */
  peerBye(): void {
    if (this.ended) return;
    this.ended = true;
    this.#onEnded?.('remote', 'BYE');
  }

  /** The peer sends a re-INVITE; resolves with our reply. */
  peerReinvite(offer: string): Promise<{ ok: true; sdp: string } | { ok: false; status: number }> {
    return new Promise((resolve) => {
      if (!this.#onModify) {
        resolve({ ok: false, status: 488 });
        return;
      }
      this.#onModify(offer, {
        accept: (sdp) => resolve({ ok: true, sdp }),
        reject: (status) => resolve({ ok: false, status }),
      });
    });
  }
}

export class SipFailure extends Error {
  constructor(readonly status: number) {
    super(`Sip non-success response: ${status}`);
  }
}

/** One INVITE the dialer sent. */
export class SentInviteStandIn {
  cancels = 0;
  requestSent = false;
  settled = false;
  #resolve!: (d: CallDialog) => void;
  #reject!: (e: unknown) => void;
  readonly promise: Promise<CallDialog>;

  constructor(
    readonly request: UacRequest,
    readonly progress: UacProgress,
  ) {
    this.promise = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  /** srf's cbRequest: the INVITE left. */
  sent(): void {
    if (this.requestSent) return;
    this.requestSent = true;
    this.progress.onRequest({ cancel: () => void this.cancels++ });
  }

  ringing(status = 180): void {
    this.progress.onProvisional(status);
  }

  answer(dialog = new StandInDialog()): StandInDialog {
    this.settled = true;
    this.#resolve(dialog);
    return dialog;
  }

  fail(status: number): void {
    this.settled = true;
    this.#reject(new SipFailure(status));
  }

  /** No response at all: srf could not send (transport error). */
  transportError(): void {
    this.settled = true;
    this.#reject(new Error('connection refused'));
  }
}

export class StandInUac implements SipUac {
  readonly invites: SentInviteStandIn[] = [];

  constructor(private readonly autoSend = true) {}

  invite(request: UacRequest, progress: UacProgress): Promise<CallDialog> {
    const inv = new SentInviteStandIn(request, progress);
    this.invites.push(inv);
    if (this.autoSend) inv.sent();
    return inv.promise;
  }

  to(uriPart: string): SentInviteStandIn[] {
    return this.invites.filter((i) => i.request.uri.includes(uriPart));
  }
}

export interface SentResponse {
  status: number;
  reason: string;
  headers?: Record<string, string>;
}

export class StandInInbound implements InboundCall {
  readonly responses: SentResponse[] = [];
  answered: { sdp: string; dialog: StandInDialog } | null = null;
  /** Set to make `answer` fail (e.g. 487: the caller cancelled as the agent answered). */
  answerFailure: number | null = null;
  #onCancel: (() => void) | null = null;
  #cancelled = false;
  #holdAnswer: Promise<void> | null = null;
  #release: (() => void) | null = null;

  constructor(
    readonly uri = 'sip:+4930100@acd.local',
    private readonly headers: Record<string, string> = {
      From: '"Caller" <sip:+4917012345@trunk.example>;tag=abc',
      To: '<sip:+4930100@acd.local>',
    },
    readonly sourceAddress = '203.0.113.5',
    readonly sourcePort = 5060,
    readonly callId = `cid-${Math.random().toString(36).slice(2)}`,
    readonly sdp = 'v=0 caller',
  ) {}

  header(name: string): string | undefined {
    const key = Object.keys(this.headers).find((k) => k.toLowerCase() === name.toLowerCase());
    return key ? this.headers[key] : undefined;
  }

  onCancel(cb: () => void): void {
    this.#onCancel = cb;
  }

  /** The caller sends CANCEL. */
  cancel(): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    this.#onCancel?.();
  }

  progress(status: number, reason: string): void {
    this.responses.push({ status, reason });
  }

  reject(status: number, reason: string, headers?: Record<string, string>): void {
    if (this.final) throw new Error(`second final response ${status} after ${this.final.status}`);
    this.responses.push({ status, reason, ...(headers ? { headers } : {}) });
  }

  /** Holds the next answer until `releaseAnswer()` (to race a CANCEL against it). */
  holdAnswer(): void {
    this.#holdAnswer = new Promise((r) => {
      this.#release = r;
    });
  }

  releaseAnswer(): void {
    this.#release?.();
  }

  async answer(localSdp: string): Promise<CallDialog> {
    if (this.final) throw new Error('answer after a final response');
    if (this.#holdAnswer) await this.#holdAnswer;
    if (this.#cancelled) throw new SipFailure(487);
    if (this.answerFailure !== null) throw new SipFailure(this.answerFailure);
    const dialog = new StandInDialog('v=0 caller');
    this.answered = { sdp: localSdp, dialog };
    this.responses.push({ status: 200, reason: 'OK' });
    return dialog;
  }

  get final(): SentResponse | undefined {
    return this.responses.find((r) => r.status >= 200);
  }
}
