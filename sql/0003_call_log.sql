-- The call log: an append-only event log, and the projections (calls,
-- call_attempts, agent_status_history) that sql/0005 writes from those same
-- events inside their INSERT, so reports, the live view and CSV exports read
-- one truth. Ids of agents and departments are kept without foreign keys:
-- history outlives configuration.

-- The words the log stores, per field: the same lists as
-- src/store/call-vocabulary.ts (a test keeps them equal). NULL for a field
-- without a fixed set.
CREATE FUNCTION call_log_values(field text) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE field
    WHEN 'outcome' THEN
      ARRAY['answered', 'abandoned', 'overflowed', 'out-of-hours', 'no-agent', 'rejected', 'failed']
    WHEN 'result' THEN
      ARRAY['answered', 'no-answer', 'busy', 'declined', 'unreachable', 'cancelled', 'failed']
    WHEN 'source' THEN ARRAY['agent', 'admin', 'system']
  END
$$;

-- Every call and agent state change, with its time. A payload up to a page
-- (8 KB: a routing explanation for ~100 agents) stays uncompressed in the
-- row: compressing it costs more CPU than the space is worth for a log.
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
) WITH (toast_tuple_target = 8160);
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

-- One row per call. Its routing explanation and the id of its latest event
-- are not copied here: readers take them from the call's events
-- (src/store/call-log-queries.ts), so each update of the row stays small.
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
  outcome text CONSTRAINT calls_outcome_check CHECK (outcome = ANY (call_log_values('outcome'))),
  wait_s double precision,
  talk_s double precision,
  CONSTRAINT calls_ended_check CHECK ((ended_at IS NULL) = (outcome IS NULL)),
  CONSTRAINT calls_answered_check CHECK (outcome <> 'answered' OR answered_at IS NOT NULL)
);
CREATE INDEX calls_arrived_at_idx ON calls (arrived_at, id);
CREATE INDEX calls_department_id_idx ON calls (department_id, arrived_at);
CREATE INDEX calls_agent_id_idx ON calls (agent_id, arrived_at);
CREATE INDEX calls_caller_idx ON calls (caller, arrived_at);
CREATE INDEX calls_live_idx ON calls (arrived_at) WHERE ended_at IS NULL;

-- One row per ring of an agent (all of the agent's devices at once).
CREATE TABLE call_attempts (
  id text PRIMARY KEY CONSTRAINT call_attempts_id_check CHECK (length(id) BETWEEN 1 AND 200),
  call_id text NOT NULL CONSTRAINT call_attempts_call_id_fkey REFERENCES calls (id),
  agent_id uuid NOT NULL,
  -- The contact URI or mobile number that rang.
  device text NOT NULL,
  started_at timestamptz NOT NULL,
  ended_at timestamptz,
  result text
    CONSTRAINT call_attempts_result_check CHECK (result = ANY (call_log_values('result'))),
  ring_s double precision,
  CONSTRAINT call_attempts_ended_check CHECK ((ended_at IS NULL) = (result IS NULL))
);
CREATE INDEX call_attempts_call_id_idx ON call_attempts (call_id);
CREATE INDEX call_attempts_agent_id_idx ON call_attempts (agent_id, started_at);
CREATE INDEX call_attempts_started_at_idx ON call_attempts (started_at, id);

-- One row per agent.status event (same id).
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
    CHECK (source = ANY (call_log_values('source'))),
  at timestamptz NOT NULL
);
CREATE INDEX agent_status_history_agent_id_idx ON agent_status_history (agent_id, at);
