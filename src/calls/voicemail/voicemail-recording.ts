/**
 * One caller leaving a voicemail on a media endpoint:
 *
 * ```
 *   prompting ─prompt and beep played─▶ recording ─#, limit, hang-up, break─▶ checking ─▶ done
 *       └──────── caller hung up / endpoint gone ──────────────────────────────────────▶ done
 * ```
 *
 * The media server writes the file (`record <path> <limit>` with `#` as the
 * terminator); this object decides what the file is worth: missing or not a
 * WAV (the media server could not write it) is a failure, silence shorter
 * than `MIN_SPOKEN_MS` is an abandoned message, anything else is a voicemail.
 * A dropped or failed file is deleted, so no half-written file is kept.
 *
 * It owns one deadline: the cap timer, a safety net in case the media server
 * does not honour the time limit; it is cleared on every way out. The
 * endpoint and the caller's dialog stay with the media caller.
 */
import { open, unlink } from 'node:fs/promises';
import type { Logger } from '../ports/index.ts';
import { onlySilence, wavFacts } from './wav-file.ts';

/** The part of a drachtio-fsmrf endpoint a voicemail uses (fsmrf's Endpoint has it). */
export interface VoicemailEndpoint {
  readonly uuid: string;
  play(file: string | string[]): Promise<unknown>;
  set(name: string, value: string): Promise<unknown>;
  api(command: string, args: string | string[]): Promise<unknown>;
  record(file: string, opts: { timeLimitSecs: number }): Promise<unknown>;
  on(event: 'destroy', cb: (e?: { reason?: string }) => void): unknown;
}

/** Who left the message, where, and what the department asks for. */
export interface VoicemailCall {
  callId: string;
  departmentId: string;
  caller: string;
  /** Voicemail prompt and beep, as the media server's paths. */
  prompt: string[];
  maxS: number;
}

/** The facts of a kept message, as stored. */
export interface VoicemailRow {
  id: string;
  callId: string;
  departmentId: string;
  caller: string;
  startedAt: Date;
  endedAt: Date;
  durationMs: number;
  path: string;
}

export type VoicemailOutcome =
  | { kind: 'recorded'; row: VoicemailRow }
  | { kind: 'abandoned'; reason: 'hung-up-before-tone' | 'shutdown' | 'silence' }
  | { kind: 'failed'; error: string };

export type VoicemailState = 'prompting' | 'recording' | 'checking' | 'done';

/** Shorter than this and only silence: nobody spoke, the message is dropped. */
export const MIN_SPOKEN_MS = 2000;

/** The cap timer fires this long after the media server's own limit should have. */
const CAP_GRACE_MS = 3000;

/** How long a recording may take to settle after its channel ended (file closed, renamed). */
const RECORD_SETTLE_MS = 2000;

/** Hang-up causes with which the media server says it could not record (FreeSWITCH and ours). */
const RECORD_FAILURE_CAUSES = new Set(['NORMAL_TEMPORARY_FAILURE', 'DESTINATION_OUT_OF_ORDER']);

export interface RecordingDeps {
  logger: Logger;
  now(): number;
  /** Makes the folder ready before the media server writes into it (failures are logged). */
  beforeRecord?(): Promise<void>;
}

export class VoicemailRecording {
  #state: VoicemailState = 'prompting';
  #capTimer: NodeJS.Timeout | null = null;
  /** The media server's hang-up cause once the endpoint is gone. */
  #endpointGone: string | null = null;
  #callerLeft = false;
  /** Shutdown: end now, keep what was recorded, start nothing new. */
  #closing = false;
  #signalEndpointGone!: () => void;
  /** fsmrf's execute never settles once the channel is gone: the endpoint's end counts as the end. */
  readonly #endpointEnded = new Promise<void>((resolve) => {
    this.#signalEndpointGone = resolve;
  });
  readonly done: Promise<VoicemailOutcome>;

  constructor(
    private readonly ep: VoicemailEndpoint,
    private readonly call: VoicemailCall,
    /** Where the media server writes the file (a path it and this app can both reach). */
    readonly path: string,
    readonly id: string,
    private readonly deps: RecordingDeps,
  ) {
    ep.on('destroy', (e) => {
      this.#endpointGone = e?.reason ?? 'ended';
      this.#signalEndpointGone();
    });
    this.done = this.#run().finally(() => {
      this.#clearCap();
      this.#state = 'done';
    });
  }

  get state(): VoicemailState {
    return this.#state;
  }

  /** The caller hung up: stop prompting or recording (what was recorded is kept). */
  callerLeft(): void {
    this.#callerLeft = true;
    this.stop();
  }

  /** Shutdown: the prompt or recording ends now; what was recorded is kept. */
  close(): void {
    this.#closing = true;
    this.stop();
  }

  /** Ends the prompt or the recording now (caller gone, shutdown, cap passed). */
  stop(): void {
    if (this.#state !== 'prompting' && this.#state !== 'recording') return;
    if (this.#endpointGone !== null) return;
    this.ep.api('uuid_break', this.ep.uuid).catch((err: unknown) => {
      this.deps.logger.debug({ err, callId: this.call.callId }, 'voicemail: uuid_break failed');
    });
  }

  /** Whether the caller or the endpoint is gone, or the app closing (re-read after every await). */
  #over(): boolean {
    return this.#callerLeft || this.#closing || this.#endpointGone !== null;
  }

  #beforeTone(): VoicemailOutcome {
    const shutdown = this.#closing && !this.#callerLeft && this.#endpointGone === null;
    return { kind: 'abandoned', reason: shutdown ? 'shutdown' : 'hung-up-before-tone' };
  }

  async #run(): Promise<VoicemailOutcome> {
    const { ep, call, deps } = this;
    await Promise.race([
      ep.play(call.prompt).catch((err: unknown) => {
        // A department folder without the voicemail prompt still records: a message beats none.
        deps.logger.warn({ err, callId: call.callId }, 'voicemail: prompt not played');
      }),
      this.#endpointEnded,
    ]);
    if (this.#over()) return this.#beforeTone();
    await deps.beforeRecord?.();
    // Sticky on the channel; FreeSWITCH images set `none`, which would make `#` do nothing.
    await Promise.race([
      ep.set('playback_terminators', '#').catch((err: unknown) => {
        deps.logger.warn({ err, callId: call.callId }, 'voicemail: # terminator not set');
      }),
      this.#endpointEnded,
    ]);
    if (this.#over()) return this.#beforeTone();
    this.#state = 'recording';
    const startedAt = deps.now();
    this.#capTimer = setTimeout(
      () => {
        this.#capTimer = null;
        deps.logger.warn(
          { callId: call.callId },
          'voicemail: limit passed; stopping the recording',
        );
        this.stop();
      },
      call.maxS * 1000 + CAP_GRACE_MS,
    );
    let error: string | null = null;
    const recorded = ep.record(this.path, { timeLimitSecs: call.maxS }).then(
      () => undefined,
      (err: unknown) => {
        error = err instanceof Error ? err.message : String(err);
      },
    );
    await Promise.race([recorded, this.#endpointEnded]);
    // The channel ended first: the media server may still be closing the file.
    if (this.#endpointGone !== null) await within(recorded, RECORD_SETTLE_MS);
    this.#clearCap();
    const endedAt = deps.now();
    this.#state = 'checking';
    if (this.#endpointGone !== null && RECORD_FAILURE_CAUSES.has(this.#endpointGone)) {
      error ??= `media server ended the channel (${this.#endpointGone})`;
    }
    return this.#judge(error, startedAt, endedAt);
  }

  async #judge(
    error: string | null,
    startedAt: number,
    endedAt: number,
  ): Promise<VoicemailOutcome> {
    const { call } = this;
    const facts = error === null ? await readFacts(this.path) : null;
    if (error !== null || facts === null) {
      await unlink(this.path).catch(() => undefined);
      return { kind: 'failed', error: error ?? 'the recording is missing or not a WAV file' };
    }
    if (facts.durationMs < MIN_SPOKEN_MS && facts.silent) {
      await unlink(this.path).catch(() => undefined);
      return { kind: 'abandoned', reason: 'silence' };
    }
    return {
      kind: 'recorded',
      row: {
        id: this.id,
        callId: call.callId,
        departmentId: call.departmentId,
        caller: call.caller,
        startedAt: new Date(startedAt),
        endedAt: new Date(Math.max(endedAt, startedAt)),
        durationMs: facts.durationMs,
        path: this.path,
      },
    };
  }

  #clearCap(): void {
    if (this.#capTimer) clearTimeout(this.#capTimer);
    this.#capTimer = null;
  }
}

/** Bytes read to check a short recording for silence: 2 s of 8 kHz 16-bit mono and a header. */
const SHORT_READ_BYTES = 64 * 1024;

/** Duration and (for short files) silence of the WAV at `file`; null when missing or not a WAV. */
async function readFacts(file: string): Promise<{ durationMs: number; silent: boolean } | null> {
  let handle: Awaited<ReturnType<typeof open>> | null = null;
  try {
    handle = await open(file, 'r');
    const size = (await handle.stat()).size;
    const head = Buffer.alloc(Math.min(size, SHORT_READ_BYTES));
    await handle.read(head, 0, head.length, 0);
    const facts = wavFacts(head, size);
    if (!facts) return null;
    if (facts.durationMs >= MIN_SPOKEN_MS) return { durationMs: facts.durationMs, silent: false };
    const samples = head.subarray(facts.dataOffset, facts.dataOffset + facts.dataBytes);
    return { durationMs: facts.durationMs, silent: onlySilence(samples, facts.sampleRate) };
  } catch {
    return null;
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** Waits for `p`, at most `ms`. */
async function within(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
