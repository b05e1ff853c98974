-- +goose Up
-- R4, docs/AUTHZ.md: an expert session records the orgs that co-organise it (Finance, NDRC,
-- Crypto) and the projects it convened panels for; the co-organisers' people read those
-- projects while their panel is open.
ALTER TABLE expert_sessions ADD COLUMN co_org_ids text[] NOT NULL DEFAULT '{}';
CREATE TABLE expert_session_projects (
    session_id text NOT NULL REFERENCES expert_sessions(id),
    project_id text NOT NULL REFERENCES projects(id),
    PRIMARY KEY (session_id, project_id)
);
CREATE INDEX expert_session_projects_project_idx ON expert_session_projects (project_id);
-- The sessions convened before: their projects, from the audit row that convened each panel.
INSERT INTO expert_session_projects (session_id, project_id)
SELECT DISTINCT a.detail->>'session_id', a.object_id FROM audit_log a
    JOIN expert_sessions s ON s.id = a.detail->>'session_id'
    JOIN projects p ON p.id = a.object_id
    WHERE a.action = 'expert_review.convene' AND a.object_type = 'project'
ON CONFLICT DO NOTHING;

-- Separation of duties: a task's read finds the creator of its bundle (who may not decide it).
CREATE INDEX bundles_task_idx ON bundles (task_id);

-- Separation of duties (SPEC): who recorded a payment never confirms or rejects it, whoever
-- writes the row. NOT VALID: rows decided before stay as they are (R18); every new decision is
-- checked.
ALTER TABLE payments ADD CONSTRAINT payments_decided_by_another
    CHECK (confirmed_by IS NULL OR confirmed_by <> recorded_by) NOT VALID;

-- +goose Down
ALTER TABLE payments DROP CONSTRAINT payments_decided_by_another;
DROP INDEX bundles_task_idx;
DROP TABLE expert_session_projects;
ALTER TABLE expert_sessions DROP COLUMN co_org_ids;
