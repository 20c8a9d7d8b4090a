import type { AcdEvent } from '../model/events.ts';
import { endWrapUp, refreshAgent, statusChanged } from './agent-book.ts';
import { agentAnswered, callArrived, callEnded, callerHungUp } from './calls.ts';
import {
  callbackNotReached,
  callbackReached,
  callbackRequested,
  callbackRestored,
} from './callbacks.ts';
import { applyConfig, validateConfig } from './config-apply.ts';
import { ringFailed } from './rings.ts';
import type { EngineState, Step } from './state.ts';

export class AcdInputError extends Error {
  override name = 'AcdInputError';
}

/** Refuses bad input before anything changes: a throw must not swallow the actions of due timers. */
export function validateEvent(s: EngineState, e: AcdEvent): void {
  if (!Number.isFinite(e.at)) {
    throw new AcdInputError(`${e.type}: 'at' must be a clock reading in ms`);
  }
  if ((e.type === 'callArrived' || e.type === 'callbackRestored') && s.calls.has(e.callId)) {
    throw new AcdInputError(`call ${e.callId} already in the engine`);
  }
  if (e.type === 'configChanged') validateConfig(s, e.changes);
}

/** Applies one (validated) event to the state; the dispatch runs after it. */
export function applyEvent(s: EngineState, step: Step, e: AcdEvent): void {
  switch (e.type) {
    case 'callArrived':
      callArrived(s, step, e.callId, e.departmentId, e.caller, e.vip === true);
      return;
    case 'callerHungUp':
      callerHungUp(s, step, e.callId);
      return;
    case 'agentAnswered':
      agentAnswered(s, step, e.attemptId);
      return;
    case 'ringFailed':
      ringFailed(s, step, e.attemptId, e.cause);
      return;
    case 'callEnded':
      callEnded(s, step, e.callId);
      return;
    case 'wrapUpEnded': {
      const a = s.agents.get(e.agentId);
      if (a && a.wrapUpUntil !== null) endWrapUp(s, step, a, 'wrap-up ended by agent');
      return;
    }
    case 'agentStatusChanged':
      statusChanged(s, step, e.agentId, e.status, e.until ?? null, e.reason ?? 'status');
      return;
    case 'agentDevicesChanged': {
      const a = s.agents.get(e.agentId);
      if (!a) return;
      a.devices = Math.max(0, e.registeredDevices);
      refreshAgent(step, a);
      return;
    }
    case 'configChanged':
      applyConfig(s, step, e.changes);
      return;
    case 'callbackRequested':
      callbackRequested(s, step, e.callId, e.number);
      return;
    case 'callbackRestored':
      callbackRestored(s, step, e);
      return;
    case 'callbackReached':
      callbackReached(s, step, e.callId);
      return;
    case 'callbackNotReached':
      callbackNotReached(s, step, e.callId);
      return;
    case 'tick':
      return;
  }
}
