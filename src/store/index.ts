/**
 * The store: Postgres access for the rest of the app. One `Db` interface over
 * a Postgres server (`openPostgres`) and PGlite (`openPglite`), the migration
 * runner, and one repository per concept. Rows are camelCase objects of our
 * own types; driver errors arrive as ConflictError / ConstraintError /
 * NotFoundError naming the field.
 *
 * ```ts
 * const db = await openPglite('./data/db');        // or openPostgres(process.env.DATABASE_URL)
 * await migrate(db);
 * const store = createStore(db);
 * const dept = await store.departments.create({ name: 'Support', strategy: 'longest-idle' });
 * ```
 */
import { type AgentStatusRepo, agentStatusRepo } from './agent-status.ts';
import { type AgentsRepo, agentsRepo } from './agents.ts';
import { type CallLogRepo, callLogRepo } from './call-log.ts';
import { type CallbacksRepo, callbacksRepo } from './callbacks.ts';
import type { Db } from './db.ts';
import { type DepartmentsRepo, departmentsRepo } from './departments.ts';
import { type DidsRepo, didsRepo } from './dids.ts';
import { type MembershipsRepo, membershipsRepo } from './memberships.ts';
import { type MobileAllowListRepo, mobileAllowListRepo } from './mobile-allow-list.ts';
import { type RecordingsRepo, recordingsRepo } from './recordings.ts';
import { type RegistrationsRepo, registrationsRepo } from './registrations.ts';
import { type ReportsRepo, reportsRepo } from './reports.ts';
import { type VipCallersRepo, vipCallersRepo } from './vip-callers.ts';
import { type VoicemailsRepo, voicemailsRepo } from './voicemails.ts';

export {
  loadAcdConfig,
  toAgentConfig,
  toDepartmentConfig,
  toMembershipConfig,
} from './acd-config.ts';
export type {
  AgentStatusRepo,
  SetStatusInput,
  StatusChange,
} from './agent-status.ts';
export type {
  Agent,
  AgentCredentials,
  AgentInput,
  AgentPatch,
  AgentStatus,
  AgentsRepo,
  DigestHashes,
  ForwardingMode,
  Presence,
} from './agents.ts';
export type {
  AgentStatusEvent,
  AttemptEndedEvent,
  CallAnsweredEvent,
  CallArrivedEvent,
  CallEndedEvent,
  CallQueuedEvent,
  CallRingingEvent,
  CallRoutedEvent,
  JsonObject,
  JsonValue,
  LogEventInput,
  LoggedEvent,
} from './call-log-events.ts';
export type {
  AttemptFilter,
  Call,
  CallAttempt,
  CallFilter,
  CallWithAttempts,
  EventFilter,
} from './call-log-rows.ts';
export type { CallLogRepo } from './call-log.ts';
export type { CallbackEnd, CallbackRequest, CallbacksRepo } from './callbacks.ts';
export {
  ATTEMPT_RESULTS,
  CALL_OUTCOMES,
  type CallLogAttemptResult,
  type CallLogOutcome,
  MISSED_RING_RESULTS,
  STATUS_SOURCES,
  type StatusSource,
  UNQUEUED_OUTCOMES,
} from './call-vocabulary.ts';
export type { Page } from './keyset-page.ts';
export {
  type Db,
  openPostgres,
  type PostgresOptions,
  wrapPglite,
  type QueryResult,
  type SqlParam,
} from './db.ts';
export type {
  Department,
  DepartmentInput,
  DepartmentPatch,
  DepartmentsRepo,
  QueueExit,
  Strategy,
  WeeklyHours,
} from './departments.ts';
export type { Did, DidInput, DidPatch, DidsRepo } from './dids.ts';
export { ConflictError, ConstraintError, NotFoundError, StoreError } from './errors.ts';
export type {
  Membership,
  MembershipInput,
  MembershipPatch,
  MembershipsRepo,
} from './memberships.ts';
export {
  DEFAULT_SQL_DIR,
  loadMigrations,
  type MigrateResult,
  type Migration,
  MigrationError,
  type MigrationStatus,
  migrate,
  migrationStatus,
} from './migrate.ts';
export {
  type AllowListEntry,
  type AllowListInput,
  type AllowListPatch,
  type MobileAllowListRepo,
  matchesPattern,
} from './mobile-allow-list.ts';
export {
  BACKGROUND_NICENESS,
  openPglite,
  openPgliteThread,
  PGLITE_SETTINGS,
  type PgliteSource,
  type PgliteThreadDb,
} from './pglite-thread.ts';
export {
  DEFAULT_RETENTION_DAYS,
  type Recording,
  type RecordingInput,
  type RecordingsRepo,
} from './recordings.ts';
export type {
  Registration,
  RegistrationInput,
  RegistrationsRepo,
  SipTransport,
} from './registrations.ts';
export type {
  AgentReport,
  AgentReportQuery,
  DepartmentReport,
  DepartmentReportQuery,
  IntervalQuery,
  IntervalReport,
  IntervalRow,
  IntervalUnit,
  ReportRange,
  ReportsRepo,
} from './reports.ts';
export { INTERVAL_UNITS } from './report-intervals.ts';
export type { CallFigures } from './report-figures.ts';
export type { VipCaller, VipCallerInput, VipCallerPatch, VipCallersRepo } from './vip-callers.ts';
export type {
  Voicemail,
  VoicemailFilter,
  VoicemailInput,
  VoicemailPatch,
  VoicemailsRepo,
} from './voicemails.ts';

export interface Store {
  db: Db;
  departments: DepartmentsRepo;
  dids: DidsRepo;
  agents: AgentsRepo;
  memberships: MembershipsRepo;
  vipCallers: VipCallersRepo;
  mobileAllowList: MobileAllowListRepo;
  registrations: RegistrationsRepo;
  /** Finished call recordings (their files are in the recording folder). */
  recordings: RecordingsRepo;
  callLog: CallLogRepo;
  /** Callback requests that keep their place in the queue. */
  callbacks: CallbacksRepo;
  agentStatus: AgentStatusRepo;
  /** Figures per department and per agent over a range, from the call log. */
  reports: ReportsRepo;
  /** Messages left at the voicemail exit (their audio files live outside the database). */
  voicemails: VoicemailsRepo;
  /**
   * Runs `fn` with repositories bound to one transaction: every write inside
   * commits together or not at all.
   */
  transaction<T>(fn: (store: Store) => Promise<T>): Promise<T>;
}

export function createStore(db: Db): Store {
  return {
    db,
    departments: departmentsRepo(db),
    dids: didsRepo(db),
    agents: agentsRepo(db),
    memberships: membershipsRepo(db),
    vipCallers: vipCallersRepo(db),
    mobileAllowList: mobileAllowListRepo(db),
    registrations: registrationsRepo(db),
    recordings: recordingsRepo(db),
    callLog: callLogRepo(db),
    callbacks: callbacksRepo(db),
    agentStatus: agentStatusRepo(db),
    reports: reportsRepo(db),
    voicemails: voicemailsRepo(db),
    transaction: (fn) => db.transaction((tx) => fn(createStore(tx))),
  };
}
