-- Report rollups: the reports' figures per department and per agent, summed
-- per 15 minutes, per UTC day and per UTC month, so a report over a year adds
-- up a few hundred rows instead of reading every call (src/store/reports.ts
-- and report-parts.ts read them; docs/reports.md explains the design).
--
-- A rollup row holds only counts, sums and maxima of the figures of the
-- calls (by arrival) and rings (by start) inside its span, so any set of
-- whole spans adds up to exactly what the same calls give read one by one.
-- Times are summed in integer milliseconds (the log keeps milliseconds), so
-- the sums do not depend on the order of the additions.
--
-- Kept current by statement triggers on the projections (`calls`,
-- `call_attempts`): after each statement the spans it touched are
-- recomputed from the projections, in the writer's own transaction. Every
-- writer takes one transaction-scoped advisory lock first, so recomputations
-- never interleave: each sees every earlier writer's commit and no two
-- writers lock rollup rows in opposite orders.

-- The nil uuid stands for "no department" (calls to an unknown number) in the keys.
CREATE FUNCTION report_no_department() RETURNS uuid LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT '00000000-0000-0000-0000-000000000000'::uuid
$$;

-- The start of the span of kind `span` ('15min', 'day', 'month') holding
-- `t`, cut in UTC (15 minutes from the epoch, UTC days and months).
CREATE FUNCTION report_span_start(span text, t timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE span
    WHEN '15min' THEN date_bin('15 minutes', t AT TIME ZONE 'UTC', timestamp '2000-01-01')
    WHEN 'day' THEN date_trunc('day', t AT TIME ZONE 'UTC')
    WHEN 'month' THEN date_trunc('month', t AT TIME ZONE 'UTC') END AT TIME ZONE 'UTC'
$$;

CREATE FUNCTION report_span_end(span text, start timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT ((start AT TIME ZONE 'UTC') + CASE span WHEN '15min' THEN interval '15 minutes'
    WHEN 'day' THEN interval '1 day' WHEN 'month' THEN interval '1 month' END) AT TIME ZONE 'UTC'
$$;

-- [a, b) cut into pieces: the whole months, whole days and whole quarter
-- hours inside it (UTC), read from the rollups, and at most two edges
-- shorter than 15 minutes ('raw'), read from the calls. With `rolled` false
-- the whole range is one raw piece (the reports' reference path).
CREATE FUNCTION report_pieces(a timestamptz, b timestamptz, rolled boolean)
RETURNS TABLE (span text, lo timestamptz, hi timestamptz)
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE ROWS 6 AS $$
DECLARE
  finer text[] := ARRAY['raw', '15min', 'day'];
  coarser text[] := ARRAY['15min', 'day', 'month'];
  inner_lo timestamptz := a;
  inner_hi timestamptz := b;
  next_lo timestamptz;
  next_hi timestamptz;
BEGIN
  IF a >= b THEN
    RETURN;
  END IF;
  IF NOT rolled THEN
    RETURN QUERY SELECT 'raw'::text, a, b;
    RETURN;
  END IF;
  -- From the finest span outwards: the edges that the next coarser span
  -- does not cover whole stay with the finer one.
  FOR i IN 1..3 LOOP
    next_lo := report_span_start(coarser[i], inner_lo);
    IF next_lo < inner_lo THEN
      next_lo := report_span_end(coarser[i], next_lo);
    END IF;
    next_hi := report_span_start(coarser[i], inner_hi);
    IF next_lo >= next_hi THEN
      RETURN QUERY SELECT finer[i], inner_lo, inner_hi;
      RETURN;
    END IF;
    IF inner_lo < next_lo THEN
      RETURN QUERY SELECT finer[i], inner_lo, next_lo;
    END IF;
    IF next_hi < inner_hi THEN
      RETURN QUERY SELECT finer[i], next_hi, inner_hi;
    END IF;
    inner_lo := next_lo;
    inner_hi := next_hi;
  END LOOP;
  RETURN QUERY SELECT 'month'::text, inner_lo, inner_hi;
END
$$;

-- The local interval (unit '15min', 'hour', 'day', 'week' or 'month') holding
-- local time `x`: the interval report's label of a call (report-intervals.ts).
CREATE FUNCTION report_local_interval(unit text, x timestamp) RETURNS timestamp
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE unit
    WHEN '15min' THEN date_trunc('hour', x) + floor(extract(minute FROM x) / 15) * interval '15 minutes'
    ELSE date_trunc(unit, x) END
$$;

-- Whether every instant of [u, u + len) lies in the local interval of u: the
-- zone's offset does not change inside it and its end has u's label.
CREATE FUNCTION report_step_whole(unit text, tz text, u timestamptz, len interval) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT report_local_interval(unit, u AT TIME ZONE tz)
           = report_local_interval(unit, (u + len - interval '1 microsecond') AT TIME ZONE tz)
     AND (u AT TIME ZONE tz) - (u AT TIME ZONE 'UTC')
           = ((u + len - interval '1 microsecond') AT TIME ZONE tz)
             - ((u + len - interval '1 microsecond') AT TIME ZONE 'UTC')
$$;

-- The pieces of an interval report over [a, b) in zone `tz`, each with the
-- local interval (`grp`) its calls belong to. A call belongs to the interval
-- of its local arrival time, so the time line is cut into UTC steps (quarter
-- hours for units under a day, hours otherwise) labelled with the interval
-- of their local start; a step that is not whole (report_step_whole) is cut
-- into quarter hours; consecutive steps of one label form a run, cut by
-- report_pieces. Where a quarter hour is not whole either (an offset that is
-- no multiple of 15 minutes) or `rolled` is false, the answer is one raw
-- piece without a label: the reader labels each call by its own arrival.
-- The query's row estimates are far above the few hundred rows it makes, so
-- Postgres would compile it (JIT) for longer than it runs.
CREATE FUNCTION report_interval_pieces(a timestamptz, b timestamptz, tz text, unit text,
  rolled boolean)
RETURNS TABLE (grp timestamp, span text, lo timestamptz, hi timestamptz)
LANGUAGE plpgsql STABLE ROWS 50 SET jit = off AS $$
DECLARE
  step interval := CASE WHEN unit IN ('15min', 'hour') THEN interval '15 minutes'
                        ELSE interval '1 hour' END;
BEGIN
  IF rolled THEN
    RETURN QUERY
    WITH steps0 AS (
      SELECT u, report_step_whole(unit, tz, u, step) AS whole
      FROM generate_series(date_bin(step, a, timestamptz '2000-01-01 00:00:00+00'),
        b - interval '1 microsecond', step) u),
    steps AS (
      SELECT u AS s_lo, u + step AS s_hi, report_local_interval(unit, u AT TIME ZONE tz) AS label,
        true AS whole
      FROM steps0 WHERE steps0.whole
      UNION ALL
      SELECT q, q + interval '15 minutes', report_local_interval(unit, q AT TIME ZONE tz),
        report_step_whole(unit, tz, q, interval '15 minutes')
      FROM steps0 CROSS JOIN LATERAL generate_series(u, u + step - interval '15 minutes',
        interval '15 minutes') q
      WHERE NOT steps0.whole),
    islands AS (
      SELECT s_lo, s_hi, label,
        sum(CASE WHEN label = prev THEN 0 ELSE 1 END) OVER (ORDER BY s_lo) AS island
      FROM (SELECT s_lo, s_hi, label, lag(label) OVER (ORDER BY s_lo) AS prev FROM steps) t),
    runs AS (
      SELECT label, min(s_lo) AS r_lo, max(s_hi) AS r_hi FROM islands GROUP BY label, island)
    SELECT r.label, p.span, p.lo, p.hi
    FROM runs r CROSS JOIN LATERAL report_pieces(greatest(r.r_lo, a), least(r.r_hi, b), true) p
    WHERE (SELECT bool_and(whole) FROM steps);
    IF FOUND THEN
      RETURN;
    END IF;
  END IF;
  RETURN QUERY SELECT NULL::timestamp, 'raw'::text, a, b;
END
$$;

-- One row per call with its share of every call figure (src/store/report-figures.ts
-- defines them). The service level counts against the department's current
-- threshold; the short-abandon threshold is the reader's, so it is not here.
CREATE VIEW report_call_parts AS
SELECT c.id, c.department_id, coalesce(c.department_id, report_no_department()) AS department_key,
  c.arrived_at, c.agent_id, c.answered_at, c.outcome, c.wait_s,
  CASE WHEN c.ended_at IS NULL THEN 1 ELSE 0 END AS live,
  CASE WHEN c.outcome IS NULL OR c.outcome NOT IN ('out-of-hours', 'rejected') THEN 1 ELSE 0 END
    AS offered,
  CASE WHEN c.answered_at IS NOT NULL THEN 1 ELSE 0 END AS answered,
  CASE WHEN c.answered_at IS NULL AND c.outcome NOT IN ('answered', 'out-of-hours', 'rejected')
    THEN 1 ELSE 0 END AS missed,
  CASE WHEN c.answered_at IS NOT NULL AND c.wait_s <= d.service_level_s THEN 1 ELSE 0 END
    AS within_sl,
  CASE WHEN c.answered_at IS NOT NULL AND c.wait_s IS NOT NULL THEN 1 ELSE 0 END AS answered_wait_n,
  CASE WHEN c.answered_at IS NOT NULL THEN round(c.wait_s * 1000)::bigint END AS answered_wait_ms,
  CASE WHEN c.talk_s IS NOT NULL THEN 1 ELSE 0 END AS talk_n,
  round(c.talk_s * 1000)::bigint AS talk_ms,
  round(c.talk_s * 1000)::bigint + coalesce(d.wrap_up_s, 0) * 1000 AS handle_ms,
  CASE WHEN c.outcome = 'answered' THEN 1 ELSE 0 END AS outcome_answered,
  CASE WHEN c.outcome = 'abandoned' THEN 1 ELSE 0 END AS outcome_abandoned,
  CASE WHEN c.outcome = 'overflowed' THEN 1 ELSE 0 END AS outcome_overflowed,
  CASE WHEN c.outcome = 'out-of-hours' THEN 1 ELSE 0 END AS outcome_out_of_hours,
  CASE WHEN c.outcome = 'no-agent' THEN 1 ELSE 0 END AS outcome_no_agent,
  CASE WHEN c.outcome = 'rejected' THEN 1 ELSE 0 END AS outcome_rejected,
  CASE WHEN c.outcome = 'failed' THEN 1 ELSE 0 END AS outcome_failed,
  CASE WHEN c.outcome = 'callback-failed' THEN 1 ELSE 0 END AS outcome_callback_failed,
  (SELECT count(*) FROM call_attempts a WHERE a.call_id = c.id
      AND a.result IN ('no-answer', 'busy', 'declined', 'unreachable', 'failed'))::int
    AS missed_rings
FROM calls c LEFT JOIN departments d ON d.id = c.department_id;

-- One row per ring with its share of the agent figures; the department is its call's.
CREATE VIEW report_ring_parts AS
SELECT a.id, a.agent_id, a.started_at, c.department_id,
  coalesce(c.department_id, report_no_department()) AS department_key,
  CASE WHEN a.result = 'answered' THEN 1 ELSE 0 END AS rings_answered,
  CASE WHEN a.result IN ('no-answer', 'busy', 'declined', 'unreachable', 'failed') THEN 1 ELSE 0 END
    AS missed_rings,
  CASE WHEN a.result = 'answered' AND a.ring_s IS NOT NULL THEN 1 ELSE 0 END AS answered_ring_n,
  CASE WHEN a.result = 'answered' THEN round(a.ring_s * 1000)::bigint END AS answered_ring_ms
FROM call_attempts a JOIN calls c ON c.id = a.call_id;

-- Per department and span: the call figures of the calls that arrived in it.
-- `within_sl` counts against the department's current service level (a
-- change of it recomputes the department's rows); `short_abandoned` against
-- the default threshold of 5 s (other thresholds are read from the calls).
CREATE TABLE report_department_rollups (
  span text NOT NULL CONSTRAINT report_department_rollups_span_check
    CHECK (span IN ('15min', 'day', 'month')),
  department_key uuid NOT NULL,
  bucket timestamptz NOT NULL,
  calls integer NOT NULL,
  live integer NOT NULL,
  offered integer NOT NULL,
  answered integer NOT NULL,
  missed integer NOT NULL,
  short_abandoned integer NOT NULL,
  within_sl integer NOT NULL,
  answered_wait_n integer NOT NULL,
  answered_wait_ms bigint NOT NULL,
  talk_n integer NOT NULL,
  talk_ms bigint NOT NULL,
  longest_wait_s double precision,
  outcome_answered integer NOT NULL,
  outcome_abandoned integer NOT NULL,
  outcome_overflowed integer NOT NULL,
  outcome_out_of_hours integer NOT NULL,
  outcome_no_agent integer NOT NULL,
  outcome_rejected integer NOT NULL,
  outcome_failed integer NOT NULL,
  outcome_callback_failed integer NOT NULL,
  missed_rings integer NOT NULL,
  PRIMARY KEY (span, department_key, bucket)
);
CREATE INDEX report_department_rollups_bucket_idx ON report_department_rollups (span, bucket);

-- Per agent, department (of the call) and span: rings by start time, answered
-- calls by arrival time (as the agent report counts them).
CREATE TABLE report_agent_rollups (
  span text NOT NULL CONSTRAINT report_agent_rollups_span_check
    CHECK (span IN ('15min', 'day', 'month')),
  agent_id uuid NOT NULL,
  department_key uuid NOT NULL,
  bucket timestamptz NOT NULL,
  rings integer NOT NULL,
  rings_answered integer NOT NULL,
  missed_rings integer NOT NULL,
  answered_ring_n integer NOT NULL,
  answered_ring_ms bigint NOT NULL,
  answered integer NOT NULL,
  talk_n integer NOT NULL,
  talk_ms bigint NOT NULL,
  PRIMARY KEY (span, agent_id, department_key, bucket)
);
CREATE INDEX report_agent_rollups_bucket_idx ON report_agent_rollups (span, bucket);

-- Rows of a span's coarser parents are sums of its rows: the day of each
-- touched quarter hour is recomputed from its quarters, the month from its
-- days. A row whose calls all moved away stays, with zeros: the readers skip
-- empty groups, and deleting it would cost every write another statement. (PL/pgSQL keeps the statements' plans for the session; an SQL
-- function would plan them again on every call.)
CREATE FUNCTION report_department_roll_up(finer text, coarser text, keys uuid[],
  starts timestamptz[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO report_department_rollups AS r
  SELECT coarser, k.department_key, k.bucket, f.*
  FROM (SELECT DISTINCT u.department_key, report_span_start(coarser, u.bucket) AS bucket
          FROM unnest(keys, starts) AS u(department_key, bucket)) k
  CROSS JOIN LATERAL (
    SELECT coalesce(sum(x.calls), 0), coalesce(sum(x.live), 0), coalesce(sum(x.offered), 0),
      coalesce(sum(x.answered), 0), coalesce(sum(x.missed), 0),
      coalesce(sum(x.short_abandoned), 0), coalesce(sum(x.within_sl), 0),
      coalesce(sum(x.answered_wait_n), 0), coalesce(sum(x.answered_wait_ms), 0),
      coalesce(sum(x.talk_n), 0), coalesce(sum(x.talk_ms), 0), max(x.longest_wait_s),
      coalesce(sum(x.outcome_answered), 0), coalesce(sum(x.outcome_abandoned), 0),
      coalesce(sum(x.outcome_overflowed), 0), coalesce(sum(x.outcome_out_of_hours), 0),
      coalesce(sum(x.outcome_no_agent), 0), coalesce(sum(x.outcome_rejected), 0),
      coalesce(sum(x.outcome_failed), 0), coalesce(sum(x.outcome_callback_failed), 0),
      coalesce(sum(x.missed_rings), 0)
    FROM report_department_rollups x
    WHERE x.span = finer AND x.department_key = k.department_key
      AND x.bucket >= k.bucket AND x.bucket < report_span_end(coarser, k.bucket)) f
  ON CONFLICT (span, department_key, bucket) DO UPDATE SET
    (calls, live, offered, answered, missed, short_abandoned, within_sl, answered_wait_n,
     answered_wait_ms, talk_n, talk_ms, longest_wait_s, outcome_answered, outcome_abandoned,
     outcome_overflowed, outcome_out_of_hours, outcome_no_agent, outcome_rejected,
     outcome_failed, outcome_callback_failed, missed_rings) =
    (excluded.calls, excluded.live, excluded.offered, excluded.answered, excluded.missed,
     excluded.short_abandoned, excluded.within_sl, excluded.answered_wait_n,
     excluded.answered_wait_ms, excluded.talk_n, excluded.talk_ms, excluded.longest_wait_s,
     excluded.outcome_answered, excluded.outcome_abandoned, excluded.outcome_overflowed,
     excluded.outcome_out_of_hours, excluded.outcome_no_agent, excluded.outcome_rejected,
     excluded.outcome_failed, excluded.outcome_callback_failed, excluded.missed_rings);
END
$$;

CREATE FUNCTION report_agent_roll_up(finer text, coarser text, agents uuid[], keys uuid[],
  starts timestamptz[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO report_agent_rollups AS r
  SELECT coarser, k.agent_id, k.department_key, k.bucket, f.*
  FROM (SELECT DISTINCT u.agent_id, u.department_key,
          report_span_start(coarser, u.bucket) AS bucket
          FROM unnest(agents, keys, starts) AS u(agent_id, department_key, bucket)) k
  CROSS JOIN LATERAL (
    SELECT coalesce(sum(x.rings), 0), coalesce(sum(x.rings_answered), 0),
      coalesce(sum(x.missed_rings), 0), coalesce(sum(x.answered_ring_n), 0),
      coalesce(sum(x.answered_ring_ms), 0), coalesce(sum(x.answered), 0),
      coalesce(sum(x.talk_n), 0), coalesce(sum(x.talk_ms), 0)
    FROM report_agent_rollups x
    WHERE x.span = finer AND x.agent_id = k.agent_id AND x.department_key = k.department_key
      AND x.bucket >= k.bucket AND x.bucket < report_span_end(coarser, k.bucket)) f
  ON CONFLICT (span, agent_id, department_key, bucket) DO UPDATE SET
    (rings, rings_answered, missed_rings, answered_ring_n, answered_ring_ms, answered, talk_n,
     talk_ms) =
    (excluded.rings, excluded.rings_answered, excluded.missed_rings, excluded.answered_ring_n,
     excluded.answered_ring_ms, excluded.answered, excluded.talk_n, excluded.talk_ms);
END
$$;

-- The lock every rollup writer holds until its commit (an arbitrary constant
-- naming this use of pg_advisory_xact_lock).
CREATE FUNCTION report_rollups_lock() RETURNS void LANGUAGE sql AS $$
  SELECT pg_advisory_xact_lock(7263390014)
$$;

-- Recomputes the quarter hours named by (department, start) and by (agent,
-- department, start) from the projections, then their days and months.
CREATE FUNCTION report_rollups_refresh(dept_keys uuid[], dept_starts timestamptz[],
  agent_ids uuid[], agent_depts uuid[], agent_starts timestamptz[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF dept_keys IS NULL AND agent_ids IS NULL THEN
    RETURN;
  END IF;
  -- Statements after the lock see every commit made before it (read committed).
  PERFORM report_rollups_lock();

  IF dept_keys IS NOT NULL THEN
    INSERT INTO report_department_rollups AS r
    SELECT '15min', k.department_key, k.bucket, f.*
    FROM (SELECT DISTINCT department_key, report_span_start('15min', bucket) AS bucket
            FROM unnest(dept_keys, dept_starts) AS u(department_key, bucket)) k
    CROSS JOIN LATERAL (
      SELECT count(*)::int, coalesce(sum(p.live), 0), coalesce(sum(p.offered), 0),
        coalesce(sum(p.answered), 0), coalesce(sum(p.missed), 0),
        count(*) FILTER (WHERE p.outcome = 'abandoned' AND p.wait_s < 5),
        coalesce(sum(p.within_sl), 0), coalesce(sum(p.answered_wait_n), 0),
        coalesce(sum(p.answered_wait_ms), 0), coalesce(sum(p.talk_n), 0),
        coalesce(sum(p.talk_ms), 0), max(p.wait_s),
        coalesce(sum(p.outcome_answered), 0), coalesce(sum(p.outcome_abandoned), 0),
        coalesce(sum(p.outcome_overflowed), 0), coalesce(sum(p.outcome_out_of_hours), 0),
        coalesce(sum(p.outcome_no_agent), 0), coalesce(sum(p.outcome_rejected), 0),
        coalesce(sum(p.outcome_failed), 0), coalesce(sum(p.outcome_callback_failed), 0),
        coalesce(sum(p.missed_rings), 0)
      FROM report_call_parts p
      WHERE p.arrived_at >= k.bucket AND p.arrived_at < k.bucket + interval '15 minutes'
        AND p.department_key = k.department_key) f
    ON CONFLICT (span, department_key, bucket) DO UPDATE SET
      (calls, live, offered, answered, missed, short_abandoned, within_sl, answered_wait_n,
       answered_wait_ms, talk_n, talk_ms, longest_wait_s, outcome_answered, outcome_abandoned,
       outcome_overflowed, outcome_out_of_hours, outcome_no_agent, outcome_rejected,
       outcome_failed, outcome_callback_failed, missed_rings) =
      (excluded.calls, excluded.live, excluded.offered, excluded.answered, excluded.missed,
       excluded.short_abandoned, excluded.within_sl, excluded.answered_wait_n,
       excluded.answered_wait_ms, excluded.talk_n, excluded.talk_ms, excluded.longest_wait_s,
       excluded.outcome_answered, excluded.outcome_abandoned, excluded.outcome_overflowed,
       excluded.outcome_out_of_hours, excluded.outcome_no_agent, excluded.outcome_rejected,
       excluded.outcome_failed, excluded.outcome_callback_failed, excluded.missed_rings);
    PERFORM report_department_roll_up('15min', 'day', dept_keys, dept_starts);
    PERFORM report_department_roll_up('day', 'month', dept_keys, dept_starts);
  END IF;

  IF agent_ids IS NOT NULL THEN
    INSERT INTO report_agent_rollups AS r
    SELECT '15min', k.agent_id, k.department_key, k.bucket, rg.*, tk.*
    FROM (SELECT DISTINCT agent_id, department_key, report_span_start('15min', bucket) AS bucket
            FROM unnest(agent_ids, agent_depts, agent_starts)
              AS u(agent_id, department_key, bucket)) k
    CROSS JOIN LATERAL (
      SELECT count(*)::int, coalesce(sum(p.rings_answered), 0), coalesce(sum(p.missed_rings), 0),
        coalesce(sum(p.answered_ring_n), 0), coalesce(sum(p.answered_ring_ms), 0)
      FROM report_ring_parts p
      WHERE p.agent_id = k.agent_id AND p.started_at >= k.bucket
        AND p.started_at < k.bucket + interval '15 minutes'
        AND p.department_key = k.department_key) rg
    CROSS JOIN LATERAL (
      SELECT count(*)::int, coalesce(sum(p.talk_n), 0), coalesce(sum(p.talk_ms), 0)
      FROM report_call_parts p
      WHERE p.agent_id = k.agent_id AND p.arrived_at >= k.bucket
        AND p.arrived_at < k.bucket + interval '15 minutes'
        AND p.department_key = k.department_key AND p.answered_at IS NOT NULL) tk
    ON CONFLICT (span, agent_id, department_key, bucket) DO UPDATE SET
      (rings, rings_answered, missed_rings, answered_ring_n, answered_ring_ms, answered, talk_n,
       talk_ms) =
      (excluded.rings, excluded.rings_answered, excluded.missed_rings, excluded.answered_ring_n,
       excluded.answered_ring_ms, excluded.answered, excluded.talk_n, excluded.talk_ms);
    PERFORM report_agent_roll_up('15min', 'day', agent_ids, agent_depts, agent_starts);
    PERFORM report_agent_roll_up('day', 'month', agent_ids, agent_depts, agent_starts);
  END IF;
END
$$;

-- The spans a statement on `calls` touched: each old and new row's
-- department and agent quarter hour, and, for a call that moved to another
-- department, its rings' quarter hours under both departments.
CREATE FUNCTION report_rollups_calls_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM report_rollups_refresh(
    array_agg(k) FILTER (WHERE g IS NULL), array_agg(s) FILTER (WHERE g IS NULL),
    array_agg(g) FILTER (WHERE g IS NOT NULL), array_agg(k) FILTER (WHERE g IS NOT NULL),
    array_agg(s) FILTER (WHERE g IS NOT NULL))
  FROM (
    SELECT DISTINCT NULL::uuid AS g, coalesce(department_id, report_no_department()) AS k,
      report_span_start('15min', arrived_at) AS s FROM new_calls
    UNION
    SELECT agent_id, coalesce(department_id, report_no_department()),
      report_span_start('15min', arrived_at) FROM new_calls WHERE agent_id IS NOT NULL) keys;
  RETURN NULL;
END
$$;

CREATE FUNCTION report_rollups_calls_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM report_rollups_refresh(
    array_agg(k) FILTER (WHERE g IS NULL), array_agg(s) FILTER (WHERE g IS NULL),
    array_agg(g) FILTER (WHERE g IS NOT NULL), array_agg(k) FILTER (WHERE g IS NOT NULL),
    array_agg(s) FILTER (WHERE g IS NOT NULL))
  FROM (
    WITH touched AS (
      SELECT n.id, n.department_id, n.agent_id, n.arrived_at,
        o.department_id IS DISTINCT FROM n.department_id AS moved
        FROM new_calls n JOIN old_calls o USING (id)
      UNION ALL
      SELECT o.id, o.department_id, o.agent_id, o.arrived_at,
        o.department_id IS DISTINCT FROM n.department_id
        FROM new_calls n JOIN old_calls o USING (id))
    SELECT DISTINCT NULL::uuid AS g, coalesce(department_id, report_no_department()) AS k,
      report_span_start('15min', arrived_at) AS s FROM touched
    UNION
    SELECT agent_id, coalesce(department_id, report_no_department()),
      report_span_start('15min', arrived_at) FROM touched WHERE agent_id IS NOT NULL
    UNION
    SELECT a.agent_id, coalesce(t.department_id, report_no_department()),
      report_span_start('15min', a.started_at)
      FROM touched t JOIN call_attempts a ON a.call_id = t.id WHERE t.moved) keys;
  RETURN NULL;
END
$$;

-- The spans a statement on `call_attempts` touched: each ring's agent
-- quarter hour and its call's department quarter hour (missed rings).
CREATE FUNCTION report_rollups_attempts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM report_rollups_refresh(
    array_agg(k) FILTER (WHERE g IS NULL), array_agg(s) FILTER (WHERE g IS NULL),
    array_agg(g) FILTER (WHERE g IS NOT NULL), array_agg(k) FILTER (WHERE g IS NOT NULL),
    array_agg(s) FILTER (WHERE g IS NOT NULL))
  FROM (
    SELECT DISTINCT NULL::uuid AS g, coalesce(c.department_id, report_no_department()) AS k,
      report_span_start('15min', c.arrived_at) AS s
      FROM new_attempts a JOIN calls c ON c.id = a.call_id WHERE a.result IS NOT NULL
    UNION
    SELECT a.agent_id, coalesce(c.department_id, report_no_department()),
      report_span_start('15min', a.started_at)
      FROM new_attempts a JOIN calls c ON c.id = a.call_id) keys;
  RETURN NULL;
END
$$;

CREATE TRIGGER report_rollups_calls_inserted AFTER INSERT ON calls
  REFERENCING NEW TABLE AS new_calls
  FOR EACH STATEMENT EXECUTE FUNCTION report_rollups_calls_inserted();
CREATE TRIGGER report_rollups_calls_updated AFTER UPDATE ON calls
  REFERENCING OLD TABLE AS old_calls NEW TABLE AS new_calls
  FOR EACH STATEMENT EXECUTE FUNCTION report_rollups_calls_updated();
-- An attempt's agent, start and call never change, so its new row names every span it touched.
CREATE TRIGGER report_rollups_attempts_inserted AFTER INSERT ON call_attempts
  REFERENCING NEW TABLE AS new_attempts
  FOR EACH STATEMENT EXECUTE FUNCTION report_rollups_attempts_changed();
CREATE TRIGGER report_rollups_attempts_updated AFTER UPDATE ON call_attempts
  REFERENCING NEW TABLE AS new_attempts
  FOR EACH STATEMENT EXECUTE FUNCTION report_rollups_attempts_changed();

-- A department's new service level (or a department appearing or going: its
-- calls then count against no threshold) recomputes its rows. The lock is
-- taken before its rows are listed, so no writer adds one counted against
-- the old threshold after the list.
CREATE FUNCTION report_rollups_department_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  dept uuid;
  dk uuid[];
  ds timestamptz[];
BEGIN
  IF TG_OP = 'DELETE' THEN
    dept := OLD.id;
  ELSE
    dept := NEW.id;
  END IF;
  PERFORM report_rollups_lock();
  SELECT array_agg(department_key), array_agg(bucket) INTO dk, ds
    FROM report_department_rollups WHERE span = '15min' AND department_key = dept;
  PERFORM report_rollups_refresh(dk, ds, NULL, NULL, NULL);
  RETURN NULL;
END
$$;

CREATE TRIGGER report_rollups_department_changed
  AFTER UPDATE OF service_level_s ON departments
  FOR EACH ROW WHEN (OLD.service_level_s IS DISTINCT FROM NEW.service_level_s)
  EXECUTE FUNCTION report_rollups_department_changed();
CREATE TRIGGER report_rollups_department_added_or_removed AFTER INSERT OR DELETE ON departments
  FOR EACH ROW EXECUTE FUNCTION report_rollups_department_changed();

-- Recomputes every row from the projections in one pass per table (the
-- migration's backfill; bulk loads that write the projections with the
-- triggers disabled call it after).
CREATE FUNCTION report_rollups_rebuild() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  dk uuid[];
  ds timestamptz[];
  ak uuid[];
  ad uuid[];
  ast timestamptz[];
BEGIN
  PERFORM report_rollups_lock();
  DELETE FROM report_department_rollups;
  DELETE FROM report_agent_rollups;
  INSERT INTO report_department_rollups
  SELECT '15min', p.department_key, report_span_start('15min', p.arrived_at),
    count(*)::int, sum(p.live), sum(p.offered), sum(p.answered), sum(p.missed),
    count(*) FILTER (WHERE p.outcome = 'abandoned' AND p.wait_s < 5),
    sum(p.within_sl), sum(p.answered_wait_n), coalesce(sum(p.answered_wait_ms), 0),
    sum(p.talk_n), coalesce(sum(p.talk_ms), 0), max(p.wait_s),
    sum(p.outcome_answered), sum(p.outcome_abandoned), sum(p.outcome_overflowed),
    sum(p.outcome_out_of_hours), sum(p.outcome_no_agent), sum(p.outcome_rejected),
    sum(p.outcome_failed), sum(p.outcome_callback_failed), sum(p.missed_rings)
  FROM report_call_parts p
  GROUP BY 2, 3;
  INSERT INTO report_agent_rollups
  SELECT '15min', x.agent_id, x.department_key, x.bucket, sum(x.rings), sum(x.rings_answered),
    sum(x.missed_rings), sum(x.answered_ring_n), sum(x.answered_ring_ms), sum(x.answered),
    sum(x.talk_n), sum(x.talk_ms)
  FROM (
    SELECT a.agent_id, a.department_key, report_span_start('15min', a.started_at) AS bucket,
      1 AS rings, a.rings_answered, a.missed_rings, a.answered_ring_n,
      coalesce(a.answered_ring_ms, 0) AS answered_ring_ms, 0 AS answered, 0 AS talk_n,
      0::bigint AS talk_ms
    FROM report_ring_parts a
    UNION ALL
    SELECT c.agent_id, c.department_key, report_span_start('15min', c.arrived_at), 0, 0, 0, 0, 0,
      1, c.talk_n, coalesce(c.talk_ms, 0)
    FROM report_call_parts c WHERE c.agent_id IS NOT NULL AND c.answered_at IS NOT NULL) x
  GROUP BY 2, 3, 4;
  SELECT array_agg(department_key), array_agg(bucket) INTO dk, ds
    FROM report_department_rollups WHERE span = '15min';
  PERFORM report_department_roll_up('15min', 'day', dk, ds);
  PERFORM report_department_roll_up('day', 'month', dk, ds);
  SELECT array_agg(agent_id), array_agg(department_key), array_agg(bucket) INTO ak, ad, ast
    FROM report_agent_rollups WHERE span = '15min';
  PERFORM report_agent_roll_up('15min', 'day', ak, ad, ast);
  PERFORM report_agent_roll_up('day', 'month', ak, ad, ast);
END
$$;

SELECT report_rollups_rebuild();
