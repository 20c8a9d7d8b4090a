-- Voicemails: messages callers left at a department's `voicemail` exit.
-- The audio is a WAV file outside the database (`path`, as this app reads it;
-- with several instances a folder every instance can read). A row is written
-- only once its file is complete, so a listed voicemail always has audio.
-- Ids of calls and departments are kept without foreign keys: history
-- outlives configuration, as in the call log.

ALTER TABLE departments
  ADD COLUMN voicemail_max_s integer NOT NULL DEFAULT 120
    CONSTRAINT departments_voicemail_max_s_check CHECK (voicemail_max_s BETWEEN 5 AND 3600);

CREATE TABLE voicemails (
  id uuid PRIMARY KEY,
  call_id text CONSTRAINT voicemails_call_id_check CHECK (length(call_id) BETWEEN 1 AND 200),
  department_id uuid,
  caller text NOT NULL,
  started_at timestamptz NOT NULL,
  ended_at timestamptz NOT NULL,
  duration_ms integer NOT NULL CONSTRAINT voicemails_duration_ms_check CHECK (duration_ms >= 0),
  path text NOT NULL CONSTRAINT voicemails_path_check CHECK (length(path) BETWEEN 1 AND 4096),
  heard boolean NOT NULL DEFAULT false,
  assigned_agent_id uuid CONSTRAINT voicemails_assigned_agent_id_fkey
    REFERENCES agents (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT voicemails_ended_check CHECK (ended_at >= started_at)
);
CREATE INDEX voicemails_started_at_idx ON voicemails (started_at, id);
CREATE INDEX voicemails_department_id_idx ON voicemails (department_id, started_at);
CREATE INDEX voicemails_call_id_idx ON voicemails (call_id) WHERE call_id IS NOT NULL;
