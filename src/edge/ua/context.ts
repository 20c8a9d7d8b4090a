/**
 * What the UA functions (network side, app requests, app responses) work
 * with: the tables that own the state, the services below them and the way
 * to the apps. `SipCore` provides it; the functions take it as their first
 * argument and import nothing but this type, so no UA file imports the core.
 */
import type { Logger } from 'pino';
import type { SipIds } from '../shared/ids.ts';
import type { SipRequest, SipResponse } from '../sip/index.ts';
import type { TimerSource } from '../shared/timers.ts';
import type { Inbound, LocalEndpoint, Transport } from '../transport/transport.ts';
import type { TxnLayer } from '../txn/layer.ts';
import type { SipProtocol } from '../shared/types.ts';
import type { AppConnection } from '../wire/control.ts';
import type { ClientRequests } from './client-requests.ts';
import type { DialogTable } from './dialog.ts';
import type { RegisteredFlows } from './flows.ts';
import type { ServerRequests } from './server-requests.ts';

export interface UaContext {
  readonly transport: Transport;
  readonly layer: TxnLayer;
  readonly timers: TimerSource;
  readonly ids: SipIds;
  readonly dialogs: DialogTable;
  /** Requests from the network the apps have not answered finally. */
  readonly pending: ServerRequests;
  /** Requests the apps sent, until their transactions end. */
  readonly sent: ClientRequests;
  readonly flows: RegisteredFlows;
  readonly log: Logger | undefined;
  /** A wire transaction id the server names (ACK echo, ACK of a re-INVITE). */
  nextTxnId(): string;
  /** Frame id for server-originated frames. */
  sid(): string;
  /** The app that gets a new request from the network (round-robin per method), if any. */
  pickApp(method: string): AppConnection | undefined;
  /** Local endpoint used for a protocol (for Via/Contact/From defaults). */
  local(protocol: SipProtocol): LocalEndpoint | undefined;
  /** Sends a received message to an app as a `sip` frame. */
  relay(
    conn: AppConnection,
    msg: SipRequest | SipResponse,
    inb: Inbound | undefined,
    txnId: string,
    dlgId: string,
    receivedOn?: { host: string; port: number },
  ): void;
}
