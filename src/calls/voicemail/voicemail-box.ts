/**
 * The voicemail box: where callers' messages go. It starts one
 * `VoicemailRecording` per caller sent to a `voicemail` exit, names its file
 * (`<dir>/<id>.wav`), and when the recording is judged stores the kept
 * message, writes the call's voicemail line in the call log and publishes
 * `voicemail.recorded`. Dropped and failed messages are logged, never listed.
 *
 * A voicemail's lines are written here rather than by the call recorder:
 * the engine has completed the call before the caller starts speaking, so
 * they follow the call's end and link to it by its id.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../ports/index.ts';
import type { CallEventPublisher, CallLogSink } from '../recorder/call-events.ts';
import {
  type VoicemailCall,
  type VoicemailEndpoint,
  type VoicemailOutcome,
  VoicemailRecording,
  type VoicemailRow,
} from './voicemail-recording.ts';

/** Where kept messages are listed (the store's voicemails in the app). */
export interface VoicemailStorePort {
  add(row: VoicemailRow): Promise<void>;
}

export interface VoicemailBoxOptions {
  /** The folder the media server writes recordings to; the app reads the same path. */
  dir: string;
  store: VoicemailStorePort;
  callLog: CallLogSink;
  publisher: CallEventPublisher;
  logger: Logger;
  now?: () => number;
  newId?: () => string;
}

export class VoicemailBox {
  readonly #o: VoicemailBoxOptions;
  readonly #active = new Set<VoicemailRecording>();
  readonly #finishing = new Set<Promise<void>>();
  /** Shutting down: messages end at once, new ones are not recorded. */
  #closing = false;
  /** The folder, created with the first message (tried again after a failure). */
  #dirReady: Promise<void> | null = null;

  constructor(options: VoicemailBoxOptions) {
    this.#o = options;
  }

  /** Recordings under way (prompt, recording or being checked). */
  get active(): number {
    return this.#active.size;
  }

  /** Starts a caller's message on `ep`; `done` settles once it is stored, dropped or failed. */
  record(ep: VoicemailEndpoint, call: VoicemailCall): VoicemailRecording {
    const id = this.#o.newId?.() ?? crypto.randomUUID();
    const file = path.join(this.#o.dir, `${id}.wav`);
    const recording = new VoicemailRecording(ep, call, file, id, {
      logger: this.#o.logger,
      now: this.#o.now ?? Date.now,
      beforeRecord: () => this.#ensureDir(),
    });
    this.#active.add(recording);
    if (this.#closing) recording.close();
    const finished = recording.done
      .then((outcome) => this.#settle(call, outcome))
      .catch((err: unknown) => {
        this.#o.logger.error({ err, callId: call.callId }, 'voicemail: could not be completed');
      })
      .finally(() => {
        this.#active.delete(recording);
        this.#finishing.delete(finished);
      });
    this.#finishing.add(finished);
    return recording;
  }

  /**
   * Creates the folder on this host (the embedded media server's; with
   * FreeSWITCH the shared volume). When it cannot be, the recording goes on
   * and fails there, with the media server's error.
   */
  #ensureDir(): Promise<void> {
    this.#dirReady ??= mkdir(this.#o.dir, { recursive: true }).then(
      () => undefined,
      (err: unknown) => {
        this.#dirReady = null;
        this.#o.logger.error({ err, dir: this.#o.dir }, 'voicemail: folder cannot be created');
      },
    );
    return this.#dirReady;
  }

  /** Shutdown: every recording ends now and keeps what it has; later ones end before the beep. */
  stopAll(): void {
    this.#closing = true;
    for (const r of this.#active) r.close();
  }

  /** Resolves when every recording is stored, dropped or failed. */
  async settled(): Promise<void> {
    while (this.#finishing.size > 0) await Promise.all([...this.#finishing]);
  }

  async #settle(call: VoicemailCall, outcome: VoicemailOutcome): Promise<void> {
    const { logger } = this.#o;
    const ids = { callId: call.callId, departmentId: call.departmentId };
    if (outcome.kind === 'failed') {
      logger.error({ ...ids, error: outcome.error }, 'voicemail: recording failed; nothing kept');
      this.#line('voicemail.failed', call, { error: outcome.error.slice(0, 200) });
      return;
    }
    if (outcome.kind === 'abandoned') {
      logger.info({ ...ids, reason: outcome.reason }, 'voicemail: abandoned; nothing kept');
      this.#line('voicemail.abandoned', call, { reason: outcome.reason });
      return;
    }
    const row = outcome.row;
    try {
      await this.#o.store.add(row);
    } catch (err) {
      // The file stays where it is, named in the log, so the message can still be recovered.
      logger.error({ ...ids, err, path: row.path }, 'voicemail: recorded but not stored');
      this.#line('voicemail.failed', call, { error: 'not stored' });
      return;
    }
    logger.info({ ...ids, voicemailId: row.id, durationMs: row.durationMs }, 'voicemail: recorded');
    this.#line('voicemail.recorded', call, { voicemailId: row.id, durationMs: row.durationMs });
    this.#o.publisher.publish('voicemail.recorded', {
      voicemailId: row.id,
      callId: row.callId,
      departmentId: row.departmentId,
      caller: row.caller,
      durationMs: row.durationMs,
      startedAt: row.startedAt.toISOString(),
    });
  }

  #line(type: string, call: VoicemailCall, payload: Record<string, string | number>): void {
    try {
      this.#o.callLog.append({
        type,
        at: new Date((this.#o.now ?? Date.now)()),
        callId: call.callId,
        departmentId: call.departmentId,
        payload,
      });
    } catch (err) {
      this.#o.logger.error({ err, type }, 'call log sink failed');
    }
  }
}
