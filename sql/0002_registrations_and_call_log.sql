-- Softphone registrations, and the call log: an append-only event log plus
-- the projections (calls, call_attempts, agent_status_history) written from
-- those same events in the same transaction, so reports, the live view and CSV
-- exports read one truth.

CREATE TABLE registrations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  agent_id uuid NOT NULL CONSTRAINT registrations_agent_id_fkey
    REFERENCES agents (id) ON DELETE CASCADE,
  contact_uri text NOT NULL
    CONSTRAINT registrations_contact_uri_check CHECK (length(contact_uri) BETWEEN 1 AND 2048),
  expires_at timestamptz NOT NULL,
  source_address text NOT NULL,
  source_port integer NOT NULL
    CONSTRAINT registrations_source_port_check CHECK (source_port BETWEEN 1 AND 65535),
  transport text NOT NULL
    CONSTRAINT registrations_transport_check CHECK (transport IN ('udp', 'tcp', 'tls', 'ws', 'wss')),
  user_agent text,
  -- Call-ID and CSeq of the REGISTER that wrote the binding (RFC 3261 10.3:
  -- a request with the same Call-ID and a lower CSeq is stale).
  sip_call_id text,
  cseq integer,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT registrations_agent_contact_key UNIQUE (agent_id, contact_uri)
);
CREATE INDEX registrations_expires_at_idx ON registrations (expires_at);

-- Every call and agent state change, with its time. Ids of agents and
-- departments are kept without foreign keys: history outlives configuration.
CREATE TABLE event_log (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  type text NOT NULL
    CONSTRAINT event_log_type_check CHECK (type ~ '^[a-z][a-z-]*(\.[a-z][a-z-]*)+$'),
  call_id text,
  agent_id uuid,
  department_id uuid,
  payload jsonb NOT NULL DEFAULT '{}'
    CONSTRAINT event_log_payload_check CHECK (jsonb_typeof(payload) = 'object')
);
CREATE INDEX event_log_at_idx ON event_log (at);
CREATE INDEX event_log_call_id_idx ON event_log (call_id) WHERE call_id IS NOT NULL;
CREATE INDEX event_log_agent_id_idx ON event_log (agent_id) WHERE agent_id IS NOT NULL;

-- The log is append-only for every client, not only for our code.
CREATE FUNCTION event_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'event_log is append-only: % refused', TG_OP
    USING ERRCODE = 'restrict_violation', CONSTRAINT = 'event_log_append_only';
END
$$;
CREATE TRIGGER event_log_no_update_delete BEFORE UPDATE OR DELETE ON event_log
  FOR EACH ROW EXECUTE FUNCTION event_log_refuse_change();
CREATE TRIGGER event_log_no_truncate BEFORE TRUNCATE ON event_log
  FOR EACH STATEMENT EXECUTE FUNCTION event_log_refuse_change();

CREATE TABLE calls (
  id text PRIMARY KEY CONSTRAINT calls_id_check CHECK (length(id) BETWEEN 1 AND 200),
  caller text NOT NULL,
  dialled_number text NOT NULL,
  department_id uuid,
  arrived_at timestamptz NOT NULL,
  answered_at timestamptz,
  ended_at timestamptz,
  -- The agent who answered.
  agent_id uuid,
  -- NULL while the call is live.
  outcome text CONSTRAINT calls_outcome_check CHECK (outcome IN ('answered', 'abandoned',
    'overflowed', 'out-of-hours', 'no-agent', 'rejected', 'failed')),
  wait_s double precision,
  talk_s double precision,
  -- Why the router did what it did (strategy, candidates, skips), as the engine explained it.
  routing jsonb,
  last_event_id bigint NOT NULL,
  CONSTRAINT calls_ended_check CHECK ((ended_at IS NULL) = (outcome IS NULL)),
  CONSTRAINT calls_answered_check CHECK (outcome <> 'answered' OR answered_at IS NOT NULL)
);
CREATE INDEX calls_arrived_at_idx ON calls (arrived_at, id);
CREATE INDEX calls_department_id_idx ON calls (department_id, arrived_at);
CREATE INDEX calls_agent_id_idx ON calls (agent_id, arrived_at);
CREATE INDEX calls_caller_idx ON calls (caller, arrived_at);
CREATE INDEX calls_live_idx ON calls (arrived_at) WHERE ended_at IS NULL;

CREATE TABLE call_attempts (
  id text PRIMARY KEY CONSTRAINT call_attempts_id_check CHECK (length(id) BETWEEN 1 AND 200),
  call_id text NOT NULL CONSTRAINT call_attempts_call_id_fkey REFERENCES calls (id),
  agent_id uuid NOT NULL,
  -- The contact URI or mobile number that rang.
  device text NOT NULL,
  started_at timestamptz NOT NULL,
  ended_at timestamptz,
  result text CONSTRAINT call_attempts_result_check CHECK (result IN ('answered', 'no-answer',
    'busy', 'declined', 'unreachable', 'cancelled', 'failed')),
  ring_s double precision,
  CONSTRAINT call_attempts_ended_check CHECK ((ended_at IS NULL) = (result IS NULL))
);
CREATE INDEX call_attempts_call_id_idx ON call_attempts (call_id);
CREATE INDEX call_attempts_agent_id_idx ON call_attempts (agent_id, started_at);
CREATE INDEX call_attempts_started_at_idx ON call_attempts (started_at, id);

CREATE TABLE agent_status_history (
  id bigint PRIMARY KEY CONSTRAINT agent_status_history_id_fkey REFERENCES event_log (id),
  agent_id uuid NOT NULL,
  from_status text,
  to_status text NOT NULL CONSTRAINT agent_status_history_to_status_check
    CHECK (to_status IN ('available', 'away', 'break', 'offline')),
  until timestamptz,
  reason text,
  -- Who changed it: the agent, an admin (API) or the system (auto-pause, break end).
  source text NOT NULL CONSTRAINT agent_status_history_source_check
    CHECK (source IN ('agent', 'admin', 'system')),
  at timestamptz NOT NULL
);
CREATE INDEX agent_status_history_agent_id_idx ON agent_status_history (agent_id, at);
