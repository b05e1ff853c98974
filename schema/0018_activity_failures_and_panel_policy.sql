-- +goose Up
-- O1: a regular activity of a workflow that exhausted its retries (R16's ComputeSimilar, a
-- notification send, a T1 reminder) is recorded by the workflow through Apply, with an audit
-- row and a notification to ops; the stuck list shows it until ops resolves it. The id derives
-- from the recording transition's (workflow, run and activity; store.FailureID), so a retried
-- write adds nothing, and is URL-safe.
CREATE TABLE activity_failures (
    id            text PRIMARY KEY CHECK (id ~ '^af-[0-9a-f]{24}$'),
    workflow_id   text NOT NULL,
    run_id        text NOT NULL,
    project_id    text REFERENCES projects(id),
    activity_type text NOT NULL,
    error         text NOT NULL,
    failed_at     timestamptz NOT NULL DEFAULT now(),
    resolved_at   timestamptz,
    resolved_by   text, -- a user id, or "cli" for the egovpm ops-resolve command
    resolution    text NOT NULL DEFAULT '' CHECK (length(resolution) <= 2000),
    CHECK ((resolved_at IS NULL) = (resolved_by IS NULL))
);
CREATE INDEX activity_failures_open_idx ON activity_failures (workflow_id, failed_at) WHERE resolved_at IS NULL;

-- +goose Down
DROP TABLE activity_failures;
