/**
 * Turns the forwarding plan (which devices, with which delay)
 * into the INVITEs of a ring attempt: Request-URI, next hop, caller ID and
 * the caller's offer as our offer to the agent (the agent's answer goes back
 * to the caller unchanged: a signalling-only B2BUA).
 *
 * When the call can be anchored in the media server, a leg asks for it
 * (`request.anchor`) if the department records its calls, or if it is a
 * mobile leg whose answer must be accepted with 1; softphone legs of other
 * departments stay signalling-only.
 */
import type { AnchorRequest } from '../sip/sip.ts';
import type { ForwardingPlan, PlannedLeg } from './forwarding-plan.ts';
import { callerIdContact, callerIdFrom } from './caller-id.ts';
import type { LegSpec } from './leg.ts';
import { SESSION_EXPIRES_S } from '../sip/session-timer.ts';

export interface OfferContext {
  caller: string;
  departmentName: string;
  /** The caller's SDP offer. */
  sdp: string;
  /** How legs are anchored for this call; absent or null = plain legs. */
  anchoring?: {
    record: boolean;
    acceptQuestion: readonly string[];
    confirmTimeoutMs: number;
  } | null;
  /** Shown instead of "<caller> <department>" (callbacks). */
  displayName?: string;
}

/** Agents are offered the RFC 4028 session timer (see `sip/session-timer.ts`). */
export function legSpecs(plan: ForwardingPlan, ctx: OfferContext): LegSpec[] {
  const headers = {
    From: callerIdFrom(ctx.caller, ctx.departmentName, ctx.displayName),
    Contact: callerIdContact(ctx.caller),
    Supported: 'timer',
    'Session-Expires': String(SESSION_EXPIRES_S),
  };
  return plan.legs.map((leg, i) => {
    const spec = legSpec(leg, i, headers, ctx.sdp);
    const anchor = anchorFor(leg, ctx.anchoring ?? null);
    return anchor ? { ...spec, request: { ...spec.request, anchor } } : spec;
  });
}

function anchorFor(leg: PlannedLeg, a: OfferContext['anchoring']): AnchorRequest | null {
  if (!a) return null;
  const confirm =
    leg.kind === 'mobile' && leg.confirmAnswer
      ? { prompt: a.acceptQuestion, timeoutMs: a.confirmTimeoutMs }
      : null;
  return confirm || a.record ? { confirm } : null;
}

function legSpec(
  leg: PlannedLeg,
  index: number,
  headers: Record<string, string>,
  sdp: string,
): LegSpec {
  if (leg.kind === 'softphone') {
    return {
      id: `softphone:${index + 1}`,
      kind: 'softphone',
      device: leg.contactUri,
      delayMs: leg.delayMs,
      request: { uri: leg.requestUri, proxy: leg.nextHop, localSdp: sdp, headers },
    };
  }
  return {
    id: `mobile:${index + 1}`,
    kind: 'mobile',
    device: leg.number,
    delayMs: leg.delayMs,
    request: { uri: leg.requestUri, localSdp: sdp, headers },
  };
}
