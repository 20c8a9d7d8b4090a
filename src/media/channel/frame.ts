/**
 * One running application on a channel ("frame" of its application stack).
 *
 * FreeSWITCH runs a `sendmsg execute` that arrives while another application
 * runs inside that application: the outer one pauses, the inner one runs to
 * completion, then the outer resumes. A frame models that: its media
 * operation is aborted with the cause `preempt` when an inner frame starts and
 * restarted (from the beginning of the current item) when the inner frame
 * ends. Other causes end the operation for good.
 */

export type StopCause = 'break' | 'hangup' | 'preempt' | 'terminator' | 'timeout' | 'digit';

export class Frame {
  private current: AbortController | undefined;
  /** A recording keeps running under an inner application (it does not share the player). */
  private currentPreemptible = true;
  private pendingStop: StopCause | undefined;
  private resume: (() => void) | undefined;
  private paused: Promise<void> | undefined;
  /** Set once the channel hangs up: every loop in an application checks it. */
  hungUp = false;
  /** Receives DTMF while this frame is the innermost one. */
  digitSink: ((digit: string) => void) | undefined;
  /** Resolves when the application has returned and its completion was sent. */
  readonly done: Promise<void>;
  private markDone!: () => void;

  constructor(
    readonly app: string,
    readonly arg: string,
    readonly applicationUuid: string,
  ) {
    this.done = new Promise((r) => {
      this.markDone = r;
    });
  }

  finished(): void {
    this.markDone();
  }

  /**
   * Runs a media operation with an abort signal; after a preemption waits for
   * the inner frame and runs it again. Returns the cause that ended it, if any.
   */
  async media<T>(
    op: (signal: AbortSignal) => Promise<T>,
    opts: { preemptible?: boolean } = {},
  ): Promise<{ value: T; cause?: StopCause }> {
    for (;;) {
      if (this.paused) await this.paused;
      const pending = this.pendingStop;
      if (pending !== undefined) {
        // A stop that arrived between two operations ends the next one at once.
        this.pendingStop = undefined;
        return { value: undefined as T, cause: pending };
      }
      const ctl = new AbortController();
      this.current = ctl;
      this.currentPreemptible = opts.preemptible ?? true;
      let value: T;
      try {
        value = await op(ctl.signal);
      } finally {
        if (this.current === ctl) this.current = undefined;
      }
      const cause = ctl.signal.aborted ? (ctl.signal.reason as StopCause) : undefined;
      if (cause === 'preempt' && !this.hungUp) continue;
      return cause === undefined ? { value } : { value, cause };
    }
  }

  /** Waits (a pause point for non-media loops such as digit timeouts). */
  async wait(ms: number): Promise<StopCause | undefined> {
    const r = await this.media(
      (signal) =>
        new Promise<void>((resolve) => {
          const t = setTimeout(resolve, ms);
          signal.addEventListener(
            'abort',
            () => {
              clearTimeout(t);
              resolve();
            },
            { once: true },
          );
        }),
    );
    return r.cause;
  }

  stop(cause: Exclude<StopCause, 'preempt'>): void {
    if (cause === 'hangup') {
      this.hungUp = true;
      this.unpause();
    }
    if (this.current) this.current.abort(cause);
    else this.pendingStop = cause;
  }

  /** Forgets a stop that arrived while no operation ran. */
  clearPending(): void {
    if (this.pendingStop !== 'hangup') this.pendingStop = undefined;
  }

  pause(): void {
    if (!this.paused) {
      this.paused = new Promise((r) => {
        this.resume = r;
      });
    }
    if (this.currentPreemptible) this.current?.abort('preempt');
  }

  unpause(): void {
    const r = this.resume;
    this.paused = undefined;
    this.resume = undefined;
    r?.();
  }
}
