/**
 * Who is calling in: a trunk, recognised by its address as configured, or an
 * agent, who proves it with digest authentication as for REGISTER (RFC 3261
 * §22.3: a 407 with Proxy-Authenticate, answered with Proxy-Authorization;
 * every softphone does this). A UDP source address and port are trivial to
 * forge, so a datagram from a registered device's address proves nothing:
 * without this, one forged INVITE to *52 set an agent away.
 *
 *   trunk address                        -> trunk
 *   no or stale credentials              -> 407 Proxy Authentication Required
 *   right credentials                    -> agent
 *   wrong credentials / malformed        -> 403 / 400
 *   locked out after repeated failures   -> 503 + Retry-After
 */
import type { AuthOutcome, DigestRequest } from '../digest/index.ts';
import type { Logger } from '../ports/index.ts';
import type { InboundCall } from '../sip/sip.ts';
import { repeatedHeaderValue } from '../srf/srf-types.ts';
import { isTrunkSource } from './admission.ts';

/** The digest check (the registrar's DigestAuthenticator, so failures count together). */
export interface CallerAuthenticator {
  authenticate(request: DigestRequest): Promise<AuthOutcome>;
}

export type CallerIdentity =
  | { kind: 'trunk' }
  | { kind: 'agent'; agentId: string }
  /** The INVITE was answered (challenge or refusal); nothing more to do. */
  | { kind: 'answered' };

export async function identifyCaller(
  call: InboundCall,
  trunkAddresses: readonly string[],
  auth: CallerAuthenticator,
  logger: Logger,
): Promise<CallerIdentity> {
  if (isTrunkSource(trunkAddresses, call.sourceAddress, call.sourcePort)) return { kind: 'trunk' };
  const outcome = await auth.authenticate({
    method: 'INVITE',
    requestUri: call.uri,
    authorization: call.header('Proxy-Authorization'),
    sourceAddress: call.sourceAddress,
  });
  switch (outcome.kind) {
    case 'authenticated':
      return { kind: 'agent', agentId: outcome.credentials.agentId };
    case 'challenge':
      call.reject(407, 'Proxy Authentication Required', {
        'Proxy-Authenticate': repeatedHeaderValue('Proxy-Authenticate', outcome.wwwAuthenticate),
      });
      return { kind: 'answered' };
    case 'forbidden':
    case 'bad-request':
      logger.info(
        { sipCallId: call.callId, source: call.sourceAddress, reason: outcome.reason },
        'inbound: caller authentication failed',
      );
      if (outcome.kind === 'forbidden') call.reject(403, 'Forbidden');
      else call.reject(400, 'Bad Request');
      return { kind: 'answered' };
    case 'throttled':
      call.reject(503, 'Service Unavailable', { 'Retry-After': String(outcome.retryAfterS) });
      return { kind: 'answered' };
  }
}
