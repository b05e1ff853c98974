-- +goose Up
-- The "done" inbox lists the tasks a person decided.
CREATE INDEX tasks_decided_by_idx ON tasks (decided_by, due_at, id) WHERE decided_by IS NOT NULL;
DROP INDEX tasks_done_role_idx;

-- +goose Down
CREATE INDEX tasks_done_role_idx ON tasks (candidate_role, due_at, id) WHERE status <> 'open';
DROP INDEX tasks_decided_by_idx;
