/**
 * What the two stand-alone servers' command lines share
 * (`npm run sip-server`, `npm run media-server`).
 */

/** `host:port` (IPv6 in brackets); `what` names the option in the error. */
export function hostPort(value: string, what: string): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(value.trim());
  const port = m ? Number(m[2]) : Number.NaN;
  if (!m?.[1] || !(port >= 0 && port <= 65535)) {
    throw new Error(`${what}: expected host:port, got "${value}"`);
  }
  return { host: m[1], port };
}

/** Closes `server` on SIGINT or SIGTERM, then exits 0 (1 when closing failed). */
export function closeOnSignal(
  server: { close(): Promise<unknown> },
  logger: { info(msg: string): void },
): void {
  const stop = (): void => {
    logger.info('shutting down');
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** Runs `main`; an error (a bad option, a busy port) is printed as `<name>: <message>` with exit 1. */
export function runCli(name: string, main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    process.stderr.write(`${name}: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
