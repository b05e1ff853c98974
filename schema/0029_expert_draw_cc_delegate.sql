-- +goose Up
-- Issue 19 item 6 (R4, 随机抽取): each expert's specialties, the pool a random draw of a panel
-- picks from. The codes are domain.ExpertSpecialties; an expert may have several.
CREATE TABLE expert_specialties (
    user_id   text NOT NULL REFERENCES users(id),
    specialty text NOT NULL CHECK (specialty IN ('software','security','data','infrastructure')),
    PRIMARY KEY (user_id, specialty)
);
CREATE INDEX expert_specialties_specialty_idx ON expert_specialties (specialty, user_id);

-- 抄送 (issue 19 item 6): a decision CC'd to a person, or to each person of an org (via_org_id),
-- by its decider. The person is notified and reads the project (authz.ScopeCC, docs/AUTHZ.md).
CREATE TABLE decision_cc (
    task_id    text NOT NULL REFERENCES tasks(id),
    project_id text NOT NULL REFERENCES projects(id),
    user_id    text NOT NULL REFERENCES users(id),
    via_org_id text REFERENCES orgs(id),
    cc_by      text NOT NULL,
    at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (task_id, user_id)
);
CREATE INDEX decision_cc_user_idx ON decision_cc (user_id, project_id);

-- 委派 (issue 19 item 6): who delegated an open task to its assignee; the delegator lists the
-- tasks he delegated (GET /tasks?status=delegated) and sees them decided.
ALTER TABLE tasks ADD COLUMN delegated_by text;
CREATE INDEX tasks_delegated_by_idx ON tasks (delegated_by, due_at, id) WHERE delegated_by IS NOT NULL;

-- +goose Down
ALTER TABLE tasks DROP COLUMN delegated_by;
DROP TABLE decision_cc;
DROP TABLE expert_specialties;
