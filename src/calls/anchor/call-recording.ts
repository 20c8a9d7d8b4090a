/**
 * Recording of anchored calls, call side. While a call is anchored (caller's
 * endpoint A bridged with the agent's B in the media server), A's channel is
 * recorded in stereo as FreeSWITCH does it: `RECORD_STEREO=true` on the
 * channel, then `uuid_record <A> start <file>`; what A receives (the caller)
 * is the left channel, what it sends to the caller (the agent) the right.
 * Stopped by `uuid_record <A> stop <file>` or by the end of the call; each
 * finished recording is reported once to the `CallRecordings` port.
 *
 * Per call:
 *
 * ```
 *   off ──start()──▶ on ──stop() / call ended──▶ off (saved)
 * ```
 *
 * Commands for one call run one after the other (a start and a stop racing
 * from the API cannot interleave on the media server). A call that is not
 * anchored (connected by re-INVITE, still queued, or ended) cannot be
 * recorded here: `start`/`stop` reject with `NotAnchoredError`. A call
 * connected by re-INVITE is anchored first when the API asks to record it
 * (on-demand-anchor.ts), and from then on is recorded like any other.
 */
import type { CallRecordings, Logger } from '../ports/index.ts';
import { apiReplyText } from './anchor-endpoint.ts';

/** The caller's endpoint as recording uses it (an fsmrf Endpoint satisfies it). */
export interface RecordableEndpoint {
  readonly uuid: string;
  set(name: string, value: string): Promise<unknown>;
  api(command: string, args: string | string[]): Promise<unknown>;
}

export class NotAnchoredError extends Error {
  override name = 'NotAnchoredError';
  readonly code = 'not-anchored';
  constructor(readonly callId: string) {
    super(
      `call ${callId} is not anchored in the media server (not connected, connected by re-INVITE, or ended): it cannot be recorded`,
    );
  }
}

export class RecordingUnavailableError extends Error {
  override name = 'RecordingUnavailableError';
  readonly code = 'recording-unavailable';
}

/** Start and stop recording one call (the API's per-call control). */
export interface CallRecordingControl {
  start(callId: string): Promise<void>;
  stop(callId: string): Promise<void>;
  isRecording(callId: string): boolean;
  /** The call's media passes through the media server (it can be recorded). */
  isAnchored(callId: string): boolean;
}

type Recording = { kind: 'off' } | { kind: 'on'; path: string; startedAt: number };

interface AnchoredCall {
  endpoint: RecordableEndpoint;
  recording: Recording;
  /** The last command for this call; the next one waits for it. */
  queue: Promise<void>;
}

export class AnchoredCalls implements CallRecordingControl {
  readonly #calls = new Map<string, AnchoredCall>();

  constructor(
    private readonly recordings: CallRecordings | null,
    private readonly now: () => number,
    private readonly logger: Logger,
  ) {}

  /** Calls anchored now. */
  get size(): number {
    return this.#calls.size;
  }

  isRecording(callId: string): boolean {
    return this.#calls.get(callId)?.recording.kind === 'on';
  }

  isAnchored(callId: string): boolean {
    return this.#calls.has(callId);
  }

  /** The call was bridged in the media server; `record` starts recording at once. */
  anchored(callId: string, endpoint: RecordableEndpoint, record: boolean): void {
    this.#calls.set(callId, { endpoint, recording: { kind: 'off' }, queue: Promise.resolve() });
    if (record) {
      this.start(callId).catch((err: unknown) => {
        // The call goes on unrecorded: losing a recording must not lose the call.
        this.logger.error({ err, callId }, 'recording: could not start; the call goes on');
      });
    }
  }

  /** The call's anchor is gone (either side hung up): a running recording is complete. */
  ended(callId: string): void {
    const call = this.#calls.get(callId);
    if (!call) return;
    this.#calls.delete(callId);
    void call.queue.then(() => this.#saved(callId, call));
  }

  start(callId: string): Promise<void> {
    return this.#run(callId, async (call) => {
      if (call.recording.kind === 'on') return;
      if (!this.recordings) throw new RecordingUnavailableError('no recording store is configured');
      const path = this.recordings.fileFor(callId);
      await call.endpoint.set('RECORD_STEREO', 'true');
      const reply = apiReplyText(
        await call.endpoint.api('uuid_record', [call.endpoint.uuid, 'start', path]),
      );
      if (!reply.startsWith('+OK')) {
        throw new RecordingUnavailableError(`the media server refused to record: ${reply.trim()}`);
      }
      call.recording = { kind: 'on', path, startedAt: this.now() };
      this.logger.info({ callId }, 'recording started');
    });
  }

  stop(callId: string): Promise<void> {
    return this.#run(callId, async (call) => {
      if (call.recording.kind !== 'on') return;
      const { path } = call.recording;
      const reply = apiReplyText(
        await call.endpoint.api('uuid_record', [call.endpoint.uuid, 'stop', path]),
      );
      if (!reply.startsWith('+OK')) {
        this.logger.warn({ callId, reply: reply.trim() }, 'recording: stop refused');
      }
      this.#saved(callId, call);
    });
  }

  #run(callId: string, op: (call: AnchoredCall) => Promise<void>): Promise<void> {
    const call = this.#calls.get(callId);
    if (!call) return Promise.reject(new NotAnchoredError(callId));
    const next = call.queue.then(() => {
      // The call may have ended while an earlier command ran.
      if (this.#calls.get(callId) !== call) throw new NotAnchoredError(callId);
      return op(call);
    });
    call.queue = next.catch(() => {});
    return next;
  }

  /** Reports a running recording once and marks it off. */
  #saved(callId: string, call: AnchoredCall): void {
    const rec = call.recording;
    if (rec.kind !== 'on') return;
    call.recording = { kind: 'off' };
    this.recordings?.saved({
      callId,
      path: rec.path,
      startedAt: rec.startedAt,
      endedAt: this.now(),
    });
  }
}
