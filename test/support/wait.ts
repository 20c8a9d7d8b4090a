/** Polling waits for the end-to-end tests. */

/**
 * `until(what, check, ms?)`: resolves once `check` holds, polling every
 * 50 ms; after `ms` (default `defaultMs`) it throws naming `what`.
 */
export function untilWithin(defaultMs: number) {
  return async function until(
    what: string,
    check: () => boolean | Promise<boolean>,
    ms = defaultMs,
  ): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
}
