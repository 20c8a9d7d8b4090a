/** /api/calls and /api/call-attempts: the call log, read-only, keyset-paginated. */
import { z } from 'zod';
import type { CallLogRepo } from '../../store/call-log.ts';
import { defineRoute, found, type RouteDef } from '../http/route.ts';
import {
  attemptListQuery,
  attemptView,
  callDetailView,
  callListQuery,
  callView,
  cursorPage,
} from '../schemas/calls.ts';

const tag = 'calls';

export function callRoutes(deps: { callLog: CallLogRepo }): RouteDef[] {
  const { callLog } = deps;
  return [
    defineRoute(
      {
        method: 'get',
        path: '/calls',
        tag,
        summary:
          'Query calls by arrival time, department, answering agent, outcome and caller; newest first. Pass nextCursor as cursor for the next page',
        query: callListQuery,
        response: cursorPage(callView),
      },
      async ({ query }) => callLog.listCalls(query),
    ),
    defineRoute(
      {
        method: 'get',
        path: '/calls/:id',
        tag,
        summary: 'One call with its ring attempts and the routing explanation',
        params: z.strictObject({ id: z.string().min(1).max(200) }),
        response: callDetailView,
        errors: [404],
      },
      async ({ params }) => found(await callLog.getCall(params.id), 'call'),
    ),
    defineRoute(
      {
        method: 'get',
        path: '/call-attempts',
        tag,
        summary: 'Query ring attempts by time, call, agent and result; newest first',
        query: attemptListQuery,
        response: cursorPage(attemptView),
      },
      async ({ query }) => callLog.listAttempts(query),
    ),
  ];
}
