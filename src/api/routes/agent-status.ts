/**
 * Agent status: PUT /api/agents/:id/status sets available, away, break (with
 * an end time) or offline as an admin; the change, the event log entry and
 * the status history are written in one transaction by the store, through
 * the app's one status writer, which also tells routing and publishes the
 * `agent.status` event (the same record as the history).
 */
import { z } from 'zod';
import type { AgentStatusRepo, SetStatusInput, StatusChange } from '../../store/agent-status.ts';
import type { Agent, AgentsRepo } from '../../store/agents.ts';
import { validationError } from '../http/errors.ts';
import { defineRoute, found, type RouteDef } from '../http/route.ts';
import { agentStatus, agentView, statusChange } from '../schemas/agents.ts';
import { isoDateTime } from '../schemas/common.ts';
import { agentToView } from './agents.ts';

const tag = 'agents';
const idParams = z.strictObject({ id: z.string() });

const changeView = z.object({
  id: z.number().int(),
  agentId: z.uuid(),
  fromStatus: agentStatus.nullable(),
  toStatus: agentStatus,
  until: isoDateTime.nullable(),
  reason: z.string().nullable(),
  source: z.enum(['agent', 'admin', 'system']),
  at: isoDateTime,
});

const historyQuery = z
  .strictObject({
    from: isoDateTime.transform((s) => new Date(s)).optional(),
    to: isoDateTime.transform((s) => new Date(s)).optional(),
    limit: z.coerce.number().int().min(1).max(10_000).default(100),
  })
  .refine((q) => !q.from || !q.to || q.from < q.to, {
    message: 'must be after from',
    path: ['to'],
  });

/** Stores a status change, tells routing and announces it (src/app/runtime/agent-status.ts). */
export interface StatusWriter {
  set(agentId: string, input: SetStatusInput): Promise<{ agent: Agent; change: StatusChange }>;
}

export interface AgentStatusRouteDeps {
  agents: AgentsRepo;
  /** Read side: the history. */
  agentStatus: Pick<AgentStatusRepo, 'history'>;
  status: StatusWriter;
  now?: () => Date;
}

export function agentStatusRoutes(deps: AgentStatusRouteDeps): RouteDef[] {
  const now = deps.now ?? (() => new Date());
  return [
    defineRoute(
      {
        method: 'put',
        path: '/agents/:id/status',
        tag,
        summary:
          'Set an agent’s status: available, away, break (with `until`, when it ends by itself) or offline',
        params: idParams,
        body: statusChange,
        response: z.object({ agent: agentView, change: changeView }),
        errors: [404],
      },
      async ({ params, body }) => {
        const until = body.until === undefined ? null : new Date(body.until);
        if (until !== null && until <= now()) {
          throw validationError([{ field: 'until', reason: 'must be in the future' }]);
        }
        const { agent, change } = await deps.status.set(params.id, {
          status: body.status,
          until,
          reason: body.reason ?? null,
          source: 'admin',
        });
        return { agent: agentToView(agent), change };
      },
    ),
    defineRoute(
      {
        method: 'get',
        path: '/agents/:id/status-history',
        tag,
        summary: 'An agent’s status changes, newest first',
        params: idParams,
        query: historyQuery,
        response: z.object({ items: z.array(changeView) }),
        errors: [404],
      },
      async ({ params, query }) => {
        found(await deps.agents.get(params.id), 'agent');
        return { items: await deps.agentStatus.history(params.id, query) };
      },
    ),
  ];
}
