/**
 * `sendOptions` for the OPTIONS prober, backed by drachtio-srf's
 * `srf.request()`: an out-of-dialog OPTIONS to the registered Contact, sent
 * to the address the device registered from (srf's `proxy` option), so a
 * device behind NAT is reached through the mapping it opened.
 */
import type { ProbeAnswer, ProbeTarget, SendOptions } from '../reachability/options-prober.ts';

/** The part of srf's `request()` this uses (srf's typings lag its code). */
export interface SrfRequester {
  request(
    uri: string,
    opts: { method: string; headers?: Record<string, string>; proxy?: string },
    cb: (
      err: unknown,
      req: { on(event: 'response', cb: (res: SrfResponse) => void): void },
    ) => void,
  ): void;
}

/**
 * A response as srf hands it over: a response the SIP server generated itself
 * (drachtio-server's 503 for ICMP port unreachable, its 408) has no source
 * address and port 0.
 */
interface SrfResponse {
  status: number;
  source_address?: string;
  source_port?: number | string;
}

export interface SrfOptionsConfig {
  /** From user part (default `acd`); srf/drachtio fill in the host for `@localhost`. */
  fromUser?: string;
}

export function srfSendOptions(srf: SrfRequester, config: SrfOptionsConfig = {}): SendOptions {
  const from = `<sip:${config.fromUser ?? 'acd'}@localhost>`;
  return (target: ProbeTarget) =>
    new Promise<ProbeAnswer>((resolve, reject) => {
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
            if (res.status < 200) return;
            const local = !res.source_address || Number(res.source_port ?? 0) === 0;
            resolve({ status: res.status, local });
          });
        },
      );
    });
}
