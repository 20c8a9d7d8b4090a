-- Indexes for the reports (src/store/reports.ts, report-intervals.ts) and the
-- live view's "today" figures.
--
-- Reports aggregate every call that arrived in a range: a covering index on
-- the arrival time lets them read the few columns they need from the index
-- alone instead of whole rows (the routing explanation makes rows wide).
CREATE INDEX calls_report_idx ON calls (arrived_at)
  INCLUDE (department_id, answered_at, ended_at, outcome, wait_s, talk_s, agent_id);
