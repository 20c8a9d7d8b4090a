import type { InboundCall } from '../sip/sip.ts';

/**
 * What a wrapper of the caller's `InboundCall` passes through unchanged: the
 * INVITE's address, Call-ID, offer, source and headers. The wrapper adds
 * the rest of `InboundCall` (answer, progress, reject, onCancel).
 */
export abstract class InboundCallView {
  constructor(protected readonly inner: InboundCall) {}

  get uri(): string {
    return this.inner.uri;
  }
  get callId(): string {
    return this.inner.callId;
  }
  get sdp(): string {
    return this.inner.sdp;
  }
  get sourceAddress(): string {
    return this.inner.sourceAddress;
  }
  get sourcePort(): number {
    return this.inner.sourcePort;
  }
  header(name: string): string | undefined {
    return this.inner.header(name);
  }
}
