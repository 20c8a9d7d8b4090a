/**
 * Who may call in, and to which department: the checks on an incoming INVITE
 * before the call joins a queue.
 *
 *   source not a configured trunk and not a registered agent  -> 403
 *   no dialled number in the Request-URI (or To)               -> 404
 *   dialled number unknown                                     -> 404
 *   otherwise                                                  -> the department
 *
 * The source check keeps strangers from reaching agents' mobiles through our
 * outbound trunk (toll fraud); it comes first, so a scanner learns nothing
 * about which numbers exist. In the product an agent is recognised by digest
 * credentials before this (caller-identity.ts), not by the source address.
 */
import { parseNameAddr, uriUser } from '../registrar/contact.ts';

export interface DepartmentRoute {
  departmentId: string;
  departmentName: string;
}

/** Dialled number -> department (the DIDs table in the app). */
export interface NumberLookup {
  route(dialled: string): Promise<DepartmentRoute | null>;
}

export interface CallerSources {
  /** Addresses of the SIP trunk(s): `203.0.113.5` (any port) or `203.0.113.5:5060`. */
  trunkAddresses: readonly string[];
  /** The agent registered from this address and port (From user given as a hint), if any. */
  registeredAgentAt(address: string, port: number, fromUser: string | null): Promise<string | null>;
}

export interface InviteFacts {
  uri: string;
  to: string | undefined;
  from: string | undefined;
  sourceAddress: string;
  sourcePort: number;
}

export type Admission =
  | { kind: 'refuse'; status: number; reason: string; why: string }
  | {
      kind: 'accept';
      route: DepartmentRoute;
      dialled: string;
      caller: string;
      /** Agent id when the caller is a registered agent. */
      fromAgent: string | null;
    };

/** User part of a name-addr header value (From / To), or null. */
export function headerUser(value: string | undefined): string | null {
  if (!value) return null;
  try {
    return uriUser(parseNameAddr(value).uri);
  } catch {
    return null;
  }
}

/** The number the caller dialled: Request-URI user, else the To user. */
export function dialledNumber(uri: string, to: string | undefined): string | null {
  return uriUser(uri) ?? headerUser(to);
}

export function isTrunkSource(trunks: readonly string[], address: string, port: number): boolean {
  const bare = address.replace(/^\[(.*)\]$/, '$1');
  return trunks.some((t) => {
    const entry = t.trim();
    if (entry === bare || entry === `[${bare}]`) return true;
    return entry === `${bare}:${port}` || entry === `[${bare}]:${port}`;
  });
}

export async function admit(
  facts: InviteFacts,
  sources: CallerSources,
  numbers: NumberLookup,
): Promise<Admission> {
  const caller = headerUser(facts.from) ?? '';
  let fromAgent: string | null = null;
  if (!isTrunkSource(sources.trunkAddresses, facts.sourceAddress, facts.sourcePort)) {
    fromAgent = await sources.registeredAgentAt(
      facts.sourceAddress,
      facts.sourcePort,
      caller === '' ? null : caller,
    );
    if (fromAgent === null) {
      return { kind: 'refuse', status: 403, reason: 'Forbidden', why: 'unknown source' };
    }
  }
  const dialled = dialledNumber(facts.uri, facts.to);
  if (dialled === null || dialled === '') {
    return { kind: 'refuse', status: 404, reason: 'Not Found', why: 'no dialled number' };
  }
  const route = await numbers.route(dialled);
  if (!route) return { kind: 'refuse', status: 404, reason: 'Not Found', why: 'unknown number' };
  return { kind: 'accept', route, dialled, caller, fromAgent };
}
