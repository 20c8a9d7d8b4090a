/**
 * /api/reports/*: figures per department, per agent and per interval over a
 * time range, as JSON or CSV (the same rows, one per line), and /api/live.
 */
import type { Response } from 'express';
import type { ReportsRepo } from '../../store/reports.ts';
import { type Cell, csvRow } from '../csv.ts';
import { defineRoute, type RouteDef } from '../http/route.ts';
import type { LiveService } from '../events/live-service.ts';
import {
  agentReportQuery,
  agentReportView,
  departmentReportQuery,
  departmentReportView,
  intervalReportQuery,
  intervalReportView,
  liveView,
} from '../schemas/reports.ts';

const tag = 'reports';

type Row = Record<string, unknown>;

const DEPARTMENT_COLUMNS = [
  'departmentId',
  'name',
  'calls',
  'offered',
  'answered',
  'missed',
  'abandoned',
  'shortAbandoned',
  'answeredWithinSl',
  'serviceLevel',
  'asaS',
  'ahtS',
  'avgTalkS',
  'talkMinutes',
  'longestWaitS',
  'missedRings',
  'live',
];
const AGENT_COLUMNS = [
  'agentId',
  'name',
  'rings',
  'ringsAnswered',
  'missedRings',
  'avgRingS',
  'answered',
  'talkMinutes',
  'avgTalkS',
  'ahtS',
  'staffedS',
  'occupancy',
];
const INTERVAL_COLUMNS = [
  'start',
  'end',
  'calls',
  'offered',
  'answered',
  'missed',
  'abandoned',
  'shortAbandoned',
  'answeredWithinSl',
  'serviceLevel',
  'asaS',
  'ahtS',
  'talkMinutes',
  'longestWaitS',
];

function sendCsv(res: Response, name: string, columns: string[], rows: readonly object[]): void {
  res.status(200);
  res.setHeader('Content-Type', 'text/csv; charset=utf-8');
  res.setHeader('Content-Disposition', `attachment; filename="${name}.csv"`);
  let text = csvRow(columns);
  for (const r of rows) text += csvRow(columns.map((c) => (r as Row)[c] as Cell));
  res.end(text);
}

export function reportRoutes(deps: { reports: ReportsRepo; live: LiveService }): RouteDef[] {
  const { reports, live } = deps;
  return [
    defineRoute(
      {
        method: 'get',
        path: '/reports/departments',
        tag,
        summary:
          'Per department: offered, answered, abandoned (short abandons apart), service level, ASA, AHT, longest wait, missed rings, talk minutes; calls by arrival in [from, to)',
        query: departmentReportQuery,
        response: departmentReportView.array(),
      },
      async ({ query }) => reports.departments(query),
    ),
    defineRoute(
      {
        method: 'get',
        path: '/reports/departments.csv',
        tag,
        summary: 'The department report as CSV',
        query: departmentReportQuery,
        produces: 'text/csv',
      },
      async ({ query, res }) =>
        sendCsv(res, 'departments', DEPARTMENT_COLUMNS, await reports.departments(query)),
    ),
    defineRoute(
      {
        method: 'get',
        path: '/reports/agents',
        tag,
        summary:
          'Per agent, ranked by answered calls: rings, missed rings, answered, talk minutes, AHT, staffed time, occupancy',
        query: agentReportQuery,
        response: agentReportView.array(),
      },
      async ({ query }) => reports.agents(query),
    ),
    defineRoute(
      {
        method: 'get',
        path: '/reports/agents.csv',
        tag,
        summary: 'The agent report as CSV',
        query: agentReportQuery,
        produces: 'text/csv',
      },
      async ({ query, res }) => sendCsv(res, 'agents', AGENT_COLUMNS, await reports.agents(query)),
    ),
    defineRoute(
      {
        method: 'get',
        path: '/reports/intervals',
        tag,
        summary:
          'Call figures per 15 minutes, hour, day, week or month in a time zone; every interval listed (empty ones with zeros)',
        query: intervalReportQuery,
        response: intervalReportView,
      },
      async ({ query }) => reports.intervals(query),
    ),
    defineRoute(
      {
        method: 'get',
        path: '/reports/intervals.csv',
        tag,
        summary: 'The interval report as CSV',
        query: intervalReportQuery,
        produces: 'text/csv',
      },
      async ({ query, res }) =>
        sendCsv(res, 'intervals', INTERVAL_COLUMNS, (await reports.intervals(query)).intervals),
    ),
    defineRoute(
      {
        method: 'get',
        path: '/live',
        tag: 'live',
        summary:
          'Live view: per department the waiting calls (wait, position, expected wait), agents by state and today’s service level; every agent with its state and time in state; connected calls',
        response: liveView,
      },
      async () => live.view(),
    ),
  ];
}
