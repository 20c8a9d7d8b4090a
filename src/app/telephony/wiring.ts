/**
 * Where the leadership layer hands over its routing gate: it sets `routing`
 * when it starts and clears it when it closes. start-telephony.ts makes one
 * per start and gives the gate to call control.
 */
import type { RoutingGate } from '../leadership/routing-gate.ts';

export interface TelephonyWiring {
  routing: RoutingGate | null;
}
