-- Report rollups brought up to date by their readers instead of by every
-- write (sql/0014 made the tables; docs/reports.md explains the design).
-- The trigger functions of sql/0014 are replaced here, not edited there: the
-- migration runner refuses a file changed after it was applied.
--
-- The statement triggers on `calls` and `call_attempts` no longer recompute
-- rollup rows in the writer's transaction: they only record which quarter
-- hours they touched, as dirty marks (one index probe each when the quarter
-- hour is already marked). `report_rollups_flush()` recomputes the marked
-- quarter hours, their days and months, and deletes the marks. Every report
-- that reads the rollups calls it first, in the transaction it then reads
-- in, and a background pass in the app calls it every few seconds, so a
-- report rarely finds much to do.
--
-- One advisory lock (sql/0014's `report_rollups_lock()`) orders the writers
-- and the flush: a writer holds it shared from its mark to its commit, the
-- flush holds it exclusive from before it reads the marks to its commit.
-- So a flush starts only once every writer holding the lock has committed
-- or rolled back, and sees those commits; and a writer's mark (new, or
-- found already there) cannot be deleted before the writer commits, so it
-- stays until a flush that sees the writer's rows. A writer whose row
-- statement ran before a flush took the lock, and whose mark comes after,
-- marks after the flush committed: its mark stays for the next flush.
-- Writers share the lock, so they do not wait for one another.

-- Quarter hours (starts in UTC, as report_span_start('15min', ..) gives them)
-- whose rollup rows may no longer sum their calls and rings.
CREATE TABLE report_rollups_dirty_departments (
  department_key uuid NOT NULL,
  bucket timestamptz NOT NULL,
  PRIMARY KEY (department_key, bucket)
);

CREATE TABLE report_rollups_dirty_agents (
  agent_id uuid NOT NULL,
  department_key uuid NOT NULL,
  bucket timestamptz NOT NULL,
  PRIMARY KEY (agent_id, department_key, bucket)
);

-- The writers' side of report_rollups_lock(), held until the commit.
CREATE FUNCTION report_rollups_lock_shared() RETURNS void LANGUAGE sql AS $$
  SELECT pg_advisory_xact_lock_shared(7263390014)
$$;

-- Whether any quarter hour is marked (no lock: the background pass skips an
-- empty set without making writers wait).
CREATE FUNCTION report_rollups_pending() RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT EXISTS (SELECT 1 FROM report_rollups_dirty_departments)
      OR EXISTS (SELECT 1 FROM report_rollups_dirty_agents)
$$;

-- Recomputes every marked quarter hour (then its day and month) and deletes
-- the marks; returns how many marks it took. The lock stays held until the
-- caller's commit, so a report read after it in the same transaction sees
-- no write the flush did not.
CREATE FUNCTION report_rollups_flush() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  dk uuid[];
  ds timestamptz[];
  ak uuid[];
  ad uuid[];
  ast timestamptz[];
BEGIN
  -- Statements after the lock see every commit made before it (read committed).
  PERFORM report_rollups_lock();
  WITH gone AS (DELETE FROM report_rollups_dirty_departments RETURNING department_key, bucket)
  SELECT array_agg(department_key), array_agg(bucket) INTO dk, ds FROM gone;
  WITH gone AS (
    DELETE FROM report_rollups_dirty_agents RETURNING agent_id, department_key, bucket)
  SELECT array_agg(agent_id), array_agg(department_key), array_agg(bucket) INTO ak, ad, ast
    FROM gone;
  PERFORM report_rollups_refresh(dk, ds, ak, ad, ast);
  RETURN coalesce(cardinality(dk), 0) + coalesce(cardinality(ak), 0);
END
$$;

-- The triggers of sql/0014, marking instead of recomputing, straight from
-- the transition tables (one statement per table: an append pays a lock and
-- two index probes when its quarter hours are already marked). A statement
-- on `calls` touched each old and new row's department and agent quarter
-- hour, and, for a call that moved to another department, its rings' quarter
-- hours under both departments.
CREATE OR REPLACE FUNCTION report_rollups_calls_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM report_rollups_lock_shared();
  INSERT INTO report_rollups_dirty_departments
  SELECT DISTINCT coalesce(department_id, report_no_department()),
    report_span_start('15min', arrived_at) FROM new_calls
  ON CONFLICT DO NOTHING;
  INSERT INTO report_rollups_dirty_agents
  SELECT DISTINCT agent_id, coalesce(department_id, report_no_department()),
    report_span_start('15min', arrived_at) FROM new_calls WHERE agent_id IS NOT NULL
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION report_rollups_calls_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM report_rollups_lock_shared();
  INSERT INTO report_rollups_dirty_departments
  SELECT coalesce(department_id, report_no_department()), report_span_start('15min', arrived_at)
    FROM new_calls
  UNION
  SELECT coalesce(department_id, report_no_department()), report_span_start('15min', arrived_at)
    FROM old_calls
  ON CONFLICT DO NOTHING;
  INSERT INTO report_rollups_dirty_agents
  SELECT agent_id, coalesce(department_id, report_no_department()),
    report_span_start('15min', arrived_at) FROM new_calls WHERE agent_id IS NOT NULL
  UNION
  SELECT agent_id, coalesce(department_id, report_no_department()),
    report_span_start('15min', arrived_at) FROM old_calls WHERE agent_id IS NOT NULL
  UNION
  SELECT a.agent_id, coalesce(d, report_no_department()), report_span_start('15min', a.started_at)
    FROM new_calls n JOIN old_calls o USING (id)
      CROSS JOIN LATERAL (VALUES (n.department_id), (o.department_id)) AS moved(d)
      JOIN call_attempts a ON a.call_id = n.id
    WHERE o.department_id IS DISTINCT FROM n.department_id
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END
$$;

-- A statement on `call_attempts` touched each ring's agent quarter hour and,
-- once the ring has a result, its call's department quarter hour (missed rings).
CREATE OR REPLACE FUNCTION report_rollups_attempts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM report_rollups_lock_shared();
  INSERT INTO report_rollups_dirty_departments
  SELECT DISTINCT coalesce(c.department_id, report_no_department()),
    report_span_start('15min', c.arrived_at)
    FROM new_attempts a JOIN calls c ON c.id = a.call_id WHERE a.result IS NOT NULL
  ON CONFLICT DO NOTHING;
  INSERT INTO report_rollups_dirty_agents
  SELECT DISTINCT a.agent_id, coalesce(c.department_id, report_no_department()),
    report_span_start('15min', a.started_at)
    FROM new_attempts a JOIN calls c ON c.id = a.call_id
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END
$$;

-- A department's new service level (or a department appearing or going: its
-- calls then count against no threshold) marks its quarter hours; the next
-- flush recomputes them against the threshold as committed. The shared lock
-- is taken before the rows are listed, so no flush can add a row counted
-- against the old threshold between the list and the commit.
CREATE OR REPLACE FUNCTION report_rollups_department_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  dept uuid;
BEGIN
  IF TG_OP = 'DELETE' THEN
    dept := OLD.id;
  ELSE
    dept := NEW.id;
  END IF;
  PERFORM report_rollups_lock_shared();
  INSERT INTO report_rollups_dirty_departments
  SELECT department_key, bucket FROM report_department_rollups
    WHERE span = '15min' AND department_key = dept
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END
$$;
