/**
 * The typed face of drachtio-srf that the call path uses. Only
 * `srf-adapter.ts` touches srf objects; everything else sees these
 * interfaces, so the state machines can be driven by stand-ins in unit tests
 * and by real srf in the end-to-end tests.
 */

/** One established leg (srf Dialog). Both endings (peer BYE, our BYE) reach `onEnded` once. */
export interface CallDialog {
  readonly id: string;
  /** The dialog's SIP Call-ID: what another instance needs to end it after a crash. */
  readonly sipCallId: string;
  /** The peer's current session description. */
  readonly remoteSdp: string;
  readonly ended: boolean;
  /** Registers the single end listener; it runs once, whichever side ended the dialog. */
  onEnded(cb: (by: 'remote' | 'local', reason: string) => void): void;
  /** The peer sent a re-INVITE with a new offer (hold, codec change). */
  onModify(cb: (offer: string, reply: ModifyReply) => void): void;
  /** Sends a re-INVITE with `offer`; resolves with the peer's answer. */
  modify(offer: string): Promise<string>;
  /** Blind transfer: REFER to `target` (a SIP URI); resolves on the peer's 2xx. */
  refer?(target: string): Promise<void>;
  /** SIP INFO inside the dialog (DTMF relay); answered 200 here. */
  onInfo?(cb: (contentType: string | undefined, body: string) => void): void;
  /** Sends BYE unless the dialog already ended. Safe to call twice; never rejects. */
  end(reason: string): Promise<void>;
}

/** The answer to a peer's re-INVITE: exactly one of these is called. */
export interface ModifyReply {
  accept(answerSdp: string): void;
  reject(status: number, reason?: string): void;
}

/** The INVITE we sent (srf's request from `cbRequest`), kept so that it can be cancelled. */
export interface SentInvite {
  cancel(): void;
}

export interface UacRequest {
  uri: string;
  localSdp: string;
  /** Extra headers (From with the caller ID display name, ...). */
  headers: Record<string, string>;
  /** Next hop, e.g. the outbound trunk for mobile legs. */
  proxy?: string;
  /**
   * Offer a media-server endpoint instead of `localSdp` and keep the call in
   * the media server once connected (an anchored call: recording, the
   * human-answer check). Absent: a plain signalling leg.
   */
  anchor?: AnchorRequest;
}

export interface AnchorRequest {
  /** Ask whoever answers to press 1 before the answer counts (mobile legs); null = no check. */
  confirm: { prompt: readonly string[]; timeoutMs: number } | null;
}

export interface UacProgress {
  /** The INVITE left (srf `cbRequest`). */
  onRequest(req: SentInvite): void;
  /** A 1xx arrived (srf `cbProvisional`; 100 Trying is never relayed by drachtio). */
  onProvisional(status: number): void;
  /**
   * The device answered, but the answer counts only once a person accepts it
   * (the human-answer check of mobile legs); the INVITE's promise settles then.
   */
  onAnswerOnTrial?(): void;
}

/** Outgoing calls (srf `createUAC`): resolves with the dialog on 2xx, rejects on anything else. */
export interface SipUac {
  invite(request: UacRequest, progress: UacProgress): Promise<CallDialog>;
}

/** An INVITE from a caller (srf `req` + `res` of `srf.invite`), not yet answered. */
export interface InboundCall {
  /** Request-URI. */
  readonly uri: string;
  readonly callId: string;
  /** The caller's offer. */
  readonly sdp: string;
  readonly sourceAddress: string;
  readonly sourcePort: number;
  header(name: string): string | undefined;
  /** The caller sent CANCEL (the SIP server has already answered it with 487). */
  onCancel(cb: () => void): void;
  /** Provisional response (180 Ringing while waiting). */
  progress(status: number, reason: string): void;
  /** Final non-2xx response. */
  reject(status: number, reason: string, headers?: Record<string, string>): void;
  /** 200 with `localSdp` (srf `createUAS`); rejects with SipError 487 if the caller cancelled. */
  answer(localSdp: string): Promise<CallDialog>;
  /**
   * Connects the caller to an anchored agent leg inside the media server
   * (callers answered into media only); resolves with the caller's dialog.
   */
  answerAnchored?(agent: CallDialog): Promise<CallDialog>;
}
