/** Every route of the admin API, in the order the OpenAPI document lists them. */
import type { AgentStatusRepo } from '../../store/agent-status.ts';
import type { AgentsRepo } from '../../store/agents.ts';
import type { CallLogRepo } from '../../store/call-log.ts';
import type { DepartmentsRepo } from '../../store/departments.ts';
import type { DidsRepo } from '../../store/dids.ts';
import type { MembershipsRepo } from '../../store/memberships.ts';
import type { MobileAllowListRepo } from '../../store/mobile-allow-list.ts';
import type { RecordingsRepo } from '../../store/recordings.ts';
import type { RegistrationsRepo } from '../../store/registrations.ts';
import type { ReportsRepo } from '../../store/reports.ts';
import type { VipCallersRepo } from '../../store/vip-callers.ts';
import type { VoicemailsRepo } from '../../store/voicemails.ts';
import type { ApiEvents } from '../events/api-events.ts';
import type { RouteDef } from '../http/route.ts';
import type { Tickets } from '../events/tickets.ts';
import type { LiveService } from '../events/live-service.ts';
import type { RecordingControl } from '../recording-control.ts';
import { agentStatusRoutes, type StatusWriter } from './agent-status.ts';
import { agentRoutes } from './agents.ts';
import { callRoutes } from './calls.ts';
import { departmentRoutes } from './departments.ts';
import { didRoutes } from './dids.ts';
import { membershipRoutes } from './memberships.ts';
import { mobileAllowListRoutes } from './mobile-allow-list.ts';
import { recordingRoutes } from './recordings.ts';
import { registrationRoutes } from './registrations.ts';
import { reportRoutes } from './reports.ts';
import { sessionRoutes } from './session.ts';
import { vipCallerRoutes } from './vip-callers.ts';
import { voicemailRoutes } from './voicemails.ts';

/** The repositories the API uses (the store's `createStore(db)` result fits). */
export interface ApiRepos {
  departments: DepartmentsRepo;
  dids: DidsRepo;
  agents: AgentsRepo;
  memberships: MembershipsRepo;
  vipCallers: VipCallersRepo;
  mobileAllowList: MobileAllowListRepo;
  registrations: RegistrationsRepo;
  callLog: CallLogRepo;
  agentStatus: AgentStatusRepo;
  reports: ReportsRepo;
  recordings: RecordingsRepo;
  voicemails: VoicemailsRepo;
}

export interface ApiRouteDeps {
  store: ApiRepos;
  events: ApiEvents;
  /** Writes agent status changes (stored, told to routing, announced). */
  status: StatusWriter;
  /** SIP digest realm for the password hashes. */
  realm: string;
  /** The live view (GET /api/live). */
  live: LiveService;
  /** One-time WebSocket tickets for the web UI. */
  tickets: Tickets;
  /** Starts and stops the recording of calls in progress. */
  recordingControl: RecordingControl;
  /** Where a missing recording file is reported. */
  log: { warn(obj: object, msg: string): void };
}

export function apiRoutes({
  store,
  events,
  status,
  realm,
  live,
  tickets,
  recordingControl,
  log,
}: ApiRouteDeps): RouteDef[] {
  return [
    ...departmentRoutes({ departments: store.departments, events }),
    ...didRoutes({ dids: store.dids, events }),
    ...agentRoutes({ agents: store.agents, events, realm }),
    ...agentStatusRoutes({ agents: store.agents, agentStatus: store.agentStatus, status }),
    ...membershipRoutes({ memberships: store.memberships, events }),
    ...vipCallerRoutes({ vipCallers: store.vipCallers, events }),
    ...mobileAllowListRoutes({ mobileAllowList: store.mobileAllowList, events }),
    ...registrationRoutes({ registrations: store.registrations }),
    ...callRoutes({ callLog: store.callLog }),
    ...recordingRoutes({ recordings: store.recordings, control: recordingControl, log }),
    ...voicemailRoutes({ voicemails: store.voicemails }),
    ...reportRoutes({ reports: store.reports, live }),
    ...sessionRoutes({ tickets }),
  ];
}
