/** Public surface of the SIP message layer: model, parser, headers, serializer, framing, validation. */
export type { SipHeader, SipMessage, SipRequest, SipResponse } from './message.ts';
export * from './headers.ts';
export * from './parse.ts';
export * from './serialize.ts';
export * from './stream.ts';
export * from './validate.ts';
export * from './triage.ts';
export * from './stamp.ts';
export * from './edit.ts';
