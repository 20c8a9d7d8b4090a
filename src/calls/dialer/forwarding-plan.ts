/**
 * Which legs to ring for an agent, and when (pure).
 *
 *   softphone               every reachable registered contact at once
 *   mobile                  the mobile number through the outbound trunk
 *   both                    softphones and mobile at once
 *   softphone-then-mobile   softphones at once, the mobile after `mobileDelayMs`;
 *                           with no reachable softphone the mobile rings at once
 *                           (waiting would only delay the caller)
 *
 * A mobile leg needs a number, a configured trunk and a match in the admin's
 * allow-list; otherwise it is left out and the reason is reported in `skipped`
 * (for the routing explanation and the call log).
 */
import type { ForwardingMode } from '../../acd/index.ts';
import type { MobileAllowList } from './mobile-allow-list.ts';
import type { RegistrationBinding } from '../ports/index.ts';

export interface ForwardingInput {
  mode: ForwardingMode;
  /** The agent's bindings (expired ones are ignored). */
  contacts: readonly RegistrationBinding[];
  /** Contacts that stopped answering OPTIONS; not rung. */
  isUnreachable: (contactUri: string) => boolean;
  mobileNumber: string | null;
  /** A mobile answer counts only once accepted with 1 (absent = true). */
  confirmMobileAnswer?: boolean;
  allowList: MobileAllowList;
  /** SIP URI of the outbound trunk, e.g. `sip:trunk.example.net;transport=tcp`; null = none. */
  trunkUri: string | null;
  /** Delay before the mobile rings in softphone-then-mobile mode. */
  mobileDelayMs: number;
  now: number;
}

export interface SoftphoneLeg {
  kind: 'softphone';
  /** Request-URI: the registered Contact. */
  requestUri: string;
  /**
   * Where to send it: the address the REGISTER came from, so a device behind
   * NAT is reached through the mapping it opened (RFC 5626-style "flow").
   */
  nextHop: string;
  contactUri: string;
  delayMs: number;
}

export interface MobileLeg {
  kind: 'mobile';
  requestUri: string;
  number: string;
  delayMs: number;
  /** Whoever answers must press 1 before the caller is connected (human-answer check). */
  confirmAnswer: boolean;
}

export type PlannedLeg = SoftphoneLeg | MobileLeg;

export type SkipReason =
  | 'no-registered-device'
  | 'device-unreachable'
  | 'no-mobile-number'
  | 'no-trunk'
  | 'mobile-not-allowed';

export interface ForwardingPlan {
  legs: PlannedLeg[];
  skipped: { target: string; reason: SkipReason }[];
}

export function planForwarding(input: ForwardingInput): ForwardingPlan {
  const legs: PlannedLeg[] = [];
  const skipped: ForwardingPlan['skipped'] = [];
  const wantsSoftphone = input.mode !== 'mobile';
  const wantsMobile = input.mode !== 'softphone';

  if (wantsSoftphone) {
    const seen = new Set<string>();
    // Most recently refreshed first: the likeliest to be the device in use.
    const live = input.contacts
      .filter((b) => b.expiresAt > input.now)
      .sort((a, b) => b.updatedAt - a.updatedAt);
    for (const b of live) {
      if (seen.has(b.contactUri)) continue;
      seen.add(b.contactUri);
      if (input.isUnreachable(b.contactUri)) {
        skipped.push({ target: b.contactUri, reason: 'device-unreachable' });
        continue;
      }
      legs.push({
        kind: 'softphone',
        requestUri: b.contactUri,
        nextHop: bindingNextHop(b),
        contactUri: b.contactUri,
        delayMs: 0,
      });
    }
    if (live.length === 0) skipped.push({ target: 'softphone', reason: 'no-registered-device' });
  }

  if (wantsMobile) {
    const number = input.mobileNumber;
    if (number === null || number === '') {
      skipped.push({ target: 'mobile', reason: 'no-mobile-number' });
    } else if (input.trunkUri === null) {
      skipped.push({ target: number, reason: 'no-trunk' });
    } else if (!input.allowList.allows(number)) {
      skipped.push({ target: number, reason: 'mobile-not-allowed' });
    } else {
      const softphonesRing = legs.length > 0;
      const delayMs =
        input.mode === 'softphone-then-mobile' && softphonesRing
          ? Math.max(0, input.mobileDelayMs)
          : 0;
      legs.push({
        kind: 'mobile',
        requestUri: trunkTarget(input.trunkUri, number),
        number,
        delayMs,
        confirmAnswer: input.confirmMobileAnswer ?? true,
      });
    }
  }
  return { legs, skipped };
}

/**
 * Where to send requests for a binding: the address and transport its
 * REGISTER came from (srf's `proxy` option), so NATed devices are reachable.
 */
export function bindingNextHop(b: RegistrationBinding): string {
  const host = b.sourceAddress.includes(':') ? `[${b.sourceAddress}]` : b.sourceAddress;
  const transport = b.transport === 'ws' || b.transport === 'wss' ? 'tcp' : b.transport;
  return `sip:${host}:${b.sourcePort};transport=${transport}`;
}

/** `sip:trunk.example.net;transport=tcp` + `+4930123` → `sip:+4930123@trunk.example.net;transport=tcp`. */
export function trunkTarget(trunkUri: string, number: string): string {
  const m = /^(sips?):(?:[^@]*@)?(.+)$/i.exec(trunkUri.trim());
  if (!m) throw new TypeError(`trunk URI is not a sip: or sips: URI: ${trunkUri}`);
  return `${m[1]}:${number}@${m[2]}`;
}
