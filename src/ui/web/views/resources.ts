/**
 * What the routing editor can change: every configuration resource of the
 * API with its fields. The API validates; the editor only shapes the input
 * (numbers as numbers, empty as null where the API allows null, JSON fields
 * parsed) and shows the API's message next to the field it names.
 */
export type FieldKind = 'text' | 'number' | 'select' | 'checkbox' | 'json' | 'password' | 'ref';

export interface FieldDef {
  name: string;
  label: string;
  kind: FieldKind;
  /** select: the choices. */
  options?: string[];
  /** ref: the resource whose ids it takes. */
  ref?: string;
  /** Empty input sends null (else the field is left out). */
  nullable?: boolean;
  /** Sent only when filled in (passwords). */
  writeOnly?: boolean;
  /** Set on create only (the API cannot move a membership to another agent). */
  createOnly?: boolean;
  help?: string;
}

export interface ResourceDef {
  key: string;
  title: string;
  path: string;
  label: (row: Record<string, unknown>) => string;
  fields: FieldDef[];
}

const STRATEGIES = [
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
const exit = (name: string, label: string): FieldDef => ({
  name,
  label,
  kind: 'json',
  help: '{"kind":"voicemail"}, {"kind":"hangup"}, {"kind":"overflow","departmentId":"…"} or {"kind":"forward","number":"+49…"}',
});

export const RESOURCES: ResourceDef[] = [
  {
    key: 'departments',
    title: 'Departments',
    path: '/api/departments',
    label: (r) => String(r.name),
    fields: [
      { name: 'name', label: 'Name', kind: 'text' },
      { name: 'strategy', label: 'Strategy', kind: 'select', options: STRATEGIES },
      { name: 'ringTimeoutS', label: 'Ring timeout (s)', kind: 'number' },
      { name: 'wrapUpS', label: 'Wrap-up (s)', kind: 'number' },
      { name: 'retryDelayS', label: 'Retry delay (s)', kind: 'number' },
      {
        name: 'maxMissedRings',
        label: 'Auto-pause after missed rings (0 = never)',
        kind: 'number',
      },
      { name: 'stickyWindowS', label: 'Sticky agent window (s, 0 = off)', kind: 'number' },
      { name: 'serviceLevelS', label: 'Service level target (s)', kind: 'number' },
      { name: 'announceIntervalS', label: 'Announce interval (s)', kind: 'number' },
      {
        name: 'maxCallDurationS',
        label: 'Maximum call duration (s, empty = none)',
        kind: 'number',
        nullable: true,
      },
      { name: 'maxWaitS', label: 'Maximum wait (s, empty = none)', kind: 'number', nullable: true },
      {
        name: 'maxQueueLength',
        label: 'Maximum queue length (empty = none)',
        kind: 'number',
        nullable: true,
      },
      exit('maxWaitAction', 'After the maximum wait'),
      exit('queueFullAction', 'When the queue is full'),
      exit('noAgentAction', 'When no agent is logged in'),
      exit('outOfHoursAction', 'Out of hours'),
      { name: 'timeZone', label: 'Time zone', kind: 'text', help: 'IANA, e.g. Europe/Berlin' },
      {
        name: 'businessHours',
        label: 'Business hours (JSON, empty = always open)',
        kind: 'json',
        nullable: true,
        help: '[{"day":1,"open":"09:00","close":"17:00"}] (day 0 = Sunday)',
      },
      { name: 'holidays', label: 'Holidays (JSON)', kind: 'json', help: '["2026-12-25"]' },
      { name: 'recordCalls', label: 'Record calls', kind: 'checkbox' },
      {
        name: 'recordingRetentionDays',
        label: 'Keep recordings (days)',
        kind: 'number',
        help: '1-3650; older recordings are deleted daily',
      },
      {
        name: 'callbackKey',
        label: 'Callback key (empty = no callbacks)',
        kind: 'select',
        options: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
        nullable: true,
        help: 'A waiting caller presses it to be called back without losing the place; not the exit key',
      },
      { name: 'callbackRetries', label: 'Callback retries', kind: 'number' },
      { name: 'callbackRetryIntervalS', label: 'Callback retry interval (s)', kind: 'number' },
    ],
  },
  {
    key: 'dids',
    title: 'Numbers',
    path: '/api/dids',
    label: (r) => String(r.number),
    fields: [
      { name: 'number', label: 'Dialled number (E.164)', kind: 'text' },
      { name: 'departmentId', label: 'Department', kind: 'ref', ref: 'departments' },
    ],
  },
  {
    key: 'agents',
    title: 'Agents',
    path: '/api/agents',
    label: (r) => String(r.name),
    fields: [
      { name: 'name', label: 'Name', kind: 'text' },
      { name: 'sipUsername', label: 'SIP username', kind: 'text' },
      {
        name: 'password',
        label: 'SIP password (leave empty to keep)',
        kind: 'password',
        writeOnly: true,
      },
      { name: 'mobileNumber', label: 'Mobile number (E.164)', kind: 'text', nullable: true },
      {
        name: 'forwardingMode',
        label: 'Forwarding',
        kind: 'select',
        options: ['softphone', 'mobile', 'both', 'softphone-then-mobile'],
      },
      { name: 'mobileDelayS', label: 'Mobile delay (s)', kind: 'number' },
      { name: 'maxConcurrentCalls', label: 'Maximum concurrent calls', kind: 'number' },
      { name: 'mayChangeOwnStatus', label: 'May change own status', kind: 'checkbox' },
      {
        name: 'confirmMobileAnswer',
        label: 'Mobile answers need 1 to accept',
        kind: 'checkbox',
      },
    ],
  },
  {
    key: 'memberships',
    title: 'Memberships',
    path: '/api/memberships',
    label: (r) => `${String(r.agentId).slice(0, 8)} → ${String(r.departmentId).slice(0, 8)}`,
    fields: [
      { name: 'agentId', label: 'Agent', kind: 'ref', ref: 'agents', createOnly: true },
      {
        name: 'departmentId',
        label: 'Department',
        kind: 'ref',
        ref: 'departments',
        createOnly: true,
      },
      { name: 'priority', label: 'Priority (1 highest - 100)', kind: 'number' },
      { name: 'callsEnabled', label: 'Takes calls', kind: 'checkbox' },
    ],
  },
  {
    key: 'vip-callers',
    title: 'VIP callers',
    path: '/api/vip-callers',
    label: (r) => String(r.callerNumber),
    fields: [
      { name: 'callerNumber', label: 'Caller number (E.164)', kind: 'text' },
      {
        name: 'dedicatedAgentId',
        label: 'Dedicated agent',
        kind: 'ref',
        ref: 'agents',
        nullable: true,
      },
      { name: 'note', label: 'Note', kind: 'text', nullable: true },
    ],
  },
  {
    key: 'mobile-allow-list',
    title: 'Mobile allow-list',
    path: '/api/mobile-allow-list',
    label: (r) => String(r.pattern),
    fields: [
      { name: 'pattern', label: 'Number or prefix (+4930*, +*)', kind: 'text' },
      { name: 'description', label: 'Description', kind: 'text', nullable: true },
    ],
  },
];
