/**
 * What the leadership layer shares with telephony: it reads the connected
 * srf (a new leader ends the legs a dead one left up), sets `routing` when it
 * starts and clears it when it closes. start-telephony.ts makes one per start
 * and gives the gate to call control.
 */
import type { RoutingGate } from '../leadership/routing-gate.ts';
import type { ConnectedSrf } from './srf-connection.ts';

export interface TelephonyWiring {
  srf: ConnectedSrf | null;
  routing: RoutingGate | null;
}
