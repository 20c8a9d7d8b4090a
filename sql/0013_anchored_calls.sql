-- Calls held in the media server for their whole length ("anchored"): the
-- human-answer check of mobile legs and recorded departments.
--
-- agents.confirm_mobile_answer: a mobile leg that answers must be accepted
-- with 1 before the caller is connected (carrier voicemail never gets the
-- call). departments.name_prompt: the department's name as spoken in
-- "Call for <name>, press 1 to accept" (NULL = "your department"); a path as
-- the media server sees it, like the prompts of 0008.

ALTER TABLE agents
  ADD COLUMN confirm_mobile_answer boolean NOT NULL DEFAULT true;

ALTER TABLE departments
  ADD COLUMN name_prompt text
    CONSTRAINT departments_name_prompt_check CHECK (length(name_prompt) <= 1024 AND name_prompt ~ '^/[^!\s]*\.wav$' AND name_prompt !~ '(^|/)\.\.(/|$)');

-- A ring attempt may end `not-accepted`: its device answered and nobody
-- pressed 1 in time. Same lists as src/store/call-vocabulary.ts (with 0012's
-- `callback-failed` outcome: this replaces 0012's function).
CREATE OR REPLACE FUNCTION call_log_values(field text) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE field
    WHEN 'outcome' THEN
      ARRAY['answered', 'abandoned', 'overflowed', 'out-of-hours', 'no-agent', 'rejected', 'failed',
            'callback-failed']
    WHEN 'result' THEN
      ARRAY['answered', 'no-answer', 'busy', 'declined', 'unreachable', 'cancelled', 'failed',
            'not-accepted']
    WHEN 'source' THEN ARRAY['agent', 'admin', 'system']
  END
$$;
