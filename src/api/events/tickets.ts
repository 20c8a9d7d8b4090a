/**
 * One-time tickets for the browser's WebSocket. A browser cannot put a
 * bearer header on a WebSocket, and a token in a URL ends up in histories
 * and proxy logs; so the page asks `POST /api/events/ticket` (with its bearer
 * header) for a ticket and opens `/api/events?ticket=...`. A ticket carries
 * the role of the token that asked for it, works once, and expires after
 * `ttlMs`; at most `max` are outstanding (the oldest go first).
 */
import { randomBytes } from 'node:crypto';
import type { Role } from '../http/auth.ts';

export interface Tickets {
  issue(role: Role): string;
  /** The ticket's role, once; null for an unknown, used or expired ticket. */
  redeem(ticket: string): Role | null;
}

export function createTickets(
  options: { ttlMs?: number; max?: number; now?: () => number } = {},
): Tickets {
  const ttlMs = options.ttlMs ?? 30_000;
  const max = options.max ?? 1000;
  const now = options.now ?? Date.now;
  const open = new Map<string, { role: Role; expires: number }>();
  return {
    issue(role) {
      const t = now();
      for (const [k, v] of open) if (v.expires <= t) open.delete(k);
      while (open.size >= max) {
        const oldest = open.keys().next().value;
        if (oldest === undefined) break;
        open.delete(oldest);
      }
      const ticket = randomBytes(24).toString('base64url');
      open.set(ticket, { role, expires: t + ttlMs });
      return ticket;
    },
    redeem(ticket) {
      const entry = open.get(ticket);
      if (!entry) return null;
      open.delete(ticket);
      return entry.expires > now() ? entry.role : null;
    },
  };
}
