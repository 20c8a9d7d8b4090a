/**
 * TCP connections of registered contacts (`user@host` of the Contact) after
 * a 2xx to a REGISTER that came over TCP: later requests to that contact
 * reuse the connection, as phones behind NAT do not accept new ones
 * (drachtio-wire.md §7.2).
 */
import { getHeader, getHeaders, parseNameAddr, type SipRequest } from '../sip/index.ts';
import type { Inbound, TcpConn } from '../transport/transport.ts';

export class RegisteredFlows {
  private readonly byContact = new Map<string, TcpConn>();

  /** After a 2xx to a REGISTER over TCP: remember (or forget, for expires 0) the contact's connection. */
  remember(req: SipRequest, inb: Inbound): void {
    const conn = inb.src.conn;
    if (!conn) return;
    const expiresHeader = getHeader(req, 'expires');
    for (const c of getHeaders(req, 'contact')) {
      const na = parseNameAddr(c);
      if (!na?.parsedUri.host) continue;
      const key = flowKey(na.parsedUri.user, na.parsedUri.host);
      const expires = na.params.expires ?? expiresHeader;
      if (expires !== undefined && expires !== null && Number(expires) === 0) {
        if (this.byContact.get(key) === conn) this.byContact.delete(key);
      } else {
        this.byContact.set(key, conn);
      }
    }
  }

  /** The open connection of a registered contact, if any (a closed one is forgotten). */
  find(user: string | undefined, host: string): TcpConn | undefined {
    const key = flowKey(user, host);
    const flow = this.byContact.get(key);
    if (!flow?.closed) return flow;
    this.byContact.delete(key);
    return undefined;
  }
}

function flowKey(user: string | undefined, host: string): string {
  return `${user ?? ''}@${host.toLowerCase()}`;
}
