/**
 * What the web UI asks about its own sign-in: the role of the token it
 * holds (so it hides edit controls from the read token; the API refuses
 * writes regardless), and a one-time ticket to open the WebSocket without
 * putting the token in a URL.
 */
import { z } from 'zod';
import type { Tickets } from '../events/tickets.ts';
import type { Role } from '../http/auth.ts';
import { defineRoute, type RouteDef } from '../http/route.ts';

const tag = 'session';

export function sessionRoutes(deps: { tickets: Tickets }): RouteDef[] {
  return [
    defineRoute(
      {
        method: 'get',
        path: '/session',
        tag,
        summary: 'The role of the bearer token: admin (may change everything) or read (wallboards)',
        response: z.object({ role: z.enum(['admin', 'read']) }),
      },
      async ({ res }) => ({ role: res.locals.role as Role }),
    ),
    defineRoute(
      {
        method: 'get',
        path: '/events/ticket',
        tag,
        summary:
          'A one-time ticket (30 s) to open the WebSocket as /api/events?ticket=..., for browsers, which cannot send a bearer header there',
        response: z.object({ ticket: z.string(), expiresInS: z.number() }),
      },
      async ({ res }) => {
        res.setHeader('Cache-Control', 'no-store');
        return { ticket: deps.tickets.issue(res.locals.role as Role), expiresInS: 30 };
      },
    ),
  ];
}
