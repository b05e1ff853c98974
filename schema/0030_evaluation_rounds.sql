-- +goose Up
-- Issue 19 item 9 (R14): the performance evaluation opens after a policy-defined period of
-- operation and may recur, so a project keeps one evaluation per round (the evaluations of
-- earlier years stay with it). The rows written before are round 1. projects.evaluation_due_at
-- is when the next round opens (NULL: none is scheduled), written by the workflow
-- (evaluation-period).
ALTER TABLE evaluations ADD COLUMN round int NOT NULL DEFAULT 1 CHECK (round > 0);
ALTER TABLE evaluations DROP CONSTRAINT evaluations_pkey;
ALTER TABLE evaluations ADD PRIMARY KEY (project_id, round);
ALTER TABLE projects ADD COLUMN evaluation_due_at timestamptz;

-- The test policy (dev and demos) keeps its evaluation at acceptance and recurs every hour, so
-- the screens show the next round's date; the versions pinned by running workflows are copies
-- in their input, which this does not touch.
UPDATE policy_versions SET body = body || '{"evaluation_every": "1h"}'::jsonb WHERE version = 'test';

-- +goose Down
UPDATE policy_versions SET body = body - 'evaluation_every' WHERE version = 'test';
ALTER TABLE projects DROP COLUMN evaluation_due_at;
DELETE FROM evaluations WHERE round > 1;
ALTER TABLE evaluations DROP CONSTRAINT evaluations_pkey;
ALTER TABLE evaluations ADD PRIMARY KEY (project_id);
ALTER TABLE evaluations DROP COLUMN round;
