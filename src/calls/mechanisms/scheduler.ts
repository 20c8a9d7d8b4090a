/**
 * Time for call control, injected so the state machines can be driven by a
 * manual clock in tests (no sleeps) and by the real clock in the app.
 */
export interface Scheduler {
  /** Clock reading, epoch ms. */
  now(): number;
  /** Runs `fn` after `ms`; the returned function cancels it (safe to call twice, or after it ran). */
  schedule(ms: number, fn: () => void): () => void;
}

export const realScheduler: Scheduler = {
  now: () => Date.now(),
  schedule(ms, fn) {
    const t = setTimeout(fn, Math.max(0, ms));
    // A pending ring or delay timer must not keep a stopping process alive.
    t.unref?.();
    return () => clearTimeout(t);
  },
};
