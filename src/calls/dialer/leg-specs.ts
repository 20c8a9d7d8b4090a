/**
 * Turns the forwarding plan (which devices, with which delay)
 * into the INVITEs of a ring attempt: Request-URI, next hop, caller ID and
 * the caller's offer as our offer to the agent (the agent's answer goes back
 * to the caller unchanged: a signalling-only B2BUA).
 */
import type { ForwardingPlan, PlannedLeg } from '../forwarding-plan.ts';
import { callerIdFrom } from './caller-id.ts';
import type { LegSpec } from './leg.ts';

export interface OfferContext {
  caller: string;
  departmentName: string;
  /** The caller's SDP offer. */
  sdp: string;
}

export function legSpecs(plan: ForwardingPlan, ctx: OfferContext): LegSpec[] {
  const from = callerIdFrom(ctx.caller, ctx.departmentName);
  return plan.legs.map((leg, i) => legSpec(leg, i, from, ctx.sdp));
}

function legSpec(leg: PlannedLeg, index: number, from: string, sdp: string): LegSpec {
  const headers = { From: from, Contact: from.replace(/^"[^"]*"\s*/, '') };
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
