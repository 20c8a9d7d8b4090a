-- Several app instances on one database: which one routes, who routed each
-- call, and a notification for every change the router must follow.

-- The routing lease: one row. The instance whose `holder` it is and whose
-- `expires_at` lies ahead routes; it renews the lease well before it ends and
-- stops routing by itself, one renewal early, when it cannot renew. `epoch`
-- grows with every change of holder (a fencing token: writes tagged with an
-- older epoch come from a leader that has been replaced).
CREATE TABLE routing_lease (
  id boolean PRIMARY KEY DEFAULT true CONSTRAINT routing_lease_one_row CHECK (id),
  holder text,
  epoch bigint NOT NULL DEFAULT 0,
  acquired_at timestamptz,
  expires_at timestamptz NOT NULL DEFAULT '-infinity'
);
INSERT INTO routing_lease DEFAULT VALUES;

-- Instances that have run against this database (for the operator and the
-- takeover: the calls of an instance that is gone are closed by the next leader).
CREATE TABLE instances (
  id text PRIMARY KEY CONSTRAINT instances_id_check CHECK (length(id) BETWEEN 1 AND 64),
  host text NOT NULL,
  pid integer NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  seen_at timestamptz NOT NULL DEFAULT now()
);

-- The instance that routed the call: each instance names itself in the
-- `acd.instance` setting of its database sessions, so the calls that its
-- events create carry its name without any change to the events.
ALTER TABLE calls
  ADD COLUMN routed_by text DEFAULT nullif(current_setting('acd.instance', true), '');
CREATE INDEX calls_live_routed_by_idx ON calls (routed_by) WHERE ended_at IS NULL;

-- Changes the router follows, as NOTIFY on channel `acd_changes` with a JSON
-- payload {"table": ..., "op": ..., "id": ..., "by": <instance or null>}.
-- `by` is the writing session's `acd.instance`: null for a change made by hand
-- in SQL. Notifications are delivered at commit, to every listening session.
CREATE FUNCTION acd_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  r record;
BEGIN
  IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
  PERFORM pg_notify('acd_changes', json_build_object(
    'table', TG_TABLE_NAME,
    'op', lower(TG_OP),
    'id', r.id::text,
    'by', nullif(current_setting('acd.instance', true), '')
  )::text);
  RETURN NULL;
END;
$$;

CREATE TRIGGER departments_notify AFTER INSERT OR UPDATE OR DELETE ON departments
  FOR EACH ROW EXECUTE FUNCTION acd_notify_change();
CREATE TRIGGER agents_notify AFTER INSERT OR UPDATE OR DELETE ON agents
  FOR EACH ROW EXECUTE FUNCTION acd_notify_change();
CREATE TRIGGER memberships_notify AFTER INSERT OR UPDATE OR DELETE ON memberships
  FOR EACH ROW EXECUTE FUNCTION acd_notify_change();
CREATE TRIGGER dids_notify AFTER INSERT OR UPDATE OR DELETE ON dids
  FOR EACH ROW EXECUTE FUNCTION acd_notify_change();
CREATE TRIGGER vip_callers_notify AFTER INSERT OR UPDATE OR DELETE ON vip_callers
  FOR EACH ROW EXECUTE FUNCTION acd_notify_change();
CREATE TRIGGER mobile_allow_list_notify AFTER INSERT OR UPDATE OR DELETE ON mobile_allow_list
  FOR EACH ROW EXECUTE FUNCTION acd_notify_change();
