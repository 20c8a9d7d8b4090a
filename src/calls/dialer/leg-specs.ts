/**
 * Turns the forwarding plan (which devices, with which delay)
 * into the INVITEs of a ring attempt: Request-URI, next hop, caller ID and
 * the caller's offer as our offer to the agent (the agent's answer goes back
 * to the caller unchanged: a signalling-only B2BUA).
 */
import type { ForwardingPlan, PlannedLeg } from './forwarding-plan.ts';
import { callerIdContact, callerIdFrom } from './caller-id.ts';
import type { LegSpec } from './leg.ts';

export interface OfferContext {
  caller: string;
  departmentName: string;
  /** The caller's SDP offer. */
  sdp: string;
  /** Shown instead of "<caller> <department>" (callbacks). */
  displayName?: string;
}

/**
 * RFC 4028 session timer offered to agents (the recommended 30 minutes).
 * Where the agent's phone agrees, its 2xx names a refresher: the SIP server
 * refreshes the session itself (or watches the phone's refreshes), and a
 * refresh that fails ends the call, so an agent whose line is gone without
 * a BYE does not stay "on a call" until the department's maximum duration.
 */
const SESSION_EXPIRES_S = 1800;

export function legSpecs(plan: ForwardingPlan, ctx: OfferContext): LegSpec[] {
  const headers = {
    From: callerIdFrom(ctx.caller, ctx.departmentName, ctx.displayName),
    Contact: callerIdContact(ctx.caller),
    Supported: 'timer',
    'Session-Expires': String(SESSION_EXPIRES_S),
  };
  return plan.legs.map((leg, i) => legSpec(leg, i, headers, ctx.sdp));
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
