/**
 * Typed store errors. Repositories never leak a driver error for a known
 * cause: a unique violation becomes ConflictError, a check / foreign-key /
 * not-null violation ConstraintError, a missing row NotFoundError, each naming
 * the API field (camelCase) so the HTTP layer can answer 409/400/404 with it.
 * `cause` keeps the original driver error for the log.
 */

export class StoreError extends Error {
  override name = 'StoreError';
}

/** A unique key is taken (`field` names it, e.g. 'sipUsername'), or a row is still in use. */
export class ConflictError extends StoreError {
  override name = 'ConflictError';
  constructor(
    readonly field: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${field}: ${reason}`, options);
  }
}

/** A value the schema refuses: out of range, bad format, unknown reference. */
export class ConstraintError extends StoreError {
  override name = 'ConstraintError';
  constructor(
    /** The API field at fault; null when the database did not say. */
    readonly field: string | null,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(field ? `${field}: ${reason}` : reason, options);
  }
}

export class NotFoundError extends StoreError {
  override name = 'NotFoundError';
  constructor(
    /** What was looked for, e.g. 'agent'. */
    readonly entity: string,
    readonly id: string,
  ) {
    super(`${entity} ${id} not found`);
  }
}

/** Postgres SQLSTATE codes we branch on. */
export const PgCode = {
  uniqueViolation: '23505',
  foreignKeyViolation: '23503',
  checkViolation: '23514',
  notNullViolation: '23502',
  restrictViolation: '23001',
  invalidTextRepresentation: '22P02',
  noDataFound: 'P0002',
  numericOutOfRange: '22003',
  invalidDatetimeFormat: '22007',
  datetimeFieldOverflow: '22008',
  stringDataRightTruncation: '22001',
  duplicateObject: '42710',
  duplicateTable: '42P07',
} as const;

const TABLES = [
  'agent_status_history',
  'call_attempts',
  'mobile_allow_list',
  'registrations',
  'departments',
  'recordings',
  'memberships',
  'vip_callers',
  'event_log',
  'agents',
  'calls',
  'dids',
  'voicemails',
];

/** Constraints whose name does not end in the column they guard. */
const FIELD_OF_CONSTRAINT: Record<string, string> = {
  memberships_agent_department_key: 'departmentId',
  registrations_agent_contact_key: 'contactUri',
  departments_max_wait_number_check: 'maxWaitAction',
  departments_max_wait_department_id_fkey: 'maxWaitAction',
  departments_queue_full_number_check: 'queueFullAction',
  departments_queue_full_department_id_fkey: 'queueFullAction',
  departments_no_agent_number_check: 'noAgentAction',
  departments_no_agent_department_id_fkey: 'noAgentAction',
  departments_out_of_hours_number_check: 'outOfHoursAction',
  departments_out_of_hours_department_id_fkey: 'outOfHoursAction',
  departments_max_wait_target_check: 'maxWaitAction',
  departments_queue_full_target_check: 'queueFullAction',
  departments_no_agent_target_check: 'noAgentAction',
  departments_out_of_hours_target_check: 'outOfHoursAction',
  departments_exit_key_target_check: 'exitKeyAction',
  departments_exit_key_department_id_check: 'exitKeyAction',
  departments_callback_key_exit_key_check: 'callbackKey',
  agents_mobile_number_required_check: 'mobileNumber',
  agents_sip_password_check: 'sipPassword',
  calls_ended_check: 'outcome',
  calls_answered_check: 'answeredAt',
  call_attempts_ended_check: 'result',
  event_log_append_only: 'eventLog',
  recordings_ended_after_started_check: 'endedAt',
  calls_pkey: 'callId',
  call_attempts_pkey: 'attemptId',
};

const REASON_OF_CONSTRAINT: Record<string, string> = {
  departments_max_wait_target_check: 'overflow needs a department, forward needs a number',
  departments_queue_full_target_check: 'overflow needs a department, forward needs a number',
  departments_no_agent_target_check: 'overflow needs a department, forward needs a number',
  departments_out_of_hours_target_check: 'overflow needs a department, forward needs a number',
  departments_exit_key_target_check: 'forward needs a number',
  departments_exit_key_department_id_check: 'the exit key cannot overflow',
  departments_callback_key_exit_key_check: 'must differ from the exit key',
  agents_mobile_number_required_check: 'required when the forwarding mode uses the mobile',
  agents_sip_password_check: 'both digest hashes or neither',
  event_log_append_only: 'the event log is append-only',
};

/** Tables named by the projection trigger's "not found" errors. */
const ENTITY_OF_TABLE: Record<string, string> = {
  calls: 'call',
  call_attempts: 'attempt',
};

const REASON_OF_FIELD: Record<string, string> = {
  priority: 'must be an integer from 1 (highest) to 100 (lowest)',
  strategy:
    'must be one of random, priority, ring-all, round-robin, longest-idle, fewest-calls, least-talk-time, least-busy, most-busy',
  forwardingMode: 'must be one of softphone, mobile, both, softphone-then-mobile',
  status: 'must be one of available, away, break, offline',
  statusUntil: "only a status other than 'available' can have an end time",
  maxConcurrentCalls: 'must be an integer from 1 to 100',
  pattern: "must be an E.164 number or prefix ending in '*', e.g. +4930*",
  sipUsername: "must be 1-64 characters of letters, digits and . _ ~ ! $ & ' ( ) * + , ; = -",
  ha1Md5: 'must be 32 lowercase hex digits',
  ha1Sha256: 'must be 64 lowercase hex digits',
  name: 'must be 1-200 characters, not only spaces',
  ringTimeoutS: 'must be 1-600 seconds',
  wrapUpS: 'must be 0-3600 seconds',
  retryDelayS: 'must be 0-3600 seconds',
  maxMissedRings: 'must be 0 (never pause) to 100',
  stickyWindowS: 'must be 0-31536000 seconds',
  serviceLevelS: 'must be 1-3600 seconds',
  announceIntervalS: 'must be 0-3600 seconds',
  voicemailMaxS: 'must be 5-3600 seconds',
  maxWaitS: 'must be 1-86400 seconds, or null for no limit',
  maxCallDurationS: 'must be 60-604800 seconds, or null for no limit',
  maxQueueLength: 'must be 0-100000, or null for no limit',
  mobileDelayS: 'must be 0-600 seconds',
  sourcePort: 'must be 1-65535',
  transport: 'must be one of udp, tcp, tls, ws, wss',
  timeZone: 'must be 1-64 characters',
  businessHours: 'must be a list of { day, open, close }, or null',
  holidays: "must be a list of dates 'YYYY-MM-DD'",
  contactUri: 'must be 1-2048 characters',
  promptsFolder: 'must be an absolute path without blanks, "!" or ".." segments',
  mohFolder: 'must be an absolute path without blanks, "!" or ".." segments',
  welcomePrompt: 'must be an absolute path to a .wav file without blanks, "!" or ".." segments',
  outOfHoursPrompt: 'must be an absolute path to a .wav file without blanks, "!" or ".." segments',
  queueFullPrompt: 'must be an absolute path to a .wav file without blanks, "!" or ".." segments',
  noAgentPrompt: 'must be an absolute path to a .wav file without blanks, "!" or ".." segments',
  maxWaitPrompt: 'must be an absolute path to a .wav file without blanks, "!" or ".." segments',
  namePrompt: 'must be an absolute path to a .wav file without blanks, "!" or ".." segments',
  exitKey: 'must be one DTMF key: 0-9, * or #',
  exitKeyAction: 'must be forward (with a number), voicemail or hangup',
  recordingRetentionDays: 'must be 1-3650 days',
  callbackKey: 'must be one DTMF digit 0-9, other than the exit key, or null',
  callbackRetries: 'must be 0-10',
  callbackRetryIntervalS: 'must be 10-86400 seconds',
};

function reasonOf(constraint: string | undefined): string {
  if (!constraint) return 'value not allowed';
  const known = REASON_OF_CONSTRAINT[constraint];
  if (known) return known;
  if (/(^|_)(number|caller_number)_check$/.test(constraint)) {
    return 'must be an E.164 number: + then 2-15 digits, not starting with 0';
  }
  const field = fieldOfConstraint(constraint);
  if (field && REASON_OF_FIELD[field]) return REASON_OF_FIELD[field];
  return 'value not allowed';
}

export function camelCase(snake: string): string {
  return snake.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** 'agents_sip_username_key' -> 'sipUsername'. */
export function fieldOfConstraint(constraint: string | undefined): string | null {
  if (!constraint) return null;
  const known = FIELD_OF_CONSTRAINT[constraint];
  if (known) return known;
  const table = TABLES.find((t) => constraint.startsWith(`${t}_`));
  const rest = table ? constraint.slice(table.length + 1) : constraint;
  const column = rest.replace(/_(check|key|fkey|pkey)$/, '');
  return column ? camelCase(column) : null;
}

interface PgErrorShape {
  code?: unknown;
  constraint?: unknown;
  column?: unknown;
  table?: unknown;
  detail?: unknown;
  message?: unknown;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * Turns a driver error (pg or PGlite; both carry the server's fields) into a
 * store error; anything unrecognised is returned unchanged.
 */
export function toStoreError(err: unknown): unknown {
  if (err instanceof StoreError || typeof err !== 'object' || err === null) return err;
  const e = err as PgErrorShape;
  const code = str(e.code);
  const constraint = str(e.constraint);
  const detail = str(e.detail) ?? '';
  const options = { cause: err };
  // Deleting a row others point at: Postgres 15 says 23503 "is still
  // referenced", 17 (PGlite) says 23001 "is referenced" for ON DELETE RESTRICT.
  const referencedFrom = /is (?:still )?referenced from table "([^"]+)"/.exec(detail)?.[1];
  if (
    referencedFrom &&
    (code === PgCode.foreignKeyViolation || code === PgCode.restrictViolation)
  ) {
    const by = fieldOfConstraint(constraint);
    return new ConflictError(
      'id',
      `still in use by ${camelCase(referencedFrom)}${by ? ` (${by})` : ''}`,
      options,
    );
  }
  // Raised by the call-log projection (sql/0004, sql/0005): the message is ours.
  if (code === PgCode.checkViolation && constraint === 'event_log_projection') {
    return new ConstraintError(str(e.column) ?? null, str(e.message) ?? 'invalid event', options);
  }
  if (code === PgCode.noDataFound) {
    const table = str(e.table) ?? '';
    return new NotFoundError(ENTITY_OF_TABLE[table] ?? table, detail);
  }
  switch (code) {
    case PgCode.uniqueViolation: {
      const field = fieldOfConstraint(constraint) ?? 'id';
      return new ConflictError(field, 'already exists', options);
    }
    case PgCode.foreignKeyViolation:
      return new ConstraintError(
        fieldOfConstraint(constraint),
        'refers to a record that does not exist',
        options,
      );
    case PgCode.checkViolation:
    case PgCode.restrictViolation: {
      const field = fieldOfConstraint(constraint);
      const reason = reasonOf(constraint);
      return new ConstraintError(field, reason, options);
    }
    case PgCode.notNullViolation: {
      const column = str(e.column);
      return new ConstraintError(column ? camelCase(column) : null, 'is required', options);
    }
    case PgCode.invalidTextRepresentation:
    case PgCode.numericOutOfRange:
    case PgCode.invalidDatetimeFormat:
    case PgCode.datetimeFieldOverflow:
    case PgCode.stringDataRightTruncation:
      return new ConstraintError(null, 'invalid value', options);
    default:
      return err;
  }
}
