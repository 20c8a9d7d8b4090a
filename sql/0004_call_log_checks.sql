-- The checks the projection (sql/0005) applies to the events it writes, and
-- the errors it raises. Their fields are what the store maps to its typed
-- errors (src/store/errors.ts):
-- - a missing or invalid event field: check_violation on constraint
--   'event_log_projection' with COLUMN = the field (e.g. 'payload.outcome');
-- - an unknown call or attempt: no_data_found with TABLE and DETAIL = the id;
-- - a repeated call or attempt id: the projection table's own unique violation.

CREATE FUNCTION event_log_refuse(field text, reason text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '%', reason
    USING ERRCODE = 'check_violation', CONSTRAINT = 'event_log_projection', COLUMN = field;
END
$$;

CREATE FUNCTION event_log_missing(tbl text, id text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% % not found', tbl, id USING ERRCODE = 'no_data_found', TABLE = tbl, DETAIL = id;
END
$$;

-- Seconds between two instants, to the millisecond.
CREATE FUNCTION event_log_seconds(later timestamptz, earlier timestamptz) RETURNS float8
LANGUAGE sql IMMUTABLE AS $$
  SELECT round(extract(epoch FROM (later - earlier))::numeric, 3)::float8
$$;

-- The first field an event of a projected type lacks or gets wrong, or NULL.
-- Fields with a fixed set of words are checked against call_log_values().
CREATE FUNCTION event_log_invalid_field(kind text, call_id text, agent_id uuid, p jsonb)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE
    WHEN kind IN ('call.arrived', 'call.queued', 'call.routed', 'call.ringing', 'call.answered',
                  'call.ended') AND coalesce(call_id, '') = '' THEN 'callId'
    WHEN kind = 'call.arrived' AND coalesce(p ->> 'caller', '') = '' THEN 'payload.caller'
    WHEN kind = 'call.arrived' AND coalesce(p ->> 'dialledNumber', '') = ''
      THEN 'payload.dialledNumber'
    WHEN kind IN ('call.ringing', 'attempt.ended') AND coalesce(p ->> 'attemptId', '') = ''
      THEN 'payload.attemptId'
    WHEN kind IN ('call.ringing', 'call.answered', 'agent.status') AND agent_id IS NULL
      THEN 'agentId'
    WHEN kind = 'call.ringing' AND coalesce(p ->> 'device', '') = '' THEN 'payload.device'
    WHEN kind = 'attempt.ended'
         AND NOT coalesce(p ->> 'result' = ANY (call_log_values('result')), false)
      THEN 'payload.result'
    WHEN kind = 'call.ended'
         AND NOT coalesce(p ->> 'outcome' = ANY (call_log_values('outcome')), false)
      THEN 'payload.outcome'
    WHEN kind = 'agent.status' AND coalesce(p ->> 'to', '') = '' THEN 'payload.to'
    WHEN kind = 'agent.status'
         AND NOT coalesce(p ->> 'source' = ANY (call_log_values('source')), false)
      THEN 'payload.source'
  END
$$;

-- Refuses event field `field` of an event of type `kind`: "required", or
-- "must be one of" the field's words when it has a fixed set.
CREATE FUNCTION event_log_refuse_field(field text, kind text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  words text[] := call_log_values(split_part(field, 'payload.', 2));
BEGIN
  IF words IS NULL THEN
    PERFORM event_log_refuse(field, field || ' is required for ' || kind);
  END IF;
  PERFORM event_log_refuse(field, field || ' must be one of '
    || array_to_string(words, ', ') || ' for ' || kind);
END
$$;

-- Refuses an attempt event that found no open attempt: ended before, or unknown.
CREATE FUNCTION event_log_refuse_attempt(attempt_id text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM call_attempts WHERE id = attempt_id) THEN
    PERFORM event_log_refuse('attemptId', 'attempt ' || attempt_id || ' already ended');
  END IF;
  PERFORM event_log_missing('call_attempts', attempt_id);
END
$$;

-- Refuses a call event that changed nothing: the call is past that point, or unknown.
CREATE FUNCTION event_log_refuse_call(cid text, why text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM calls WHERE id = cid) THEN
    PERFORM event_log_refuse('callId', 'call ' || cid || ' ' || why);
  END IF;
  PERFORM event_log_missing('calls', cid);
END
$$;
