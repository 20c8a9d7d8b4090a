import type {
  AgentRec,
  CallRec,
  CallState,
  CallStateName,
  EngineTimer,
} from '../routing/records.ts';

/** The only moves a call makes (diagram at `CallState`); anything else is a bug and throws. */
const ALLOWED: Readonly<Record<CallStateName, readonly CallStateName[]>> = {
  queued: ['ringing', 'ended'],
  ringing: ['queued', 'connected', 'dialing'],
  dialing: ['connected', 'awaiting-retry', 'ended'],
  'awaiting-retry': ['queued', 'ended'],
  connected: ['ended'],
  ended: [],
};

export class IllegalCallTransition extends Error {
  constructor(
    readonly callId: string,
    readonly from: CallStateName,
    readonly to: CallStateName,
  ) {
    super(`call ${callId}: illegal transition ${from} -> ${to}`);
    this.name = 'IllegalCallTransition';
  }
}

export const QUEUED: CallState = { name: 'queued' };
const RINGING: CallState = { name: 'ringing' };
const ENDED: CallState = { name: 'ended' };

export function move(call: CallRec, to: CallState): void {
  if (!ALLOWED[call.state.name].includes(to.name)) {
    throw new IllegalCallTransition(call.id, call.state.name, to.name);
  }
  call.state = to;
}

/** The first ring of the call started. */
export function callRinging(call: CallRec): void {
  if (call.state.name !== 'ringing') move(call, RINGING);
}

/** The call's last outstanding ring ended unanswered (no-op for a call that is not ringing). */
export function callRingsEnded(call: CallRec): void {
  if (call.state.name === 'ringing' && call.attempts.size === 0) move(call, QUEUED);
}

export function callConnected(
  call: CallRec,
  agent: AgentRec,
  answeredAt: number,
  durationLimit: EngineTimer | null,
): void {
  move(call, { name: 'connected', agent, answeredAt, durationLimit });
}

export function callFinished(call: CallRec): void {
  move(call, ENDED);
}
