-- Report rollups kept current by each write's own difference (docs/reports.md).
-- sql/0015's writers only marked the quarter hours they touched and left the
-- flush to recompute each marked quarter hour whole: under a steady load a
-- quarter hour holds tens of thousands of calls, and reading them again every
-- few seconds cost more than the writes it covered. Here the statement
-- triggers add what their rows changed: each new row's figures, less each old
-- row's, to its quarter hour, day and month at once (an index probe and an
-- update per key and span). Counts and sums add up exactly; only two changes
-- do not, and those still mark the quarter hours for the flush:
--
-- - a call that moved to another department after it had rings or a wait
--   (its missed rings and its rings' agent rows are keyed by the call's
--   department, and the old quarter hour's longest wait cannot be taken back);
-- - a department's changed service level, or a department created or deleted
--   (sql/0015's trigger on `departments`, unchanged).
--
-- The writers keep sql/0015's shared advisory lock from their first change
-- to their commit, so a flush (exclusive) still sees no write half done, and
-- a difference is always added to rows that hold every earlier commit.
-- Concurrent writers update the rows of one key in the order of the key (the
-- statements below sort them), so they queue rather than deadlock.

-- The figures of one `calls` row, as a department rollup row of its quarter
-- hour, multiplied by `sign` (+1 to add the row, -1 to take it away), with
-- its department's service level (NULL without one). The same figures as
-- sql/0014's report_call_parts, whose reports the tests compare with these
-- rollups; the missed rings are added by the rings' own trigger, and the
-- longest wait only by rows added (a maximum cannot be subtracted). These
-- functions are single expressions, so the planner inlines them into the
-- triggers' statements (a sub-select in one would make it run as a function
-- call per row, planned again on every statement).
CREATE FUNCTION report_call_department_delta(c calls, service_level_s integer, sign integer)
RETURNS report_department_rollups LANGUAGE sql IMMUTABLE AS $$
  SELECT ROW('15min', coalesce(c.department_id, report_no_department()),
    report_span_start('15min', c.arrived_at),
    sign,
    sign * (c.ended_at IS NULL)::int,
    sign * (c.outcome IS NULL OR c.outcome NOT IN ('out-of-hours', 'rejected'))::int,
    sign * (c.answered_at IS NOT NULL)::int,
    sign * coalesce(c.answered_at IS NULL
      AND c.outcome NOT IN ('answered', 'out-of-hours', 'rejected'), false)::int,
    sign * coalesce(c.outcome = 'abandoned' AND c.wait_s < 5, false)::int,
    sign * coalesce(c.answered_at IS NOT NULL AND c.wait_s <= service_level_s, false)::int,
    sign * (c.answered_at IS NOT NULL AND c.wait_s IS NOT NULL)::int,
    sign * CASE WHEN c.answered_at IS NOT NULL THEN coalesce(round(c.wait_s * 1000)::bigint, 0)
                ELSE 0 END,
    sign * (c.talk_s IS NOT NULL)::int,
    sign * coalesce(round(c.talk_s * 1000)::bigint, 0),
    CASE WHEN sign > 0 THEN c.wait_s END,
    sign * coalesce(c.outcome = 'answered', false)::int,
    sign * coalesce(c.outcome = 'abandoned', false)::int,
    sign * coalesce(c.outcome = 'overflowed', false)::int,
    sign * coalesce(c.outcome = 'out-of-hours', false)::int,
    sign * coalesce(c.outcome = 'no-agent', false)::int,
    sign * coalesce(c.outcome = 'rejected', false)::int,
    sign * coalesce(c.outcome = 'failed', false)::int,
    sign * coalesce(c.outcome = 'callback-failed', false)::int,
    0)::report_department_rollups
$$;

-- The answered-call figures of one `calls` row for its agent (the agent
-- report counts answered calls by arrival), times `sign`; NULL for a call
-- no agent answered.
CREATE FUNCTION report_call_agent_delta(c calls, sign integer)
RETURNS report_agent_rollups LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN c.agent_id IS NOT NULL AND c.answered_at IS NOT NULL THEN
    ROW('15min', c.agent_id, coalesce(c.department_id, report_no_department()),
      report_span_start('15min', c.arrived_at), 0, 0, 0, 0, 0, sign,
      sign * (c.talk_s IS NOT NULL)::int,
      sign * coalesce(round(c.talk_s * 1000)::bigint, 0))::report_agent_rollups END
$$;

-- The figures of one ring (`call_attempts` row) for its agent, under its
-- call's department and by its own start, times `sign`.
CREATE FUNCTION report_ring_agent_delta(a call_attempts, department_key uuid, sign integer)
RETURNS report_agent_rollups LANGUAGE sql IMMUTABLE AS $$
  SELECT ROW('15min', a.agent_id, department_key, report_span_start('15min', a.started_at),
    sign,
    sign * coalesce(a.result = 'answered', false)::int,
    sign * coalesce(a.result IN ('no-answer', 'busy', 'declined', 'unreachable', 'failed'),
      false)::int,
    sign * coalesce(a.result = 'answered' AND a.ring_s IS NOT NULL, false)::int,
    sign * CASE WHEN a.result = 'answered' THEN coalesce(round(a.ring_s * 1000)::bigint, 0)
                ELSE 0 END,
    0, 0, 0)::report_agent_rollups
$$;

-- Whether a ring counts as missed (its call's department rollup counts it).
CREATE FUNCTION report_ring_missed(result text) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(result IN ('no-answer', 'busy', 'declined', 'unreachable', 'failed'),
    false)::int
$$;

-- Adds quarter-hour differences to their quarter hours, days and months:
-- rows of one key summed first (one statement may not update a row twice),
-- then inserted or added to the row there. The longest wait is the greater.
CREATE FUNCTION report_department_add(deltas report_department_rollups[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(cardinality(deltas), 0) = 0 THEN
    RETURN;
  END IF;
  INSERT INTO report_department_rollups AS r
  SELECT s.span, d.department_key, report_span_start(s.span, d.bucket),
    sum(d.calls), sum(d.live), sum(d.offered), sum(d.answered), sum(d.missed),
    sum(d.short_abandoned), sum(d.within_sl), sum(d.answered_wait_n), sum(d.answered_wait_ms),
    sum(d.talk_n), sum(d.talk_ms), max(d.longest_wait_s), sum(d.outcome_answered),
    sum(d.outcome_abandoned), sum(d.outcome_overflowed), sum(d.outcome_out_of_hours),
    sum(d.outcome_no_agent), sum(d.outcome_rejected), sum(d.outcome_failed),
    sum(d.outcome_callback_failed), sum(d.missed_rings)
  FROM unnest(deltas) d CROSS JOIN (VALUES ('15min'), ('day'), ('month')) AS s(span)
  GROUP BY 1, 2, 3
  ORDER BY 1, 2, 3
  ON CONFLICT (span, department_key, bucket) DO UPDATE SET
    (calls, live, offered, answered, missed, short_abandoned, within_sl, answered_wait_n,
     answered_wait_ms, talk_n, talk_ms, longest_wait_s, outcome_answered, outcome_abandoned,
     outcome_overflowed, outcome_out_of_hours, outcome_no_agent, outcome_rejected,
     outcome_failed, outcome_callback_failed, missed_rings) =
    (r.calls + excluded.calls, r.live + excluded.live, r.offered + excluded.offered,
     r.answered + excluded.answered, r.missed + excluded.missed,
     r.short_abandoned + excluded.short_abandoned, r.within_sl + excluded.within_sl,
     r.answered_wait_n + excluded.answered_wait_n,
     r.answered_wait_ms + excluded.answered_wait_ms, r.talk_n + excluded.talk_n,
     r.talk_ms + excluded.talk_ms, greatest(r.longest_wait_s, excluded.longest_wait_s),
     r.outcome_answered + excluded.outcome_answered,
     r.outcome_abandoned + excluded.outcome_abandoned,
     r.outcome_overflowed + excluded.outcome_overflowed,
     r.outcome_out_of_hours + excluded.outcome_out_of_hours,
     r.outcome_no_agent + excluded.outcome_no_agent,
     r.outcome_rejected + excluded.outcome_rejected,
     r.outcome_failed + excluded.outcome_failed,
     r.outcome_callback_failed + excluded.outcome_callback_failed,
     r.missed_rings + excluded.missed_rings);
END
$$;

-- The same for agents; NULL elements (a call no agent answered) are skipped.
CREATE FUNCTION report_agent_add(deltas report_agent_rollups[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(cardinality(deltas), 0) = 0 THEN
    RETURN;
  END IF;
  INSERT INTO report_agent_rollups AS r
  SELECT s.span, d.agent_id, d.department_key, report_span_start(s.span, d.bucket),
    sum(d.rings), sum(d.rings_answered), sum(d.missed_rings), sum(d.answered_ring_n),
    sum(d.answered_ring_ms), sum(d.answered), sum(d.talk_n), sum(d.talk_ms)
  FROM unnest(deltas) d CROSS JOIN (VALUES ('15min'), ('day'), ('month')) AS s(span)
  WHERE d.agent_id IS NOT NULL
  GROUP BY 1, 2, 3, 4
  ORDER BY 1, 2, 3, 4
  ON CONFLICT (span, agent_id, department_key, bucket) DO UPDATE SET
    (rings, rings_answered, missed_rings, answered_ring_n, answered_ring_ms, answered, talk_n,
     talk_ms) =
    (r.rings + excluded.rings, r.rings_answered + excluded.rings_answered,
     r.missed_rings + excluded.missed_rings, r.answered_ring_n + excluded.answered_ring_n,
     r.answered_ring_ms + excluded.answered_ring_ms, r.answered + excluded.answered,
     r.talk_n + excluded.talk_n, r.talk_ms + excluded.talk_ms);
END
$$;

-- The missed ring of a ring with result `result`, times `sign`, as a
-- department rollup row of its call's quarter hour.
CREATE FUNCTION report_ring_department_delta(result text, c calls, sign integer)
RETURNS report_department_rollups LANGUAGE sql IMMUTABLE AS $$
  SELECT ROW('15min', coalesce(c.department_id, report_no_department()),
    report_span_start('15min', c.arrived_at), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, NULL,
    0, 0, 0, 0, 0, 0, 0, 0, sign * report_ring_missed(result))::report_department_rollups
$$;

-- sql/0015's trigger functions, replaced by the two below.
DROP TRIGGER report_rollups_calls_inserted ON calls;
DROP TRIGGER report_rollups_calls_updated ON calls;
DROP TRIGGER report_rollups_attempts_inserted ON call_attempts;
DROP TRIGGER report_rollups_attempts_updated ON call_attempts;
DROP FUNCTION report_rollups_calls_inserted();
DROP FUNCTION report_rollups_calls_updated();
DROP FUNCTION report_rollups_attempts_changed();

-- One function per table serves its INSERT and its UPDATE trigger: the new
-- rows are added, and on an UPDATE the old rows taken away (a branch that
-- names the old rows runs only for an UPDATE, whose trigger has them).
-- The projection (sql/0005) runs a statement per step even when the batch has
-- nothing for it (and one per ended call to cancel its open rings), so the
-- triggers return at once on an empty statement, before taking the lock.
CREATE FUNCTION report_rollups_calls_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  departments report_department_rollups[];
  agents report_agent_rollups[];
BEGIN
  IF NOT EXISTS (SELECT FROM new_calls) THEN
    RETURN NULL;
  END IF;
  PERFORM report_rollups_lock_shared();
  departments := ARRAY(
    SELECT report_call_department_delta(n, d.service_level_s, 1)
      FROM new_calls n LEFT JOIN departments d ON d.id = n.department_id);
  agents := ARRAY(SELECT report_call_agent_delta(n, 1) FROM new_calls n);
  IF TG_OP = 'UPDATE' THEN
    departments := departments || ARRAY(
      SELECT report_call_department_delta(o, d.service_level_s, -1)
        FROM old_calls o LEFT JOIN departments d ON d.id = o.department_id);
    agents := agents || ARRAY(SELECT report_call_agent_delta(o, -1) FROM old_calls o);
  END IF;
  PERFORM report_department_add(departments);
  PERFORM report_agent_add(agents);
  -- A call that moved after a wait or a ring: mark both departments' quarter
  -- hours, and its rings' quarter hours under both, for the flush.
  IF TG_OP = 'INSERT' THEN
    RETURN NULL;
  END IF;
  IF NOT EXISTS (SELECT FROM new_calls n JOIN old_calls o USING (id)
                  WHERE o.department_id IS DISTINCT FROM n.department_id) THEN
    RETURN NULL;
  END IF;
  INSERT INTO report_rollups_dirty_departments
  SELECT coalesce(d, report_no_department()), report_span_start('15min', n.arrived_at)
    FROM new_calls n JOIN old_calls o USING (id)
      CROSS JOIN LATERAL (VALUES (n.department_id), (o.department_id)) AS moved(d)
   WHERE o.department_id IS DISTINCT FROM n.department_id
     AND (o.wait_s IS NOT NULL OR EXISTS (SELECT FROM call_attempts a WHERE a.call_id = n.id))
  ON CONFLICT DO NOTHING;
  INSERT INTO report_rollups_dirty_agents
  SELECT a.agent_id, coalesce(d, report_no_department()), report_span_start('15min', a.started_at)
    FROM new_calls n JOIN old_calls o USING (id)
      CROSS JOIN LATERAL (VALUES (n.department_id), (o.department_id)) AS moved(d)
      JOIN call_attempts a ON a.call_id = n.id
   WHERE o.department_id IS DISTINCT FROM n.department_id
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END
$$;

CREATE FUNCTION report_rollups_attempts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  agents report_agent_rollups[];
  departments report_department_rollups[];
BEGIN
  IF NOT EXISTS (SELECT FROM new_attempts) THEN
    RETURN NULL;
  END IF;
  PERFORM report_rollups_lock_shared();
  agents := ARRAY(
    SELECT report_ring_agent_delta(n, coalesce(c.department_id, report_no_department()), 1)
      FROM new_attempts n JOIN calls c ON c.id = n.call_id);
  departments := ARRAY(
    SELECT report_ring_department_delta(n.result, c, 1)
      FROM new_attempts n JOIN calls c ON c.id = n.call_id
     WHERE report_ring_missed(n.result) <> 0);
  IF TG_OP = 'UPDATE' THEN
    agents := agents || ARRAY(
      SELECT report_ring_agent_delta(o, coalesce(c.department_id, report_no_department()), -1)
        FROM old_attempts o JOIN calls c ON c.id = o.call_id);
    departments := departments || ARRAY(
      SELECT report_ring_department_delta(o.result, c, -1)
        FROM old_attempts o JOIN calls c ON c.id = o.call_id
       WHERE report_ring_missed(o.result) <> 0);
  END IF;
  PERFORM report_agent_add(agents);
  PERFORM report_department_add(departments);
  RETURN NULL;
END
$$;

CREATE TRIGGER report_rollups_calls_inserted AFTER INSERT ON calls
  REFERENCING NEW TABLE AS new_calls
  FOR EACH STATEMENT EXECUTE FUNCTION report_rollups_calls_changed();
CREATE TRIGGER report_rollups_calls_updated AFTER UPDATE ON calls
  REFERENCING OLD TABLE AS old_calls NEW TABLE AS new_calls
  FOR EACH STATEMENT EXECUTE FUNCTION report_rollups_calls_changed();
CREATE TRIGGER report_rollups_attempts_inserted AFTER INSERT ON call_attempts
  REFERENCING NEW TABLE AS new_attempts
  FOR EACH STATEMENT EXECUTE FUNCTION report_rollups_attempts_changed();
CREATE TRIGGER report_rollups_attempts_updated AFTER UPDATE ON call_attempts
  REFERENCING OLD TABLE AS old_attempts NEW TABLE AS new_attempts
  FOR EACH STATEMENT EXECUTE FUNCTION report_rollups_attempts_changed();

-- Quarter hours marked by sql/0015's writers before this migration stay
-- marked: the next flush recomputes them, and the differences added to them
-- meanwhile are overwritten by that recomputation.
