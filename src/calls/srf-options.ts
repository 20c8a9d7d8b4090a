/**
 * `sendOptions` for the OPTIONS prober, backed by drachtio-srf's
 * `srf.request()`: an out-of-dialog OPTIONS to the registered Contact, sent
 * to the address the device registered from (srf's `proxy` option), so a
 * device behind NAT is reached through the mapping it opened.
 */
import type { ProbeTarget, SendOptions } from './options-prober.ts';

/** The part of srf's `request()` this uses (srf's typings lag its code). */
export interface SrfRequester {
  request(
    uri: string,
    opts: { method: string; headers?: Record<string, string>; proxy?: string },
    cb: (
      err: unknown,
      req: { on(event: 'response', cb: (res: { status: number }) => void): void },
    ) => void,
  ): void;
}

export interface SrfOptionsConfig {
  /** From user part (default `acd`); srf/drachtio fill in the host for `@localhost`. */
  fromUser?: string;
}

export function srfSendOptions(srf: SrfRequester, config: SrfOptionsConfig = {}): SendOptions {
  const from = `<sip:${config.fromUser ?? 'acd'}@localhost>`;
  return (target: ProbeTarget) =>
    new Promise<number>((resolve, reject) => {
      srf.request(
        target.contactUri,
        {
          method: 'OPTIONS',
          proxy: target.nextHop,
          headers: { From: from, To: `<${target.contactUri}>`, 'Max-Forwards': '70' },
        },
        (err, req) => {
          if (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
            return;
          }
          req.on('response', (res) => {
            if (res.status >= 200) resolve(res.status);
          });
        },
      );
    });
}
