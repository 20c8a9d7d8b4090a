/**
 * The transaction layer: tables of server and client transactions keyed by
 * branch (keys.ts), matching of received messages, and the shared services
 * the machines need (transport, timers, ids, counters).
 */
import type { SipRequest, SipResponse } from '../sip/index.ts';
import { getHeader, parseCSeq, topVia } from '../sip/index.ts';
import type { Counters } from '../shared/stats.ts';
import type { SipIds } from '../shared/ids.ts';
import type { TimerSource, TimerValues } from '../shared/timers.ts';
import type { Inbound, Remote, Transport } from '../transport/transport.ts';
import { ClientTxn, type ClientTxnUser } from './client-txn.ts';
import { clientKey, serverKey } from './keys.ts';
import { ServerTxn } from './server-txn.ts';
import type { TxnServices } from './services.ts';

export class TxnLayer implements TxnServices {
  private readonly servers = new Map<string, ServerTxn>();
  private readonly clients = new Map<string, ClientTxn>();

  constructor(
    readonly transport: Transport,
    readonly timers: TimerValues,
    readonly counters: Counters,
    readonly timerSource: TimerSource,
    readonly ids: Pick<SipIds, 'tag'>,
  ) {}

  queueMicrotask(fn: () => void): void {
    queueMicrotask(fn);
  }

  resend(dest: Remote, bytes: Buffer): void {
    this.counters.retransmissions++;
    this.transport.send(dest, bytes, 'retransmission');
  }

  /** The server transaction of a request (ACK matches its INVITE), if any. */
  findServer(req: SipRequest, method: string = req.method): ServerTxn | undefined {
    const key = serverKey(req, method);
    return key === undefined ? undefined : this.servers.get(key);
  }

  createServer(req: SipRequest, remote: Remote): ServerTxn | undefined {
    const key = serverKey(req, req.method);
    if (key === undefined) return undefined;
    const txn = new ServerTxn(this, key, req, remote);
    this.servers.set(key, txn);
    this.counters.serverTransactions++;
    this.counters.transactionsCreated++;
    return txn;
  }

  removeServer(txn: { readonly key: string }): void {
    if (this.servers.get(txn.key) === txn) {
      this.servers.delete(txn.key);
      this.counters.serverTransactions--;
    }
  }

  /** Creates and starts a client transaction. `branch` is the one in the request's top Via. */
  startClient(
    req: SipRequest,
    bytes: Buffer,
    branch: string,
    dest: Remote,
    user: ClientTxnUser,
  ): ClientTxn {
    const key = clientKey(branch, req.method);
    const txn = new ClientTxn(this, key, branch, req, bytes, dest, user);
    this.clients.set(key, txn);
    this.counters.clientTransactions++;
    this.counters.transactionsCreated++;
    txn.start();
    return txn;
  }

  removeClient(txn: { readonly key: string }): void {
    if (this.clients.get(txn.key) === txn) {
      this.clients.delete(txn.key);
      this.counters.clientTransactions--;
    }
  }

  /** Routes a response to its client transaction; false when none matches (stray response). */
  dispatchResponse(res: SipResponse, inb: Inbound): boolean {
    const branch = topVia(res)?.branch;
    const cseq = parseCSeq(getHeader(res, 'cseq') ?? '');
    if (!branch || !cseq) return false;
    const txn = this.clients.get(clientKey(branch, cseq.method));
    if (!txn) return false;
    txn.onResponse(res, inb);
    return true;
  }

  /** TCP connection to `remote` failed: local 503 for the transactions waiting on it. */
  connectFailed(remote: Remote): void {
    for (const txn of [...this.clients.values()]) {
      if (
        txn.dest.protocol === remote.protocol &&
        txn.dest.address === remote.address &&
        txn.dest.port === remote.port
      ) {
        txn.failLocally(503, 'Service Unavailable');
      }
    }
  }

  /** Ends every transaction (server shutdown). */
  closeAll(): void {
    for (const t of [...this.servers.values()]) t.terminate();
    for (const t of [...this.clients.values()]) t.terminate();
  }
}
