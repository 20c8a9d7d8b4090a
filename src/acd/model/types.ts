/**
 * Configuration of the routing engine: departments, agents and memberships.
 *
 * These shapes mirror what the database keeps (one row per department, agent
 * and membership); `store/` maps its rows onto them. Column names suggested in
 * the comments are snake_case versions of the field names. Nothing here imports
 * any other layer.
 */

/** How a department picks the agent for a waiting call (see `strategies.ts`). */
export type Strategy =
  | 'random'
  | 'priority'
  | 'ring-all'
  | 'round-robin'
  | 'longest-idle'
  | 'fewest-calls'
  | 'least-talk-time'
  | 'least-busy'
  | 'most-busy';

export const STRATEGIES: readonly Strategy[] = [
  'random',
  'priority',
  'ring-all',
  'round-robin',
  'longest-idle',
  'fewest-calls',
  'least-talk-time',
  'least-busy',
  'most-busy',
];

/**
 * What happens to a call that leaves the queue without an agent
 * (maximum wait reached, queue full, nobody logged in, out of hours).
 * Stored as `<name>_action` ('overflow' | 'forward' | 'voicemail' | 'hangup')
 * plus `<name>_target` (department id or phone number).
 */
export type QueueExit =
  | { kind: 'overflow'; departmentId: string }
  | { kind: 'forward'; number: string }
  | { kind: 'voicemail' }
  | { kind: 'hangup' };

/** Opening hours for one weekday in the department's time zone: [open, close). */
export interface WeeklyHours {
  /** 0 = Sunday ... 6 = Saturday. */
  day: number;
  /** 'HH:MM', local wall-clock time. */
  open: string;
  /** 'HH:MM' after `open`; '24:00' means until midnight. */
  close: string;
}

export interface DepartmentConfig {
  id: string;
  name: string;
  strategy: Strategy;
  /** How long one agent rings before the call rolls over to the next agent. */
  ringTimeoutS: number;
  /** Wrap-up after each call of this department before the agent is free again (0 = none). */
  wrapUpS: number;
  /** Pause before a new round once every free agent has been tried for a call (0 = at once). */
  retryDelayS: number;
  /** Pause an agent after this many missed rings in a row (0 = never). */
  maxMissedRings: number;
  /** A returning caller served within this window goes first to the same agent (0 = off). */
  stickyWindowS: number;
  /** Service-level threshold: share of calls answered within this many seconds. */
  serviceLevelS: number;
  /**
   * Longest a connected call may last before it is hung up (null = no
   * limit): a lost BYE must not hold an agent for ever.
   */
  maxCallDurationS: number | null;
  /** Longest wait before `maxWaitAction` (null = no limit). */
  maxWaitS: number | null;
  maxWaitAction: QueueExit;
  /** Longest queue before new callers get `queueFullAction` (null = no limit). */
  maxQueueLength: number | null;
  queueFullAction: QueueExit;
  /** Applied at once when no member agent is logged in. */
  noAgentAction: QueueExit;
  /** Applied on arrival outside business hours or on a holiday. */
  outOfHoursAction: QueueExit;
  /** Position / expected-wait reminder interval while waiting (0 = only on entry). */
  announceIntervalS: number;
  /** IANA time zone of the business hours, e.g. 'Europe/Berlin'. */
  timeZone: string;
  /** Weekly hours; null = always open. An empty list = always closed. */
  businessHours: WeeklyHours[] | null;
  /** Local dates 'YYYY-MM-DD' on which the department is closed all day. */
  holidays: string[];
  /** Dial-outs of a callback request after the first that failed (default 2). */
  callbackRetries?: number;
  /** Pause before each of those retries (default 300 s). */
  callbackRetryIntervalS?: number;
}

/** The status an agent chooses (or an admin or the engine sets). */
export type Presence = 'available' | 'away' | 'break' | 'offline';

/** How an agent is reached: registered softphones, the mobile number, or both. */
export type ForwardingMode = 'softphone' | 'mobile' | 'both' | 'softphone-then-mobile';

export interface AgentConfig {
  id: string;
  name: string;
  /** Calls the agent may have at once (default 1). */
  maxConcurrentCalls: number;
  /** Status when the engine starts; later changes arrive as `agentStatusChanged` events. */
  status: Presence;
  /** End of a break (epoch ms); the agent becomes available by itself then. */
  statusUntil: number | null;
  forwarding: ForwardingMode;
  /** Personal mobile number reached through the trunk, if any. */
  mobileNumber: string | null;
  /** Registered softphone contacts when the engine starts; later via `agentDevicesChanged`. */
  registeredDevices: number;
}

export interface MembershipConfig {
  agentId: string;
  departmentId: string;
  /** 1 = highest ... 100 = lowest (used by the priority strategy). */
  priority: number;
  /** The agent's per-department calls on/off toggle. */
  callsEnabled: boolean;
}

export interface AcdConfig {
  departments: DepartmentConfig[];
  agents: AgentConfig[];
  memberships: MembershipConfig[];
}

/** Changes applied between two decisions without a restart (upserts, then removals). */
export interface ConfigChanges {
  departments?: DepartmentConfig[];
  agents?: AgentConfig[];
  memberships?: MembershipConfig[];
  removedMemberships?: { agentId: string; departmentId: string }[];
  removedAgents?: string[];
  removedDepartments?: string[];
}

/** Sensible defaults for a new department row. */
export function defaultDepartment(id: string, overrides: Partial<DepartmentConfig> = {}) {
  const d: DepartmentConfig = {
    id,
    name: id,
    strategy: 'longest-idle',
    ringTimeoutS: 20,
    wrapUpS: 0,
    retryDelayS: 5,
    maxMissedRings: 3,
    stickyWindowS: 0,
    serviceLevelS: 20,
    maxCallDurationS: 4 * 3600,
    maxWaitS: null,
    maxWaitAction: { kind: 'voicemail' },
    maxQueueLength: null,
    queueFullAction: { kind: 'voicemail' },
    noAgentAction: { kind: 'voicemail' },
    outOfHoursAction: { kind: 'voicemail' },
    announceIntervalS: 0,
    timeZone: 'UTC',
    businessHours: null,
    holidays: [],
  };
  return { ...d, ...overrides };
}

/** Sensible defaults for a new agent row. */
export function defaultAgent(id: string, overrides: Partial<AgentConfig> = {}): AgentConfig {
  return {
    id,
    name: id,
    maxConcurrentCalls: 1,
    status: 'available',
    statusUntil: null,
    forwarding: 'softphone',
    mobileNumber: null,
    registeredDevices: 1,
    ...overrides,
  };
}
