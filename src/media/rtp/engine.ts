import type { RtpChannel, RtpEngineOptions } from './types.ts';

/** Skeleton: the API compiles; the implementation follows. */
export class RtpEngine {
  readonly #opts: RtpEngineOptions;
  constructor(opts: RtpEngineOptions) {
    this.#opts = opts;
  }
  /** Binds a free even port in the range (RTCP on the odd one above); rejects clearly when exhausted. */
  open(): Promise<RtpChannel> {
    return Promise.reject(new Error(`RTP engine on ${this.#opts.address}: not implemented yet`));
  }
  /** Channels open now (leak checks). */
  get openChannels(): number {
    return 0;
  }
  /** Closes every channel. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}
