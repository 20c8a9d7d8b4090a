/** /api/registrations: the softphone bindings the registrar keeps (read-only). */
import { z } from 'zod';
import type { RegistrationsRepo } from '../../store/registrations.ts';
import { defineRoute, type RouteDef } from '../http/route.ts';
import { isoDateTime, queryBoolean } from '../schemas/common.ts';

const registrationView = z.object({
  id: z.uuid(),
  agentId: z.uuid(),
  contactUri: z.string(),
  expiresAt: isoDateTime,
  sourceAddress: z.string(),
  sourcePort: z.number().int(),
  transport: z.enum(['udp', 'tcp', 'tls', 'ws', 'wss']),
  userAgent: z.string().nullable(),
  sipCallId: z.string().nullable(),
  cseq: z.number().int().nullable(),
  createdAt: isoDateTime,
  updatedAt: isoDateTime,
});

export function registrationRoutes(deps: {
  registrations: RegistrationsRepo;
  now?: () => Date;
}): RouteDef[] {
  const now = deps.now ?? (() => new Date());
  return [
    defineRoute(
      {
        method: 'get',
        path: '/registrations',
        tag: 'registrations',
        summary:
          'Registered softphone contacts, optionally of one agent; active=false includes expired ones',
        query: z.strictObject({
          agentId: z.uuid().optional(),
          active: queryBoolean.default(true),
        }),
        response: z.object({ items: z.array(registrationView) }),
      },
      async ({ query }) => ({
        items: await deps.registrations.list({
          ...(query.agentId ? { agentId: query.agentId } : {}),
          ...(query.active ? { activeAt: now() } : {}),
        }),
      }),
    ),
  ];
}
