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

-- R4: the panel rule's numbers live in the policy. The shipped versions say what they always
-- meant (a policy without the fields reads the same: domain.Policy): each project's effective
-- panel odd and at least panel_min, passed by more than half of it.
UPDATE policy_versions SET body = body || '{"panel_odd": true, "panel_pass_more_than": {"num": 1, "den": 2}}'::jsonb
WHERE version IN ('2021', '2023', 'test') AND NOT body ? 'panel_odd';

-- +goose Down
UPDATE policy_versions SET body = body - 'panel_odd' - 'panel_pass_more_than' WHERE version IN ('2021', '2023', 'test');
DROP TABLE activity_failures;
