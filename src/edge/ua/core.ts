/**
 * The SIP core between the transaction layer and the drachtio wire protocol:
 * what drachtio-server does on the app's behalf (drachtio-wire.md §7). It
 * builds the tables that own the state (dialogs, requests from the network
 * awaiting the app's answer, requests the apps sent, registered TCP flows)
 * and hands each event to the function that handles it:
 *
 * - network.ts: requests from the network (CANCEL, in-dialog routing, new
 *   requests routed round-robin and held until the app answers);
 * - app-response.ts: the app answers a request;
 * - app-request.ts: the app sends a request (new, in-dialog, ACK, CANCEL).
 */
import type { Logger } from 'pino';
import type { SipIds } from '../shared/ids.ts';
import { parseSipMessage, type SipRequest, type SipResponse } from '../sip/index.ts';
import type { Counters } from '../shared/stats.ts';
import type { TimerSource, TimerValues } from '../shared/timers.ts';
import type { Inbound, LocalEndpoint, Transport } from '../transport/transport.ts';
import type { TxnLayer } from '../txn/layer.ts';
import type { SipProtocol } from '../shared/types.ts';
import type { AppConnection, AppFrameHandler, ControlServer } from '../wire/control.ts';
import { nokFrame, noFrame } from '../wire/frames.ts';
import { handleAppRequest } from './app-request.ts';
import { handleAppResponse } from './app-response.ts';
import { ClientRequests } from './client-requests.ts';
import { dropBadAppHeaderLines } from './compose.ts';
import type { UaContext } from './context.ts';
import { DialogTable } from './dialog.ts';
import { RegisteredFlows } from './flows.ts';
import { onAppClosed, onNetworkMessage } from './network.ts';
import { relayFrame } from './relay-text.ts';
import { ServerRequests } from './server-requests.ts';

export class SipCore implements AppFrameHandler, UaContext {
  readonly dialogs: DialogTable;
  readonly pending: ServerRequests;
  readonly sent: ClientRequests;
  readonly flows = new RegisteredFlows();
  readonly nextTxnId: () => string;

  constructor(
    readonly transport: Transport,
    readonly layer: TxnLayer,
    counters: Counters,
    values: TimerValues,
    readonly timers: TimerSource,
    readonly ids: SipIds,
    private readonly controlRef: () => ControlServer,
    readonly log: Logger | undefined,
  ) {
    this.nextTxnId = ids.wireIds();
    this.dialogs = new DialogTable(counters);
    this.pending = new ServerRequests(
      layer,
      this.dialogs,
      counters,
      timers,
      values,
      ids,
      this.nextTxnId,
    );
    this.sent = new ClientRequests(counters, timers, values, this.nextTxnId);
  }

  private get control(): ControlServer {
    return this.controlRef();
  }

  sid(): string {
    return this.control.nextId();
  }

  pickApp(method: string): AppConnection | undefined {
    return this.control.routes.pick(method);
  }

  local(protocol: SipProtocol): LocalEndpoint | undefined {
    return this.transport.localFor(protocol);
  }

  relay(
    conn: AppConnection,
    msg: SipRequest | SipResponse,
    inb: Inbound | undefined,
    txnId: string,
    dlgId: string,
    receivedOn?: { host: string; port: number },
  ): void {
    conn.send(relayFrame(this.sid(), msg, inb, txnId, dlgId, receivedOn));
  }

  // ---- app side -------------------------------------------------------------------

  onSipFrame(conn: AppConnection, msgId: string, tokens: string[], sipText: string): void {
    const txnId = tokens[2] ?? '';
    const dlgId = tokens[3] ?? '';
    const routeUri = tokens[4] ?? '';
    const parsed = parseSipMessage(Buffer.from(dropBadAppHeaderLines(sipText), 'utf8'), {
      bodyFromRest: true,
      maxSize: 1024 * 1024,
    });
    if (!parsed.ok) {
      const line = sipText.slice(0, Math.max(0, sipText.indexOf('\r'))).slice(0, 200);
      conn.send(nokFrame(this.sid(), msgId, `invalid request-uri: ${line || parsed.error}`));
      return;
    }
    const msg = parsed.message;
    if (msg.kind === 'response') {
      if (!txnId) {
        conn.send(noFrame(this.sid(), msgId, 'transaction id missing'));
        conn.socket.destroy();
        return;
      }
      handleAppResponse(this, conn, msgId, txnId, msg);
      return;
    }
    handleAppRequest(this, conn, msgId, txnId, dlgId, routeUri, msg);
  }

  onAppClosed(conn: AppConnection): void {
    onAppClosed(this, conn);
  }

  // ---- network side ---------------------------------------------------------------

  onNetworkMessage(inb: Inbound): void {
    onNetworkMessage(this, inb);
  }

  close(): void {
    this.pending.closeAll();
    this.sent.closeAll();
    for (const d of this.dialogs.all()) this.dialogs.end(d);
  }
}
