-- Call recordings: stereo WAV files (caller left, agent right) made by the
-- media server, one row per finished file. A department asks for them with
-- record_calls; each file is kept recording_retention_days after the call,
-- then the daily retention job deletes the file and its row. Like the call
-- log, a row keeps its department id without a foreign key (history outlives
-- configuration); a row whose department is gone is kept the default 90 days.

ALTER TABLE departments
  ADD COLUMN record_calls boolean NOT NULL DEFAULT false,
  ADD COLUMN recording_retention_days integer NOT NULL DEFAULT 90
    CONSTRAINT departments_recording_retention_days_check
      CHECK (recording_retention_days BETWEEN 1 AND 3650);

CREATE TABLE recordings (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  call_id text NOT NULL
    CONSTRAINT recordings_call_id_check CHECK (length(call_id) BETWEEN 1 AND 200),
  department_id uuid,
  -- As the app reads it (the media server's recording folder, shared with it).
  path text NOT NULL
    CONSTRAINT recordings_path_check CHECK (length(path) <= 1024 AND path ~ '^/' AND path !~ '(^|/)\.\.(/|$)'),
  started_at timestamptz NOT NULL,
  ended_at timestamptz NOT NULL,
  bytes bigint NOT NULL
    CONSTRAINT recordings_bytes_check CHECK (bytes >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT recordings_ended_after_started_check CHECK (ended_at >= started_at)
);
CREATE INDEX recordings_call_id_idx ON recordings (call_id, ended_at);
CREATE INDEX recordings_ended_at_idx ON recordings (ended_at);
