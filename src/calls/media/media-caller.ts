/**
 * A caller answered into a media endpoint while queued. It stands in for the
 * caller's `InboundCall`, so the session and the bridge are the same with and
 * without media: the session's ringback (`progress(180)`) answers the caller
 * into an endpoint (drachtio-fsmrf, the caller's offer; our 200 carries the
 * endpoint's SDP); `answer` re-INVITEs the caller towards the agent and
 * releases the endpoint; `answerAnchored` bridges it with the agent's
 * endpoint and keeps both until the call ends; `reject` plays the
 * department's message, then carries out the exit (a voicemail exit hands
 * the endpoint to the voicemail box, `src/calls/voicemail/`).
 *
 * ```
 *   idle ─180─▶ answering ─200 sent─▶ queued ─agent─▶ handover ─re-INVITE done─▶ handed-over
 *     │            │                    ├─agent, anchored─▶ handover ─bridged─▶ anchored
 *     │            │                    ├─reject / exit key─▶ exiting ─▶ done
 *     │            │                    └─callback key─▶ callback-menu (callback-menu.ts) ─▶ queued / done
 *     └─reject─────┴── failure, CANCEL, BYE, media gone ─────────────────────▶ done
 * ```
 *
 * One owner per resource: the endpoint is destroyed exactly once (`#releaseEndpoint`;
 * when anchored, as the caller's dialog ends), the caller's dialog is ended
 * here unless it was handed to the session's bridge.
 */
import type { ExitReason } from '../../acd/index.ts';
import type { CallDialog, InboundCall } from '../sip/sip.ts';
import { dtmfRelayDigit } from '../sip/dtmf-relay.ts';
import { anchoredDialog, anchoredEndpointOf } from '../anchor/anchored-dialog.ts';
import { bridgeEndpoints, renegotiate } from '../anchor/anchor-endpoint.ts';
import type { DepartmentMedia } from './department-media.ts';
import { SPOKEN_EXITS } from './department-media.ts';
import { TrackedWork } from '../mechanisms/tracked-work.ts';
import { HoldPlaylist } from './hold-playlist.ts';
import { InboundCallView } from './inbound-call-view.ts';
import type { MediaCallerHost } from './media-caller-host.ts';
import { type AbandonCause, type MediaCallerState, PAST_THE_QUEUE } from './media-caller-state.ts';
import type { MrfEndpoint } from './mrf-types.ts';
import type { CallbackMenu } from './callback-menu.ts';
import type { VoicemailRecording } from '../voicemail/voicemail-recording.ts';

export type { AbandonCause, MediaCallerState } from './media-caller-state.ts';

export class MediaCaller extends InboundCallView implements InboundCall {
  #state: MediaCallerState = 'idle';
  #ep: MrfEndpoint | null = null;
  #dialog: CallDialog | null = null;
  #answering: Promise<void> | null = null;
  #onCancel: (() => void) | null = null;
  #cancelFired = false;
  #abandonCause: AbandonCause | null = null;
  #exitReason: ExitReason | null = null;
  /** The exit is `voicemail`: after the message the caller may leave one. */
  #leaveMessage = false;
  #recording: VoicemailRecording | null = null;
  readonly #playlist = new HoldPlaylist();
  #playing: 'music' | 'prompt' | null = null;
  #loop: Promise<void> | null = null;
  readonly #work = new TrackedWork();
  #endpointReleased: Promise<void> | null = null;
  #menu: CallbackMenu | null = null;

  constructor(
    inner: InboundCall,
    private readonly host: MediaCallerHost,
    private dept: DepartmentMedia,
    private readonly acdCallId: string,
    /** The caller's number ('' when withheld), for the voicemail. */
    private readonly caller = '',
  ) {
    super(inner);
    inner.onCancel(() => this.#left('caller-hung-up'));
  }

  get state(): MediaCallerState {
    return this.#state;
  }

  /** The department whose media the caller hears now. */
  get department(): DepartmentMedia {
    return this.dept;
  }

  get abandonCause(): AbandonCause | null {
    return this.#abandonCause;
  }

  onCancel(cb: () => void): void {
    this.#onCancel = cb;
    if (this.#cancelFired) queueMicrotask(cb);
  }

  /** The session's ringback: answer into media instead. */
  progress(status: number, reason: string): void {
    if (this.#state !== 'idle') return;
    if (status !== 180) {
      this.inner.progress(status, reason);
      return;
    }
    this.#startAnswer();
  }

  /** The caller moves to another department (overflow): its media from now on. */
  moveTo(dept: DepartmentMedia): void {
    this.dept = dept;
  }

  /** The engine's position announcement. */
  announce(position: number, expectedWaitS: number | null): void {
    this.#playlist.announce(this.dept.position(position, expectedWaitS));
    this.#interruptMusic();
  }

  /** The engine is about to refuse the call for `reason`: `reject` will speak it, then `exit`. */
  exiting(reason: ExitReason, exit?: string): void {
    this.#exitReason = reason;
    this.#leaveMessage = exit === 'voicemail';
  }

  reject(status: number, reason: string, headers?: Record<string, string>): void {
    const spoken = this.#exitReason !== null && SPOKEN_EXITS.has(this.#exitReason);
    if (this.#state === 'idle') {
      if (!spoken) {
        this.#state = 'done';
        this.inner.reject(status, reason, headers);
        return;
      }
      this.#startAnswer();
    }
    if (this.#state === 'done' || this.#state === 'exiting') return;
    const message = spoken ? this.dept.exitMessage(this.#exitReason!, this.host.now()) : [];
    this.#exit(message, headers?.Contact ?? null, `${status} ${reason}`);
  }

  /** The agent answered: move the caller's media to the agent and give up the endpoint. */
  async answer(agentSdp: string): Promise<CallDialog> {
    if (this.#state === 'idle') {
      // Media never started (e.g. the media server was down): answer directly as without media.
      this.#state = 'handed-over';
      return this.inner.answer(agentSdp);
    }
    const [dialog] = await this.#handOver('re-INVITE towards the agent', (d) => d.modify(agentSdp));
    this.#releaseEndpoint();
    this.#state = 'handed-over';
    return dialog;
  }

  /**
   * The agent's leg is anchored: bridge the caller's endpoint with the
   * agent's in the media server and keep both until the call ends. Resolves
   * with the caller's dialog, which releases the endpoint when it ends.
   */
  async answerAnchored(agent: CallDialog): Promise<CallDialog> {
    const agentMedia = anchoredEndpointOf(agent);
    const [dialog, ep] = await this.#handOver('bridge in the media server', async (_d, ep) => {
      if (!ep || !agentMedia) throw new Error('no endpoint to bridge');
      await bridgeEndpoints(ep, agentMedia.uuid);
      return ep;
    });
    this.#state = 'anchored';
    this.host.anchored?.(this.acdCallId, ep, this.dept.recordCalls);
    return anchoredDialog(dialog, {
      uuid: ep.uuid,
      // The caller's re-INVITE (hold, codec change) is answered by its endpoint alone.
      renegotiate: (offer) => renegotiate(ep, offer),
      release: () => {
        if (this.#state === 'anchored') this.#state = 'done';
        this.host.anchorEnded?.(this.acdCallId);
        this.#releaseEndpoint();
      },
    });
  }

  /**
   * Moves the queued caller to the agent: stops the queue's media, then
   * `connect` (re-INVITE or bridge). Throws 487 when the caller is gone
   * before or during it; on any failure the caller's dialog is ended and the
   * endpoint released.
   */
  async #handOver<T>(
    how: string,
    connect: (dialog: CallDialog, ep: MrfEndpoint | null) => Promise<T>,
  ): Promise<[CallDialog, T]> {
    await this.#answering;
    const dialog = this.#dialog;
    this.#menu?.abort();
    if ((this.#state !== 'queued' && this.#state !== 'callback-menu') || !dialog) {
      throw Object.assign(new Error('caller gone before the agent was connected'), {
        status: 487,
      });
    }
    this.#state = 'handover';
    this.#playlist.clear();
    this.#interruptAll();
    let connected: T;
    try {
      connected = await connect(dialog, this.#ep);
    } catch (err) {
      this.#state = 'done';
      void this.#work.track(dialog.end(`${how} failed`));
      this.#releaseEndpoint();
      throw err;
    }
    if (dialog.ended) {
      this.#state = 'done';
      this.#releaseEndpoint();
      throw Object.assign(new Error('caller hung up during the handover'), { status: 487 });
    }
    return [dialog, connected];
  }

  /** Resolves once the endpoint and, unless handed over, the caller's dialog are released. */
  settled(): Promise<void> {
    return this.#work.settled();
  }

  /** The SIP or media connection is gone: forget everything without sending. */
  lost(): void {
    this.#state = 'done';
    this.#playlist.clear();
    this.#recording?.close();
    if (this.#ep) this.#forgetEndpoint();
  }

  /** The state re-read after an await (another path may have changed it meanwhile). */
  #stateNow(): MediaCallerState {
    return this.#state;
  }

  #startAnswer(): void {
    this.#state = 'answering';
    this.#answering = this.#work.track(this.#answer());
  }

  async #answer(): Promise<void> {
    let ep: MrfEndpoint;
    try {
      ep = await this.host.media.createEndpoint({ remoteSdp: this.inner.sdp });
    } catch (err) {
      this.host.logger.warn(
        { err, callId: this.acdCallId },
        'media: no endpoint for the caller; ringback instead',
      );
      if (this.#state === 'answering') {
        this.#state = 'idle';
        this.inner.progress(180, 'Ringing');
      }
      if (this.#state === 'exiting') {
        this.#state = 'done';
        this.inner.reject(480, 'Temporarily Unavailable');
      }
      return;
    }
    this.#ep = ep;
    this.host.endpointOpened();
    ep.on('destroy', (e) => this.#mediaGone(e?.reason));
    ep.on('dtmf', (d) => this.#digit(d.dtmf));
    // FreeSWITCH's variable (ms): with no RTP for that long the channel hangs up with MEDIA_TIMEOUT.
    if (this.host.mediaTimeoutMs > 0) {
      this.#work.track(
        ep.set('media_timeout', String(this.host.mediaTimeoutMs)).catch((err: unknown) => {
          this.host.logger.warn({ err, callId: this.acdCallId }, 'media: media_timeout not set');
        }),
      );
    }
    if (this.#state === 'done') {
      this.#releaseEndpoint();
      return;
    }
    let dialog: CallDialog;
    try {
      dialog = await this.inner.answer(ep.local.sdp);
    } catch (err) {
      this.#releaseEndpoint();
      const cancelled = (err as { status?: number }).status === 487;
      if (!cancelled) {
        this.host.logger.warn(
          { err, callId: this.acdCallId },
          'media: answering the caller failed',
        );
      }
      this.#left(cancelled ? 'caller-hung-up' : 'media-lost');
      this.#state = 'done';
      return;
    }
    this.#dialog = dialog;
    dialog.onEnded((by) => {
      if (by !== 'remote') return;
      this.#left('caller-hung-up');
      this.#recording?.callerLeft();
    });
    dialog.onInfo?.((contentType, body) => {
      const digit = dtmfRelayDigit(contentType, body);
      if (digit !== null) this.#digit(digit);
    });
    if (this.#state === 'answering') {
      this.#state = 'queued';
      this.#playlist.first(this.dept.greeting);
      this.#loop = this.#work.track(this.#playLoop());
    } else if (this.#stateNow() === 'done') {
      void this.#work.track(dialog.end('call ended while answering'));
      this.#releaseEndpoint();
    }
    // 'exiting': #exit() waits for this answer and continues.
  }

  /** Prompts first, music in between, until the caller leaves the queue. */
  async #playLoop(): Promise<void> {
    while (this.#state === 'queued' && this.#ep) {
      const ep = this.#ep;
      const { kind, files } = this.#playlist.next(this.dept.music);
      if (files.length === 0) {
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      this.#playing = kind;
      try {
        await ep.play(files);
      } catch (err) {
        this.host.logger.warn({ err, callId: this.acdCallId, files }, 'media: playback failed');
        // A missing file must not spin: wait a moment before the next item.
        await new Promise((r) => setTimeout(r, 200));
      } finally {
        this.#playing = null;
      }
    }
  }

  #interruptMusic(): void {
    if (this.#playing === 'music') this.#break();
  }

  #interruptAll(): void {
    if (this.#playing !== null) this.#break();
  }

  #break(): void {
    const ep = this.#ep;
    if (!ep) return;
    this.#work.track(
      ep.api('uuid_break', ep.uuid).catch((err: unknown) => {
        this.host.logger.debug({ err, callId: this.acdCallId }, 'media: uuid_break failed');
      }),
    );
  }

  #digit(digit: string): void {
    if (this.#state === 'callback-menu') {
      this.#menu?.digit(digit);
      return;
    }
    if (this.#state === 'queued' && digit === this.dept.callbackKey) {
      this.#callbackMenu();
      return;
    }
    if (this.#state !== 'queued' || digit !== this.dept.exitKey) return;
    const exit = this.dept.exitKeyAction;
    this.#leaveMessage = exit.kind === 'voicemail';
    this.#left('exit-key');
    const target = exit.kind === 'forward' ? this.host.forwardTarget(exit.number) : null;
    this.#exit([], target === null ? null : `<${target}>`, 'exit key');
  }

  /** The callback key: the dialogue runs instead of the music; the caller hangs up or goes back. */
  #callbackMenu(): void {
    const ep = this.#ep;
    if (!ep || !this.host.callbackMenu) return;
    this.#state = 'callback-menu';
    this.#interruptAll();
    const menu = this.host.callbackMenu(this.dept, async (files) => {
      this.#playing = 'prompt';
      await ep.play(files).catch(() => {});
      this.#playing = null;
    });
    this.#menu = menu;
    this.#work.track(
      (async () => {
        await this.#loop;
        const result = await menu.run();
        this.#menu = null;
        if (this.#stateNow() !== 'callback-menu') return;
        if (result === 'requested') this.#left('callback');
        else {
          this.#state = 'queued';
          this.#loop = this.#work.track(this.#playLoop());
        }
      })(),
    );
  }

  /** The caller left the queue on its own (or its media did): the session hears a CANCEL. */
  #left(cause: AbandonCause): void {
    this.#menu?.abort();
    if (this.#cancelFired) return;
    if (PAST_THE_QUEUE.has(this.#state)) return;
    this.#abandonCause = cause;
    this.#cancelFired = true;
    if (cause !== 'exit-key') {
      this.#state = 'done';
      this.#playlist.clear();
      if (this.#dialog && !this.#dialog.ended) void this.#work.track(this.#dialog.end(cause));
      this.#releaseEndpoint();
    }
    this.#onCancel?.();
  }

  #mediaGone(reason: string | undefined): void {
    this.#forgetEndpoint();
    if (this.#state === 'anchored') {
      // Ending the caller's dialog: the bridge hears it and hangs up the agent.
      this.host.logger.warn({ callId: this.acdCallId, reason }, 'media: anchored endpoint ended');
      if (this.#dialog) void this.#work.track(this.#dialog.end('media ended'));
      return;
    }
    if (this.#state === 'queued' || this.#state === 'answering') {
      const timeout = (reason ?? '').includes('MEDIA_TIMEOUT');
      this.host.logger.info(
        { callId: this.acdCallId, reason },
        timeout ? 'media: no RTP from the caller; ending the call' : 'media: endpoint ended',
      );
      this.#left(timeout ? 'media-timeout' : 'media-lost');
    }
  }

  /** Plays `message`, then transfers to `referTo` (a Contact value) or hangs up. */
  #exit(message: string[], referTo: string | null, why: string): void {
    this.#menu?.abort();
    this.#state = 'exiting';
    this.#playlist.clear();
    this.#interruptAll();
    this.#work.track(
      (async () => {
        await this.#answering;
        await this.#loop;
        const ep = this.#ep;
        const dialog = this.#dialog;
        if (!dialog || dialog.ended) {
          this.#releaseEndpoint();
          this.#state = 'done';
          return;
        }
        const voicemail = this.#leaveMessage ? this.host.voicemail : null;
        const goodbye = referTo === null ? this.dept.goodbye : [];
        const files = voicemail ? message : [...message, ...goodbye];
        if (ep && files.length > 0) await this.#say(ep, files, 'exit message');
        if (voicemail && ep && !dialog.ended) {
          const { departmentId, voicemail: box } = this.dept;
          const call = { callId: this.acdCallId, departmentId, caller: this.caller, ...box };
          this.#recording = voicemail.record(ep, call);
          const outcome = await this.#recording.done;
          // A failed recording usually means the media server ended the channel: nothing to play on.
          if (outcome.kind !== 'failed' && !dialog.ended && this.#ep === ep) {
            await this.#say(ep, this.dept.goodbye, 'goodbye');
          }
        }
        if (referTo !== null && !dialog.ended && dialog.refer) {
          await dialog.refer(referTo.replace(/^<|>$/g, '')).catch((err: unknown) => {
            this.host.logger.warn({ err, callId: this.acdCallId }, 'media: REFER refused');
          });
        }
        this.#state = 'done';
        await dialog.end(why);
        this.#releaseEndpoint();
      })(),
    );
  }

  /** Plays `files`; a failure is logged and the call goes on. */
  #say(ep: MrfEndpoint, files: string[], what: string): Promise<void> {
    return ep.play(files).then(
      () => undefined,
      (err: unknown) =>
        this.host.logger.warn({ err, callId: this.acdCallId }, `media: ${what} failed`),
    );
  }

  /** The endpoint is gone without our destroy: counted as released, once. */
  #forgetEndpoint(): void {
    this.#ep = null;
    if (this.#endpointReleased) return;
    this.#endpointReleased = Promise.resolve();
    this.host.endpointReleased();
  }

  #releaseEndpoint(): void {
    const ep = this.#ep;
    if (!ep || this.#endpointReleased) return;
    this.#ep = null;
    this.#endpointReleased = this.#work.track(
      ep.destroy().then(
        () => this.host.endpointReleased(),
        (err: unknown) => {
          this.host.logger.warn({ err, callId: this.acdCallId }, 'media: endpoint destroy failed');
          this.host.endpointReleased();
        },
      ),
    );
  }
}
