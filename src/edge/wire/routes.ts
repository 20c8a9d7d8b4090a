/**
 * Routing of new out-of-dialog requests to app connections (drachtio-wire.md
 * §2.2, §7.14): per lower-case verb, round-robin among the connections that
 * routed it. Registration is idempotent per (connection, verb), so srf's
 * duplicate `route` frames do not skew the rotation (a deliberate, documented
 * difference from the real server, whose rotation they do skew).
 */
export class RouteTable<C> {
  private readonly byVerb = new Map<string, { conns: C[]; next: number }>();

  add(verb: string, conn: C): void {
    const key = verb.toLowerCase();
    let entry = this.byVerb.get(key);
    if (!entry) {
      entry = { conns: [], next: 0 };
      this.byVerb.set(key, entry);
    }
    if (!entry.conns.includes(conn)) entry.conns.push(conn);
  }

  remove(verb: string, conn: C): void {
    const key = verb.toLowerCase();
    const entry = this.byVerb.get(key);
    if (!entry) return;
    entry.conns = entry.conns.filter((c) => c !== conn);
    if (entry.conns.length === 0) this.byVerb.delete(key);
  }

  removeConnection(conn: C): void {
    for (const verb of [...this.byVerb.keys()]) this.remove(verb, conn);
  }

  /** The next connection for `verb`, or undefined when nobody routed it. */
  pick(verb: string): C | undefined {
    const entry = this.byVerb.get(verb.toLowerCase());
    if (!entry || entry.conns.length === 0) return undefined;
    const i = entry.next % entry.conns.length;
    entry.next = (i + 1) % entry.conns.length;
    return entry.conns[i];
  }

  has(verb: string): boolean {
    return this.byVerb.has(verb.toLowerCase());
  }
}
