-- Configuration: departments, dialled numbers, agents, memberships, VIP
-- callers, the mobile allow-list. Constraints live here so that no client
-- (API, CLI, a hand-written psql session) can store a value the router would
-- choke on. Constraint names are stable: src/store/errors.ts maps them to the
-- API's field names.

CREATE TABLE departments (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL CONSTRAINT departments_name_key UNIQUE
    CONSTRAINT departments_name_check CHECK (length(btrim(name)) BETWEEN 1 AND 200),
  strategy text NOT NULL DEFAULT 'longest-idle'
    CONSTRAINT departments_strategy_check CHECK (strategy IN ('random', 'priority', 'ring-all',
      'round-robin', 'longest-idle', 'fewest-calls', 'least-talk-time', 'least-busy', 'most-busy')),
  ring_timeout_s integer NOT NULL DEFAULT 20
    CONSTRAINT departments_ring_timeout_s_check CHECK (ring_timeout_s BETWEEN 1 AND 600),
  wrap_up_s integer NOT NULL DEFAULT 0
    CONSTRAINT departments_wrap_up_s_check CHECK (wrap_up_s BETWEEN 0 AND 3600),
  retry_delay_s integer NOT NULL DEFAULT 5
    CONSTRAINT departments_retry_delay_s_check CHECK (retry_delay_s BETWEEN 0 AND 3600),
  max_missed_rings integer NOT NULL DEFAULT 3
    CONSTRAINT departments_max_missed_rings_check CHECK (max_missed_rings BETWEEN 0 AND 100),
  sticky_window_s integer NOT NULL DEFAULT 0
    CONSTRAINT departments_sticky_window_s_check CHECK (sticky_window_s BETWEEN 0 AND 31536000),
  service_level_s integer NOT NULL DEFAULT 20
    CONSTRAINT departments_service_level_s_check CHECK (service_level_s BETWEEN 1 AND 3600),
  announce_interval_s integer NOT NULL DEFAULT 0
    CONSTRAINT departments_announce_interval_s_check CHECK (announce_interval_s BETWEEN 0 AND 3600),
  -- NULL = no limit. A connected call is hung up after max_call_duration_s,
  -- so a lost BYE cannot hold an agent for ever.
  max_call_duration_s integer DEFAULT 14400
    CONSTRAINT departments_max_call_duration_s_check
      CHECK (max_call_duration_s BETWEEN 60 AND 604800),
  max_wait_s integer
    CONSTRAINT departments_max_wait_s_check CHECK (max_wait_s BETWEEN 1 AND 86400),
  max_queue_length integer
    CONSTRAINT departments_max_queue_length_check CHECK (max_queue_length BETWEEN 0 AND 100000),
  -- Each way out of the queue: an action, and its target for 'overflow'
  -- (another department) or 'forward' (a number). The checks tie the target
  -- to the action so a half-configured exit cannot be stored.
  max_wait_action text NOT NULL DEFAULT 'voicemail'
    CONSTRAINT departments_max_wait_action_check
      CHECK (max_wait_action IN ('overflow', 'forward', 'voicemail', 'hangup')),
  max_wait_department_id uuid CONSTRAINT departments_max_wait_department_id_fkey
    REFERENCES departments (id) ON DELETE RESTRICT,
  max_wait_number text
    CONSTRAINT departments_max_wait_number_check CHECK (max_wait_number ~ '^\+[1-9][0-9]{1,14}$'),
  queue_full_action text NOT NULL DEFAULT 'voicemail'
    CONSTRAINT departments_queue_full_action_check
      CHECK (queue_full_action IN ('overflow', 'forward', 'voicemail', 'hangup')),
  queue_full_department_id uuid CONSTRAINT departments_queue_full_department_id_fkey
    REFERENCES departments (id) ON DELETE RESTRICT,
  queue_full_number text
    CONSTRAINT departments_queue_full_number_check CHECK (queue_full_number ~ '^\+[1-9][0-9]{1,14}$'),
  no_agent_action text NOT NULL DEFAULT 'voicemail'
    CONSTRAINT departments_no_agent_action_check
      CHECK (no_agent_action IN ('overflow', 'forward', 'voicemail', 'hangup')),
  no_agent_department_id uuid CONSTRAINT departments_no_agent_department_id_fkey
    REFERENCES departments (id) ON DELETE RESTRICT,
  no_agent_number text
    CONSTRAINT departments_no_agent_number_check CHECK (no_agent_number ~ '^\+[1-9][0-9]{1,14}$'),
  out_of_hours_action text NOT NULL DEFAULT 'voicemail'
    CONSTRAINT departments_out_of_hours_action_check
      CHECK (out_of_hours_action IN ('overflow', 'forward', 'voicemail', 'hangup')),
  out_of_hours_department_id uuid CONSTRAINT departments_out_of_hours_department_id_fkey
    REFERENCES departments (id) ON DELETE RESTRICT,
  out_of_hours_number text
    CONSTRAINT departments_out_of_hours_number_check CHECK (out_of_hours_number ~ '^\+[1-9][0-9]{1,14}$'),
  time_zone text NOT NULL DEFAULT 'UTC'
    CONSTRAINT departments_time_zone_check CHECK (length(time_zone) BETWEEN 1 AND 64),
  -- Weekly hours as [{ "day": 0-6, "open": "HH:MM", "close": "HH:MM" }]; NULL =
  -- always open. The shape is checked here, the times by the application.
  business_hours jsonb
    CONSTRAINT departments_business_hours_check
      CHECK (business_hours IS NULL OR jsonb_typeof(business_hours) = 'array'),
  -- Local dates 'YYYY-MM-DD' on which the department is closed all day.
  holidays jsonb NOT NULL DEFAULT '[]'
    CONSTRAINT departments_holidays_check CHECK (jsonb_typeof(holidays) = 'array'),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT departments_max_wait_target_check CHECK (
    (max_wait_action = 'overflow') = (max_wait_department_id IS NOT NULL)
    AND (max_wait_action = 'forward') = (max_wait_number IS NOT NULL)),
  CONSTRAINT departments_queue_full_target_check CHECK (
    (queue_full_action = 'overflow') = (queue_full_department_id IS NOT NULL)
    AND (queue_full_action = 'forward') = (queue_full_number IS NOT NULL)),
  CONSTRAINT departments_no_agent_target_check CHECK (
    (no_agent_action = 'overflow') = (no_agent_department_id IS NOT NULL)
    AND (no_agent_action = 'forward') = (no_agent_number IS NOT NULL)),
  CONSTRAINT departments_out_of_hours_target_check CHECK (
    (out_of_hours_action = 'overflow') = (out_of_hours_department_id IS NOT NULL)
    AND (out_of_hours_action = 'forward') = (out_of_hours_number IS NOT NULL))
);

-- Dialled numbers (DIDs): which department answers a number.
CREATE TABLE dids (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  number text NOT NULL CONSTRAINT dids_number_key UNIQUE
    CONSTRAINT dids_number_check CHECK (number ~ '^\+[1-9][0-9]{1,14}$'),
  department_id uuid NOT NULL CONSTRAINT dids_department_id_fkey
    REFERENCES departments (id) ON DELETE RESTRICT,
  description text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dids_department_id_idx ON dids (department_id);

CREATE TABLE agents (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL CONSTRAINT agents_name_check CHECK (length(btrim(name)) BETWEEN 1 AND 200),
  sip_username text NOT NULL CONSTRAINT agents_sip_username_key UNIQUE
    CONSTRAINT agents_sip_username_check CHECK (sip_username ~ '^[A-Za-z0-9._~!$&''()*+,;=-]{1,64}$'),
  -- Digest HA1 = H(username:realm:password) for MD5 and SHA-256; NULL = no
  -- softphone password set (the agent cannot register).
  ha1_md5 text CONSTRAINT agents_ha1_md5_check CHECK (ha1_md5 ~ '^[0-9a-f]{32}$'),
  ha1_sha256 text CONSTRAINT agents_ha1_sha256_check CHECK (ha1_sha256 ~ '^[0-9a-f]{64}$'),
  mobile_number text
    CONSTRAINT agents_mobile_number_check CHECK (mobile_number ~ '^\+[1-9][0-9]{1,14}$'),
  forwarding_mode text NOT NULL DEFAULT 'softphone'
    CONSTRAINT agents_forwarding_mode_check
      CHECK (forwarding_mode IN ('softphone', 'mobile', 'both', 'softphone-then-mobile')),
  -- For 'softphone-then-mobile': how long the softphones ring alone.
  mobile_delay_s integer NOT NULL DEFAULT 10
    CONSTRAINT agents_mobile_delay_s_check CHECK (mobile_delay_s BETWEEN 0 AND 600),
  max_concurrent_calls integer NOT NULL DEFAULT 1
    CONSTRAINT agents_max_concurrent_calls_check CHECK (max_concurrent_calls BETWEEN 1 AND 100),
  status text NOT NULL DEFAULT 'offline'
    CONSTRAINT agents_status_check CHECK (status IN ('available', 'away', 'break', 'offline')),
  status_until timestamptz,
  status_reason text,
  may_change_own_status boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT agents_mobile_number_required_check
    CHECK (forwarding_mode = 'softphone' OR mobile_number IS NOT NULL),
  CONSTRAINT agents_sip_password_check CHECK ((ha1_md5 IS NULL) = (ha1_sha256 IS NULL)),
  -- An end time belongs to a break (or an away with a return time), never to 'available'.
  CONSTRAINT agents_status_until_check CHECK (status_until IS NULL OR status <> 'available')
);

CREATE TABLE memberships (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  agent_id uuid NOT NULL CONSTRAINT memberships_agent_id_fkey
    REFERENCES agents (id) ON DELETE CASCADE,
  department_id uuid NOT NULL CONSTRAINT memberships_department_id_fkey
    REFERENCES departments (id) ON DELETE CASCADE,
  -- 1 = highest ... 100 = lowest.
  priority integer NOT NULL DEFAULT 50
    CONSTRAINT memberships_priority_check CHECK (priority BETWEEN 1 AND 100),
  calls_enabled boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT memberships_agent_department_key UNIQUE (agent_id, department_id)
);
CREATE INDEX memberships_department_id_idx ON memberships (department_id);

CREATE TABLE vip_callers (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  caller_number text NOT NULL CONSTRAINT vip_callers_caller_number_key UNIQUE
    CONSTRAINT vip_callers_caller_number_check CHECK (caller_number ~ '^\+[1-9][0-9]{1,14}$'),
  dedicated_agent_id uuid CONSTRAINT vip_callers_dedicated_agent_id_fkey
    REFERENCES agents (id) ON DELETE SET NULL,
  note text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Numbers a mobile may be forwarded to: '+4930123' (exactly) or '+4930*'
-- (prefix). No regular expressions, so a pattern cannot be a ReDoS.
CREATE TABLE mobile_allow_list (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  pattern text NOT NULL CONSTRAINT mobile_allow_list_pattern_key UNIQUE
    CONSTRAINT mobile_allow_list_pattern_check CHECK (pattern ~ '^\+([1-9][0-9]{0,14}\*|[1-9][0-9]{1,14}|\*)$'),
  description text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
