/** /api/calls and /api/call-attempts: the call log, read-only, keyset-paginated. */
import { once } from 'node:events';
import { z } from 'zod';
import type { CallLogRepo } from '../../store/call-log.ts';
import type { Call } from '../../store/call-log-rows.ts';
import { type Cell, csvRow } from '../csv.ts';
import { defineRoute, found, type RouteDef } from '../http/route.ts';
import { keysetListRoute } from './keyset-list.ts';
import {
  attemptListQuery,
  callExportQuery,
  attemptView,
  callDetailView,
  callListQuery,
  callView,
  cursorPage,
} from '../schemas/calls.ts';

const tag = 'calls';

const CSV_HEADER = [
  'id',
  'caller',
  'dialledNumber',
  'departmentId',
  'arrivedAt',
  'answeredAt',
  'endedAt',
  'agentId',
  'outcome',
  'waitS',
  'talkS',
];

function csvCells(c: Call): Cell[] {
  return [
    c.id,
    c.caller,
    c.dialledNumber,
    c.departmentId,
    c.arrivedAt,
    c.answeredAt,
    c.endedAt,
    c.agentId,
    c.outcome,
    c.waitS,
    c.talkS,
  ];
}

export function callRoutes(deps: { callLog: CallLogRepo }): RouteDef[] {
  const { callLog } = deps;
  return [
    keysetListRoute(
      {
        path: '/calls',
        tag,
        summary: 'Query calls by arrival time, department, answering agent, outcome and caller',
        query: callListQuery,
        item: callView,
      },
      (query) => callLog.listCalls(query),
    ),
    defineRoute(
      {
        method: 'get',
        path: '/calls.csv',
        tag,
        summary:
          'Every call matching the filters of GET /api/calls as CSV (RFC 4180, header row), newest first',
        query: callExportQuery,
        produces: 'text/csv',
      },
      async ({ query, res }) => {
        // Page through the keyset cursor so a large export never sits in memory
        // at once. The first page is read before anything is sent, so a query
        // the database refuses still gets a whole error answer, not a cut body.
        let page = await callLog.listCalls({ ...query, limit: 1000 });
        res.status(200);
        res.setHeader('Content-Type', 'text/csv; charset=utf-8');
        res.setHeader('Content-Disposition', 'attachment; filename="calls.csv"');
        res.write(csvRow(CSV_HEADER));
        for (;;) {
          for (const call of page.items) {
            // Respect backpressure: a slow client must not make the rows pile up in memory.
            if (!res.write(csvRow(csvCells(call)))) await once(res, 'drain');
          }
          if (page.nextCursor === null || page.nextCursor === undefined) break;
          page = await callLog.listCalls({ ...query, limit: 1000, cursor: page.nextCursor });
        }
        res.end();
      },
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
