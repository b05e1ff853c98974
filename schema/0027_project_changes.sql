-- +goose Up
-- Issue 19 items 3 and 10 (项目变更): the change requests of approved projects, one row each,
-- written when filed (pending) and again when decided; GET /projects/{id}/changes reads them.
-- A row is never deleted (R18): the history of a project's changes stays with it.
CREATE TABLE project_changes (
    id             text PRIMARY KEY,
    project_id     text NOT NULL REFERENCES projects(id),
    seq            int NOT NULL CHECK (seq > 0),
    kind           text NOT NULL CHECK (kind IN ('scope','amount','vendor','schedule')),
    description    text NOT NULL,
    reason         text NOT NULL,
    old_amount_fen bigint CHECK (old_amount_fen > 0),
    new_amount_fen bigint CHECK (new_amount_fen > 0),
    new_vendor     text CHECK (length(new_vendor) BETWEEN 1 AND 200),
    task_id        text NOT NULL REFERENCES tasks(id),
    decider_role   text NOT NULL,
    decider_org    text REFERENCES orgs(id),
    reapproval     boolean NOT NULL DEFAULT false,
    status         text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','approved','rejected')),
    requested_by   text NOT NULL REFERENCES users(id),
    requested_at   timestamptz NOT NULL DEFAULT now(),
    decided_by     text REFERENCES users(id),
    decided_at     timestamptz,
    comment        text,
    UNIQUE (project_id, seq),
    CHECK ((status = 'pending') = (decided_at IS NULL))
);

-- The change request's decision point (R6 authority or DRB).
ALTER TABLE tasks DROP CONSTRAINT tasks_kind_check;
ALTER TABLE tasks ADD CONSTRAINT tasks_kind_check CHECK (kind IN ('prelim_review','expert_review','bundle_approval',
    'project_approval','special_request_approval','acceptance_check','acceptance_signoff','acceptance_witness',
    'om_review','evaluation','change_review'));

-- +goose Down
ALTER TABLE tasks DROP CONSTRAINT tasks_kind_check;
ALTER TABLE tasks ADD CONSTRAINT tasks_kind_check CHECK (kind IN ('prelim_review','expert_review','bundle_approval',
    'project_approval','special_request_approval','acceptance_check','acceptance_signoff','acceptance_witness',
    'om_review','evaluation'));
DROP TABLE project_changes;
