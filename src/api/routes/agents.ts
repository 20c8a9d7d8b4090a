/**
 * /api/agents. The SIP password is write-only: it is turned into the digest
 * hashes (MD5 and SHA-256 HA1 for the configured realm) here and only the
 * hashes go to the store; responses say `hasSipPassword`, nothing more.
 */
import { z } from 'zod';
import type { Agent, AgentInput, AgentPatch, AgentsRepo } from '../../store/agents.ts';
import { digestHashes } from '../digest.ts';
import type { ApiEvents } from '../events/api-events.ts';
import { validationError } from '../http/errors.ts';
import { defineRoute, found, type RouteDef } from '../http/route.ts';
import { agentCreate, agentListQuery, agentPatch, agentView } from '../schemas/agents.ts';

const idParams = z.strictObject({ id: z.string() });
const tag = 'agents';

/** Copies the public fields only, so a hash added to the row later cannot leak. */
export function agentToView(a: Agent) {
  return {
    id: a.id,
    name: a.name,
    sipUsername: a.sipUsername,
    hasSipPassword: a.hasSipPassword,
    mobileNumber: a.mobileNumber,
    forwardingMode: a.forwardingMode,
    mobileDelayS: a.mobileDelayS,
    maxConcurrentCalls: a.maxConcurrentCalls,
    status: a.status,
    statusUntil: a.statusUntil,
    statusReason: a.statusReason,
    mayChangeOwnStatus: a.mayChangeOwnStatus,
    confirmMobileAnswer: a.confirmMobileAnswer,
    createdAt: a.createdAt,
    updatedAt: a.updatedAt,
  };
}

function hashesFor(username: string, realm: string, password: string | null) {
  if (password === null) return { ha1Md5: null, ha1Sha256: null };
  return digestHashes(username, realm, password);
}

export interface AgentRouteDeps {
  agents: AgentsRepo;
  events: ApiEvents;
  /** SIP digest realm the hashes are computed for. */
  realm: string;
}

export function agentRoutes(deps: AgentRouteDeps): RouteDef[] {
  const { agents, events, realm } = deps;
  return [
    defineRoute(
      {
        method: 'get',
        path: '/agents',
        tag,
        summary: 'List agents, optionally by status',
        query: agentListQuery,
        response: z.object({ items: z.array(agentView) }),
      },
      async ({ query }) => ({ items: (await agents.list(query)).map(agentToView) }),
    ),
    defineRoute(
      {
        method: 'post',
        path: '/agents',
        tag,
        summary: 'Create an agent (409 when the SIP username is taken); the password is write-only',
        body: agentCreate,
        response: agentView,
        errors: [409],
      },
      async ({ body }) => {
        const { password, ...fields } = body;
        const input: AgentInput = {
          ...fields,
          ...(password !== undefined ? hashesFor(body.sipUsername, realm, password) : {}),
        };
        const created = agentToView(await agents.create(input));
        events.publish('agent.created', created);
        return created;
      },
    ),
    defineRoute(
      {
        method: 'get',
        path: '/agents/:id',
        tag,
        summary: 'Get an agent',
        params: idParams,
        response: agentView,
        errors: [404],
      },
      async ({ params }) => agentToView(found(await agents.get(params.id), 'agent')),
    ),
    defineRoute(
      {
        method: 'patch',
        path: '/agents/:id',
        tag,
        summary:
          'Change an agent; a new sipUsername needs the password again (the hashes include the username)',
        params: idParams,
        body: agentPatch,
        response: agentView,
        errors: [404, 409],
      },
      async ({ params, body }) => {
        const { password, ...fields } = body;
        // The hashes are computed for the username the locked row has, so a
        // concurrent rename cannot leave hashes for a name it no longer has.
        const build = (current: Agent): AgentPatch => {
          const username = body.sipUsername ?? current.sipUsername;
          const renamed = username !== current.sipUsername;
          if (renamed && current.hasSipPassword && password === undefined) {
            throw validationError([
              {
                field: 'password',
                reason: 'is required when sipUsername changes (the digest hashes include it)',
              },
            ]);
          }
          return {
            ...fields,
            ...(password !== undefined ? hashesFor(username, realm, password) : {}),
          };
        };
        const updated = agentToView(await agents.modify(params.id, build));
        events.publish('agent.updated', updated);
        return updated;
      },
    ),
    defineRoute(
      {
        method: 'delete',
        path: '/agents/:id',
        tag,
        summary: 'Delete an agent with its memberships and registrations (call history stays)',
        params: idParams,
        status: 204,
        errors: [404],
      },
      async ({ params }) => {
        await agents.remove(params.id);
        events.publish('agent.deleted', { id: params.id });
      },
    ),
  ];
}
