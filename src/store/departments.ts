/**
 * Departments: routing strategy, timers, queue exits, business hours.
 * The row has the field names of the engine's `DepartmentConfig` (src/acd),
 * so the app hands a row to the engine as it is.
 */
import type { QueueExit, Strategy, WeeklyHours } from '../acd/model/types.ts';
import type { Db, SqlParam } from './db.ts';
import { ConstraintError, NotFoundError } from './errors.ts';
import {
  type ColumnSpec,
  columnsOf,
  insertParts,
  isUuid,
  json,
  orNotFound,
  setClause,
  toDate,
} from './sql-helpers.ts';

export type { QueueExit, Strategy, WeeklyHours };

export interface Department {
  id: string;
  name: string;
  strategy: Strategy;
  ringTimeoutS: number;
  wrapUpS: number;
  retryDelayS: number;
  /** Auto-pause an agent after this many missed rings in a row (0 = never). */
  maxMissedRings: number;
  stickyWindowS: number;
  serviceLevelS: number;
  announceIntervalS: number;
  /** A connected call is hung up after this long (null = no limit). */
  maxCallDurationS: number | null;
  /** null = no limit. */
  maxWaitS: number | null;
  maxWaitAction: QueueExit;
  /** null = no limit. */
  maxQueueLength: number | null;
  queueFullAction: QueueExit;
  noAgentAction: QueueExit;
  outOfHoursAction: QueueExit;
  /** IANA zone, e.g. 'Europe/Berlin'. */
  timeZone: string;
  /** null = always open; [] = always closed. */
  businessHours: WeeklyHours[] | null;
  /** Local dates 'YYYY-MM-DD', closed all day. */
  holidays: string[];
  /** Media paths as the media server sees them; null = the shipped default. */
  promptsFolder: string | null;
  mohFolder: string | null;
  welcomeEnabled: boolean;
  welcomePrompt: string | null;
  outOfHoursPrompt: string | null;
  queueFullPrompt: string | null;
  noAgentPrompt: string | null;
  maxWaitPrompt: string | null;
  /** DTMF key that leaves the queue (null = none), and where to. */
  exitKey: string | null;
  exitKeyAction: QueueExit;
  /** Record every answered call (stereo WAV, caller left, agent right). */
  recordCalls: boolean;
  /** Days a recording is kept after its call, then deleted by the retention job. */
  recordingRetentionDays: number;
  /** Longest voicemail a caller may leave, in seconds. */
  voicemailMaxS: number;
  /** The department's name as spoken to agents ("Call for <name>"); null = "your department". */
  namePrompt: string | null;
  /** DTMF digit that asks for a callback keeping the place (null = no callbacks). */
  callbackKey: string | null;
  /** Dial-outs after the first when the customer does not answer. */
  callbackRetries: number;
  callbackRetryIntervalS: number;
  createdAt: Date;
  updatedAt: Date;
}

type Settable = Omit<Department, 'id' | 'createdAt' | 'updatedAt'>;
/** `name` is required; everything else has the schema's default. */
export type DepartmentInput = Pick<Settable, 'name'> & Partial<Omit<Settable, 'name'>>;
export type DepartmentPatch = Partial<Settable>;

const EXITS = ['maxWait', 'queueFull', 'noAgent', 'outOfHours', 'exitKey'] as const;
const EXIT_COLUMN: Record<(typeof EXITS)[number], string> = {
  maxWait: 'max_wait',
  queueFull: 'queue_full',
  noAgent: 'no_agent',
  outOfHours: 'out_of_hours',
  exitKey: 'exit_key',
};

interface DepartmentRecord {
  id: string;
  name: string;
  strategy: Strategy;
  ring_timeout_s: number;
  wrap_up_s: number;
  retry_delay_s: number;
  max_missed_rings: number;
  sticky_window_s: number;
  service_level_s: number;
  announce_interval_s: number;
  max_call_duration_s: number | null;
  max_wait_s: number | null;
  max_queue_length: number | null;
  time_zone: string;
  business_hours: WeeklyHours[] | null;
  holidays: string[];
  prompts_folder: string | null;
  moh_folder: string | null;
  welcome_enabled: boolean;
  welcome_prompt: string | null;
  out_of_hours_prompt: string | null;
  queue_full_prompt: string | null;
  no_agent_prompt: string | null;
  max_wait_prompt: string | null;
  exit_key: string | null;
  record_calls: boolean;
  recording_retention_days: number;
  voicemail_max_s: number;
  name_prompt: string | null;
  callback_key: string | null;
  callback_retries: number;
  callback_retry_interval_s: number;
  created_at: Date;
  updated_at: Date;
  [exitColumn: string]: unknown;
}

function exitOf(r: DepartmentRecord, prefix: string): QueueExit {
  const action = r[`${prefix}_action`];
  switch (action) {
    case 'overflow':
      return { kind: 'overflow', departmentId: String(r[`${prefix}_department_id`]) };
    case 'forward':
      return { kind: 'forward', number: String(r[`${prefix}_number`]) };
    case 'hangup':
      return { kind: 'hangup' };
    default:
      return { kind: 'voicemail' };
  }
}

function fromRecord(r: DepartmentRecord): Department {
  return {
    id: r.id,
    name: r.name,
    strategy: r.strategy,
    ringTimeoutS: r.ring_timeout_s,
    wrapUpS: r.wrap_up_s,
    retryDelayS: r.retry_delay_s,
    maxMissedRings: r.max_missed_rings,
    stickyWindowS: r.sticky_window_s,
    serviceLevelS: r.service_level_s,
    announceIntervalS: r.announce_interval_s,
    maxCallDurationS: r.max_call_duration_s,
    maxWaitS: r.max_wait_s,
    maxWaitAction: exitOf(r, 'max_wait'),
    maxQueueLength: r.max_queue_length,
    queueFullAction: exitOf(r, 'queue_full'),
    noAgentAction: exitOf(r, 'no_agent'),
    outOfHoursAction: exitOf(r, 'out_of_hours'),
    timeZone: r.time_zone,
    businessHours: r.business_hours,
    holidays: r.holidays,
    promptsFolder: r.prompts_folder,
    mohFolder: r.moh_folder,
    welcomeEnabled: r.welcome_enabled,
    welcomePrompt: r.welcome_prompt,
    outOfHoursPrompt: r.out_of_hours_prompt,
    queueFullPrompt: r.queue_full_prompt,
    noAgentPrompt: r.no_agent_prompt,
    maxWaitPrompt: r.max_wait_prompt,
    exitKey: r.exit_key,
    exitKeyAction: exitOf(r, 'exit_key'),
    recordCalls: r.record_calls,
    recordingRetentionDays: r.recording_retention_days,
    voicemailMaxS: r.voicemail_max_s,
    namePrompt: r.name_prompt,
    callbackKey: r.callback_key,
    callbackRetries: r.callback_retries,
    callbackRetryIntervalS: r.callback_retry_interval_s,
    createdAt: toDate(r.created_at),
    updatedAt: toDate(r.updated_at),
  };
}

const SCALARS: ColumnSpec = {
  ...columnsOf(
    'name',
    'strategy',
    'ringTimeoutS',
    'wrapUpS',
    'retryDelayS',
    'maxMissedRings',
    'stickyWindowS',
    'serviceLevelS',
    'announceIntervalS',
    'maxCallDurationS',
    'maxWaitS',
    'maxQueueLength',
    'timeZone',
    'promptsFolder',
    'mohFolder',
    'welcomeEnabled',
    'welcomePrompt',
    'outOfHoursPrompt',
    'queueFullPrompt',
    'noAgentPrompt',
    'maxWaitPrompt',
    'exitKey',
    'recordCalls',
    'recordingRetentionDays',
    'voicemailMaxS',
    'namePrompt',
    'callbackKey',
    'callbackRetries',
    'callbackRetryIntervalS',
  ),
  businessHours: { column: 'business_hours', cast: '::text::jsonb', encode: json },
  holidays: { column: 'holidays', cast: '::text::jsonb', encode: json },
};

/** `{ maxWaitAction: {kind:'forward', number} }` -> the three columns of that exit. */
function exitColumns(patch: DepartmentPatch): Record<string, SqlParam> {
  const out: Record<string, SqlParam> = {};
  for (const exit of EXITS) {
    const value = patch[`${exit}Action`];
    if (value === undefined) continue;
    if (value === null || typeof value !== 'object') {
      throw new ConstraintError(`${exit}Action`, 'must be an object with a kind');
    }
    const prefix = EXIT_COLUMN[exit];
    out[`${prefix}_action`] = value.kind;
    out[`${prefix}_department_id`] = value.kind === 'overflow' ? value.departmentId : null;
    out[`${prefix}_number`] = value.kind === 'forward' ? value.number : null;
    if (value.kind === 'overflow' && !isUuid(value.departmentId)) {
      throw new ConstraintError(`${exit}Action`, 'refers to a record that does not exist');
    }
  }
  return out;
}

export interface DepartmentsRepo {
  list(): Promise<Department[]>;
  /** null when there is no such department. */
  get(id: string): Promise<Department | null>;
  getByName(name: string): Promise<Department | null>;
  create(input: DepartmentInput): Promise<Department>;
  /** Throws NotFoundError. */
  update(id: string, patch: DepartmentPatch): Promise<Department>;
  /** Throws NotFoundError; ConflictError while DIDs or other departments' exits point at it. */
  remove(id: string): Promise<void>;
}

export function departmentsRepo(db: Db): DepartmentsRepo {
  const get = async (id: string) => {
    if (!isUuid(id)) return null;
    const { rows } = await db.query<DepartmentRecord>('SELECT * FROM departments WHERE id = $1', [
      id,
    ]);
    return rows[0] ? fromRecord(rows[0]) : null;
  };
  return {
    async list() {
      const { rows } = await db.query<DepartmentRecord>('SELECT * FROM departments ORDER BY name');
      return rows.map(fromRecord);
    },
    get,
    async getByName(name) {
      const { rows } = await db.query<DepartmentRecord>(
        'SELECT * FROM departments WHERE name = $1',
        [name],
      );
      return rows[0] ? fromRecord(rows[0]) : null;
    },
    async create(input) {
      const params: SqlParam[] = [];
      const { columns, values } = insertParts(input, SCALARS, params);
      for (const [column, value] of Object.entries(exitColumns(input))) {
        params.push(value);
        columns.push(column);
        values.push(`$${params.length}`);
      }
      const { rows } = await db.query<DepartmentRecord>(
        `INSERT INTO departments (${columns.join(', ')}) VALUES (${values.join(', ')}) RETURNING *`,
        params,
      );
      return fromRecord(orNotFound(rows[0], 'department', input.name));
    },
    async update(id, patch) {
      if (!isUuid(id)) throw new NotFoundError('department', id);
      const params: SqlParam[] = [id];
      const sets = setClause(patch, SCALARS, params);
      for (const [column, value] of Object.entries(exitColumns(patch))) {
        params.push(value);
        sets.push(`${column} = $${params.length}`);
      }
      sets.push('updated_at = now()');
      const { rows } = await db.query<DepartmentRecord>(
        `UPDATE departments SET ${sets.join(', ')} WHERE id = $1 RETURNING *`,
        params,
      );
      return fromRecord(orNotFound(rows[0], 'department', id));
    },
    async remove(id) {
      if (!isUuid(id)) throw new NotFoundError('department', id);
      const { rowCount } = await db.query('DELETE FROM departments WHERE id = $1', [id]);
      if (rowCount === 0) throw new NotFoundError('department', id);
    },
  };
}
