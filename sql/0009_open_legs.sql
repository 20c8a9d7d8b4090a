-- Call legs an instance has sent to agents and not yet seen end, written
-- before each INVITE leaves. When the instance dies its legs stay up at the
-- SIP server with nobody behind them; the instance that takes over reads
-- them here and ends each one (a BYE inside the dialog with that Call-ID),
-- so that no agent is offered a call while a lost one still holds the line.
-- Rows are deleted when their leg ends: this is a working set, not history.
CREATE TABLE open_legs (
  sip_call_id text PRIMARY KEY CONSTRAINT open_legs_sip_call_id_check
    CHECK (length(sip_call_id) BETWEEN 1 AND 200),
  instance text NOT NULL,
  opened_at timestamptz NOT NULL DEFAULT now(),
  -- The Request-URI (the agent's device), for the takeover's log.
  target text NOT NULL DEFAULT ''
);
CREATE INDEX open_legs_instance_idx ON open_legs (instance, opened_at);
