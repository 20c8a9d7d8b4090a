-- The projections of the call log (sql/0003), written by one trigger per
-- INSERT statement on event_log: the call-log writer inserts a batch of
-- events (several calls' moments) in one statement, and each step below is
-- one set-based statement over the whole batch, so a call's row is written
-- once per step, not once per event. One statement is atomic without an
-- explicit transaction, and the same for every client that writes events.
--
-- Within a statement the events are applied kind by kind in a call's
-- lifecycle order (arrive, queue, ring, ring ends, answer, end). The checks
-- (sql/0004) refuse an event of a call that is not known (or arrives later
-- in the same statement), a second answer or end, an attempt ended twice,
-- and missing or invalid fields; a refusal undoes the whole statement.
--
-- The statements below take no parameters, so each connection plans them
-- once and keeps the plan, whatever the size of the batch it first saw. A
-- plan made for a large batch (hash joins over whole tables) would scan
-- every call and attempt for each small batch after it; nested loops from
-- the batch's events into the tables' indexes are right for every batch size
-- the writer sends, so the function forbids the other plans.
CREATE FUNCTION event_log_project_statement() RETURNS trigger LANGUAGE plpgsql
SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off AS $$
DECLARE
  bad record;
  ending record;
BEGIN
  -- 1. Fields, in event order.
  SELECT e.type, f.field INTO bad
    FROM new_events e
   CROSS JOIN LATERAL (SELECT event_log_invalid_field(e.type, e.call_id, e.agent_id, e.payload)
                         AS field) f
   WHERE f.field IS NOT NULL
   ORDER BY e.id LIMIT 1;
  IF FOUND THEN
    PERFORM event_log_refuse_field(bad.field, bad.type);
  END IF;

  -- 2. Every call event needs its call: logged before, or arrived earlier in
  --    this statement. Answers and ends find out below, from their updates.
  SELECT e.call_id INTO bad
    FROM new_events e
    LEFT JOIN (SELECT call_id, min(id) AS id FROM new_events WHERE type = 'call.arrived'
                GROUP BY call_id) a ON a.call_id = e.call_id
   WHERE e.type IN ('call.queued', 'call.routed', 'call.ringing', 'call.answered', 'call.ended')
     AND (a.id > e.id
          OR (a.id IS NULL AND e.type IN ('call.queued', 'call.routed', 'call.ringing')
              AND NOT EXISTS (SELECT 1 FROM calls c WHERE c.id = e.call_id)))
   ORDER BY e.id LIMIT 1;
  IF FOUND THEN
    PERFORM event_log_missing('calls', bad.call_id);
  END IF;

  -- 3. Nothing answers a call after its end in this statement (the steps
  --    below apply answers before ends, whatever their order here; a second
  --    end is refused by step 9's own update).
  SELECT e.call_id INTO bad
    FROM new_events e
    JOIN (SELECT call_id, min(id) AS id FROM new_events WHERE type = 'call.ended'
           GROUP BY call_id) n ON n.call_id = e.call_id
   WHERE e.type = 'call.answered' AND e.id > n.id
   ORDER BY e.id LIMIT 1;
  IF FOUND THEN
    PERFORM event_log_refuse('callId', 'call ' || bad.call_id || ' already answered or ended');
  END IF;

  -- 4. Arrivals (a repeated call id is calls_pkey's unique violation).
  INSERT INTO calls (id, caller, dialled_number, department_id, arrived_at)
  SELECT call_id, payload ->> 'caller', payload ->> 'dialledNumber', department_id, at
    FROM new_events WHERE type = 'call.arrived' ORDER BY id;

  -- 5. Queued: the call's department is its latest queue's.
  UPDATE calls c SET department_id = q.department_id
    FROM (SELECT DISTINCT ON (call_id) call_id, department_id FROM new_events
           WHERE type = 'call.queued' AND department_id IS NOT NULL
           ORDER BY call_id, id DESC) q
   WHERE c.id = q.call_id AND c.department_id IS DISTINCT FROM q.department_id;

  -- 6. Rings (a repeated attempt id is call_attempts_pkey's unique violation).
  INSERT INTO call_attempts (id, call_id, agent_id, device, started_at)
  SELECT payload ->> 'attemptId', call_id, agent_id, payload ->> 'device', at
    FROM new_events WHERE type = 'call.ringing' ORDER BY id;

  -- 7. Rings that ended: without an answer, or answered (the answer names its ring).
  WITH closed AS (
    UPDATE call_attempts a
       SET ended_at = e.at,
           result = CASE e.type WHEN 'call.answered' THEN 'answered' ELSE e.payload ->> 'result' END,
           ring_s = event_log_seconds(e.at, a.started_at)
      FROM new_events e
     WHERE e.type IN ('attempt.ended', 'call.answered') AND a.id = e.payload ->> 'attemptId'
       AND a.ended_at IS NULL AND (e.call_id IS NULL OR a.call_id = e.call_id)
    RETURNING e.id)
  SELECT e.payload ->> 'attemptId' AS attempt_id INTO bad
    FROM new_events e
   WHERE e.type IN ('attempt.ended', 'call.answered') AND e.payload ->> 'attemptId' IS NOT NULL
     AND e.id NOT IN (SELECT id FROM closed)
   ORDER BY e.id LIMIT 1;
  IF FOUND THEN
    PERFORM event_log_refuse_attempt(bad.attempt_id);
  END IF;

  -- 8. Answers.
  WITH answered AS (
    UPDATE calls c
       SET answered_at = e.at, agent_id = e.agent_id, wait_s = event_log_seconds(e.at, c.arrived_at)
      FROM new_events e
     WHERE e.type = 'call.answered' AND c.id = e.call_id
       AND c.answered_at IS NULL AND c.ended_at IS NULL
    RETURNING e.id)
  SELECT e.call_id INTO bad
    FROM new_events e
   WHERE e.type = 'call.answered' AND e.id NOT IN (SELECT id FROM answered)
   ORDER BY e.id LIMIT 1;
  IF FOUND THEN
    PERFORM event_log_refuse_call(bad.call_id, 'already answered or ended');
  END IF;

  -- 9. Ends: the call, then any ring still open (cancelled by the end).
  WITH ended AS (
    UPDATE calls c
       SET ended_at = e.at, outcome = e.payload ->> 'outcome',
           wait_s = coalesce(c.wait_s, event_log_seconds(e.at, c.arrived_at)),
           talk_s = CASE WHEN c.answered_at IS NULL THEN NULL
                         ELSE event_log_seconds(e.at, c.answered_at) END
      FROM new_events e
     WHERE e.type = 'call.ended' AND c.id = e.call_id AND c.ended_at IS NULL
    RETURNING e.id)
  SELECT e.call_id INTO bad
    FROM new_events e
   WHERE e.type = 'call.ended' AND e.id NOT IN (SELECT id FROM ended)
   ORDER BY e.id LIMIT 1;
  IF FOUND THEN
    PERFORM event_log_refuse_call(bad.call_id, 'already ended');
  END IF;

  -- One statement per ended call: found through call_attempts' call_id index,
  -- whose selectivity the planner cannot know without statistics (PGlite has
  -- no autovacuum to gather them), so a join here would be planned as a full scan.
  FOR ending IN SELECT call_id, at FROM new_events WHERE type = 'call.ended' ORDER BY id LOOP
    UPDATE call_attempts
       SET ended_at = ending.at, result = 'cancelled',
           ring_s = event_log_seconds(ending.at, started_at)
     WHERE call_id = ending.call_id AND ended_at IS NULL;
  END LOOP;

  -- 10. Agent status changes.
  INSERT INTO agent_status_history (id, agent_id, from_status, to_status, until, reason, source, at)
  SELECT id, agent_id, payload ->> 'from', payload ->> 'to', (payload ->> 'until')::timestamptz,
         payload ->> 'reason', payload ->> 'source', at
    FROM new_events WHERE type = 'agent.status' ORDER BY id;

  RETURN NULL;
END
$$;

CREATE TRIGGER event_log_project_statement AFTER INSERT ON event_log
  REFERENCING NEW TABLE AS new_events
  FOR EACH STATEMENT EXECUTE FUNCTION event_log_project_statement();
