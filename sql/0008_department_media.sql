-- What a department's callers hear while they wait and when they leave the
-- queue. Paths are as the media server sees them (absolute; in production
-- that is the FreeSWITCH host). NULL = the shipped default (media/prompts/en,
-- media/moh/default). An exit key of NULL = callers cannot leave by a key.

ALTER TABLE departments
  ADD COLUMN prompts_folder text
    CONSTRAINT departments_prompts_folder_check CHECK (length(prompts_folder) <= 1024 AND prompts_folder ~ '^/[^!\s]*$' AND prompts_folder !~ '(^|/)\.\.(/|$)'),
  ADD COLUMN moh_folder text
    CONSTRAINT departments_moh_folder_check CHECK (length(moh_folder) <= 1024 AND moh_folder ~ '^/[^!\s]*$' AND moh_folder !~ '(^|/)\.\.(/|$)'),
  ADD COLUMN welcome_prompt text
    CONSTRAINT departments_welcome_prompt_check CHECK (length(welcome_prompt) <= 1024 AND welcome_prompt ~ '^/[^!\s]*\.wav$' AND welcome_prompt !~ '(^|/)\.\.(/|$)'),
  ADD COLUMN welcome_enabled boolean NOT NULL DEFAULT true,
  ADD COLUMN out_of_hours_prompt text
    CONSTRAINT departments_out_of_hours_prompt_check CHECK (length(out_of_hours_prompt) <= 1024 AND out_of_hours_prompt ~ '^/[^!\s]*\.wav$' AND out_of_hours_prompt !~ '(^|/)\.\.(/|$)'),
  ADD COLUMN queue_full_prompt text
    CONSTRAINT departments_queue_full_prompt_check CHECK (length(queue_full_prompt) <= 1024 AND queue_full_prompt ~ '^/[^!\s]*\.wav$' AND queue_full_prompt !~ '(^|/)\.\.(/|$)'),
  ADD COLUMN no_agent_prompt text
    CONSTRAINT departments_no_agent_prompt_check CHECK (length(no_agent_prompt) <= 1024 AND no_agent_prompt ~ '^/[^!\s]*\.wav$' AND no_agent_prompt !~ '(^|/)\.\.(/|$)'),
  ADD COLUMN max_wait_prompt text
    CONSTRAINT departments_max_wait_prompt_check CHECK (length(max_wait_prompt) <= 1024 AND max_wait_prompt ~ '^/[^!\s]*\.wav$' AND max_wait_prompt !~ '(^|/)\.\.(/|$)'),
  ADD COLUMN exit_key text
    CONSTRAINT departments_exit_key_check CHECK (exit_key ~ '^[0-9*#]$'),
  ADD COLUMN exit_key_action text NOT NULL DEFAULT 'voicemail'
    CONSTRAINT departments_exit_key_action_check
      CHECK (exit_key_action IN ('forward', 'voicemail', 'hangup')),
  ADD COLUMN exit_key_department_id uuid
    CONSTRAINT departments_exit_key_department_id_check CHECK (exit_key_department_id IS NULL),
  ADD COLUMN exit_key_number text
    CONSTRAINT departments_exit_key_number_check CHECK (exit_key_number ~ '^\+[1-9][0-9]{1,14}$'),
  ADD CONSTRAINT departments_exit_key_target_check
    CHECK ((exit_key_action = 'forward') = (exit_key_number IS NOT NULL));
