/**
 * Media for queued callers, as call control sees it: one `MediaCaller` per
 * call in media mode, found by the engine's call id for announcements,
 * spoken exits and the call log's abandon cause. Counts endpoints for leak
 * checks, and `settled()` waits until every endpoint and caller dialog it
 * owns is released.
 */
import type { ExitReason } from '../../acd/index.ts';
import type { AnchorMediaServer } from '../anchor/anchor-endpoint.ts';
import { Anchors } from '../anchor/anchors.ts';
import { CallbackMenu } from './callback-menu.ts';
import { realScheduler, type Scheduler } from '../mechanisms/scheduler.ts';
import { type CallRecordings, type Logger, silentLogger } from '../ports/index.ts';
import type { InboundCall } from '../sip/sip.ts';
import type { DepartmentMedia } from './department-media.ts';
import { MediaCaller } from './media-caller.ts';
import type { MrfMediaServer } from './mrf-types.ts';
import type { VoicemailBox } from '../voicemail/voicemail-box.ts';

export interface CallerMediaOptions {
  /** The connected media server, or null while there is none (callers then hear ringback). */
  media(): MrfMediaServer | null;
  /** A department's media, or undefined when unknown (ringback). */
  department(departmentId: string): DepartmentMedia | undefined;
  /** Refer-To URI for a forward exit after the answer (null = no trunk). */
  forwardTarget(number: string): string | null;
  /** No RTP from a queued caller for this long ends the call (asks the media server). */
  mediaTimeoutMs: number;
  /** Where `voicemail` exits record; null or absent: they end with goodbye. */
  voicemail?: VoicemailBox | null;
  /** How long a mobile's answer waits for its 1 (human-answer check). */
  confirmTimeoutMs?: number;
  /** Where recordings of anchored calls go; absent = calls cannot be recorded. */
  recordings?: CallRecordings | null;
  logger?: Logger;
  now?: () => number;
  scheduler?: Scheduler;
  /** What the callback dialogue asks (absent: the callback key does nothing). */
  callbacks?: CallbackRequests;
}

export interface CallbackRequests {
  /** Whether `number` may be called back through the trunk. */
  allowed(number: string): boolean;
  /** Asks the routing engine; true when the call stays queued as a callback request. */
  request(callId: string, number: string): boolean;
}

/** How a ring attempt's legs are anchored for a call (null: plain legs). */
export interface LegAnchoring {
  /** Every leg is anchored: the department records its calls. */
  record: boolean;
  /** What a mobile leg that must be accepted plays, and how long it waits for the 1. */
  acceptQuestion: string[];
  confirmTimeoutMs: number;
}

/** Default of `media.confirmTimeoutS`. */
export const CONFIRM_TIMEOUT_MS = 8000;

export class CallerMedia {
  readonly #o: CallerMediaOptions;
  readonly #callers = new Map<string, MediaCaller>();
  readonly #settling = new Set<Promise<void>>();
  #endpoints = 0;
  /** Agent legs' endpoints and the anchored calls (recording control). */
  readonly anchors: Anchors;

  constructor(options: CallerMediaOptions) {
    this.#o = options;
    this.anchors = new Anchors({
      // fsmrf's MediaServer makes both kinds of endpoint; only the option differs.
      media: () => options.media() as unknown as AnchorMediaServer | null,
      recordings: options.recordings ?? null,
      logger: options.logger ?? silentLogger,
      ...(options.scheduler ? { scheduler: options.scheduler } : {}),
    });
  }

  /** Endpoints created and not yet released (callers' and anchored agent legs'). */
  get openEndpoints(): number {
    return this.#endpoints + this.anchors.openEndpoints;
  }

  /**
   * How the legs ringing for this call are anchored: only a caller answered
   * (or about to be answered) into media can be bridged in the media server.
   */
  anchoring(callId: string): LegAnchoring | null {
    const caller = this.#callers.get(callId);
    if (!caller || !['idle', 'answering', 'queued'].includes(caller.state)) return null;
    const dept = caller.department;
    return {
      record: dept.recordCalls,
      acceptQuestion: dept.acceptQuestion,
      confirmTimeoutMs: this.#o.confirmTimeoutMs ?? CONFIRM_TIMEOUT_MS,
    };
  }

  /** Callers still tracked (ended ones leave once the engine has completed them). */
  get callers(): number {
    return this.#callers.size;
  }

  /** The caller's INVITE as the session should see it: with media when there is a media server. */
  wrap(call: InboundCall, callId: string, departmentId: string, callerNumber = ''): InboundCall {
    const media = this.#o.media();
    const dept = this.#o.department(departmentId);
    if (!media || !dept) return call;
    const logger = this.#o.logger ?? silentLogger;
    const callbacks = this.#o.callbacks;
    const caller = new MediaCaller(
      call,
      {
        media,
        logger,
        now: this.#o.now ?? Date.now,
        endpointOpened: () => {
          this.#endpoints += 1;
        },
        endpointReleased: () => {
          this.#endpoints -= 1;
        },
        forwardTarget: (n) => this.#o.forwardTarget(n),
        mediaTimeoutMs: this.#o.mediaTimeoutMs,
        voicemail: this.#o.voicemail ?? null,
        anchored: (id, ep, record) => this.anchors.calls.anchored(id, ep, record),
        anchorEnded: (id) => this.anchors.calls.ended(id),
        ...(callbacks
          ? {
              callbackMenu: (d: DepartmentMedia, play: (files: string[]) => Promise<void>) =>
                new CallbackMenu({
                  callId,
                  caller: callerNumber,
                  prompts: d.callback,
                  play,
                  allowed: (n) => callbacks.allowed(n),
                  request: (n) => callbacks.request(callId, n),
                  scheduler: realScheduler,
                  logger,
                }),
            }
          : {}),
      },
      dept,
      callId,
      callerNumber,
    );
    this.#callers.set(callId, caller);
    return caller;
  }

  announce(callId: string, position: number, expectedWaitS: number | null): void {
    this.#callers.get(callId)?.announce(position, expectedWaitS);
  }

  exiting(callId: string, reason: ExitReason, exit?: string): void {
    this.#callers.get(callId)?.exiting(reason, exit);
  }

  moved(callId: string, departmentId: string): void {
    const dept = this.#o.department(departmentId);
    if (dept) this.#callers.get(callId)?.moveTo(dept);
  }

  /**
   * The engine completed the call: returns why a queued caller left on its
   * own ('media-timeout', 'exit-key'), and stops tracking it by id once its
   * releases are done.
   */
  completed(callId: string): string | null {
    const caller = this.#callers.get(callId);
    if (!caller) return null;
    this.#callers.delete(callId);
    const settle = caller.settled().finally(() => this.#settling.delete(settle));
    this.#settling.add(settle);
    const cause = caller.abandonCause;
    return cause === 'media-timeout' || cause === 'exit-key' ? cause : null;
  }

  /** The caller became a callback request and hung up: its media is no longer the call's. */
  callbackTaken(callId: string): void {
    this.completed(callId);
  }

  /** The SIP server connection is gone: nothing can be sent, forget the endpoints. */
  lost(): void {
    for (const c of this.#callers.values()) c.lost();
    this.anchors.lost();
  }

  async settled(): Promise<void> {
    while (this.#settling.size > 0 || this.#callers.size > 0) {
      await Promise.all([
        ...this.#settling,
        ...[...this.#callers.values()].map((c) => c.settled()),
      ]);
      if (this.#settling.size === 0) break;
    }
    await this.anchors.settled();
  }
}
