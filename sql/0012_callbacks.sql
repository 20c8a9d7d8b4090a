-- Callbacks that keep the caller's place: a waiting caller presses the
-- department's callback key, hangs up, and is called back when its turn
-- comes (src/calls/callback/, docs/callbacks.md).

-- Per department: the key (NULL = no callbacks), and how often and how long
-- apart a callback whose customer did not answer is tried again.
ALTER TABLE departments
  ADD COLUMN callback_key text
    CONSTRAINT departments_callback_key_check CHECK (callback_key ~ '^[0-9]$'),
  ADD COLUMN callback_retries integer NOT NULL DEFAULT 2
    CONSTRAINT departments_callback_retries_check CHECK (callback_retries BETWEEN 0 AND 10),
  ADD COLUMN callback_retry_interval_s integer NOT NULL DEFAULT 300
    CONSTRAINT departments_callback_retry_interval_s_check
      CHECK (callback_retry_interval_s BETWEEN 10 AND 86400),
  ADD CONSTRAINT departments_callback_key_exit_key_check
    CHECK (callback_key IS NULL OR exit_key IS NULL OR callback_key <> exit_key);

-- One row per callback request, from the caller's key press until it ends.
-- Pending rows are put back into their queue, in `seq` order (the order the
-- requests were made, which is their queue order for requests of one
-- department), when the product starts.
CREATE TABLE callback_requests (
  call_id text PRIMARY KEY CONSTRAINT callback_requests_call_id_check
    CHECK (length(call_id) BETWEEN 1 AND 200),
  seq bigserial NOT NULL,
  department_id uuid NOT NULL,
  number text NOT NULL CONSTRAINT callback_requests_number_check
    CHECK (number ~ '^\+[1-9][0-9]{1,14}$'),
  -- The original call's arrival: the request's place in the queue.
  arrived_at timestamptz NOT NULL,
  requested_at timestamptz NOT NULL DEFAULT now(),
  failed_tries integer NOT NULL DEFAULT 0,
  -- Next try after a failed one (NULL = waiting in the queue).
  retry_at timestamptz,
  state text NOT NULL DEFAULT 'pending'
    CONSTRAINT callback_requests_state_check CHECK (state IN ('pending', 'reached', 'failed')),
  closed_at timestamptz,
  CONSTRAINT callback_requests_closed_check CHECK ((state = 'pending') = (closed_at IS NULL))
);
CREATE INDEX callback_requests_pending_idx ON callback_requests (seq) WHERE state = 'pending';

-- The call log's words gain `callback-failed` (src/store/call-vocabulary.ts).
CREATE OR REPLACE FUNCTION call_log_values(field text) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE field
    WHEN 'outcome' THEN
      ARRAY['answered', 'abandoned', 'overflowed', 'out-of-hours', 'no-agent', 'rejected', 'failed',
            'callback-failed']
    WHEN 'result' THEN
      ARRAY['answered', 'no-answer', 'busy', 'declined', 'unreachable', 'cancelled', 'failed']
    WHEN 'source' THEN ARRAY['agent', 'admin', 'system']
  END
$$;

-- A call that became a callback request says so in the call list, whatever
-- its outcome (answered = the customer was reached).
ALTER TABLE calls
  ADD COLUMN kind text NOT NULL DEFAULT 'inbound'
    CONSTRAINT calls_kind_check CHECK (kind IN ('inbound', 'callback'));

-- `call.callback-requested` events mark their call. A trigger of its own,
-- named to fire after sql/0005's projection (triggers fire in name order), so
-- a call that arrives in the same statement already has its row.
CREATE FUNCTION event_log_project_callbacks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE calls c SET kind = 'callback'
    FROM new_events e
   WHERE e.type = 'call.callback-requested' AND c.id = e.call_id AND c.kind <> 'callback';
  RETURN NULL;
END
$$;

CREATE TRIGGER event_log_project_statement_callbacks AFTER INSERT ON event_log
  REFERENCING NEW TABLE AS new_events
  FOR EACH STATEMENT EXECUTE FUNCTION event_log_project_callbacks();
