-- +goose Up
-- Reference data: organisations (units and bureaus), users and their roles.
CREATE TABLE orgs (
    id         text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind       text NOT NULL CHECK (kind IN ('unit','drb','ndrc','finance','crypto','prta','audit','citygov','expert','ops')),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id            text PRIMARY KEY,
    username      text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9_.-]{1,62}$'),
    name          text NOT NULL,
    org_id        text NOT NULL REFERENCES orgs(id),
    password_hash text NOT NULL,
    totp_secret   text,
    failed_logins int NOT NULL DEFAULT 0,
    locked_until  timestamptz,
    disabled      boolean NOT NULL DEFAULT false,
    demo          boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX users_org_idx ON users (org_id);

CREATE TABLE user_roles (
    user_id text NOT NULL REFERENCES users(id),
    role    text NOT NULL CHECK (role IN ('submitter','drb_reviewer','drb_supervisor','expert','ndrc_approver',
                                          'citygov_approver','prta_witness','finance','crypto','audit','ops','admin')),
    PRIMARY KEY (user_id, role)
);
CREATE INDEX user_roles_role_idx ON user_roles (role, user_id);

-- R19: versioned policy; the body is the JSON of domain.Policy.
CREATE TABLE policy_versions (
    version        text PRIMARY KEY,
    effective_from date NOT NULL,
    title          text NOT NULL,
    test_only      boolean NOT NULL DEFAULT false,
    body           jsonb NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);

-- The projection of each project's lifecycle; the workflow is the source of truth.
CREATE TABLE projects (
    id                       text PRIMARY KEY,
    unit_id                  text NOT NULL REFERENCES orgs(id),
    name                     text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    type                     text NOT NULL CHECK (type IN ('new','continuation','om','service','design','supervision','testing','security')),
    parent_project_id        text REFERENCES projects(id),
    plan_year                int NOT NULL CHECK (plan_year BETWEEN 2000 AND 2200),
    estimated_investment_fen bigint NOT NULL CHECK (estimated_investment_fen > 0),
    approved_amount_fen      bigint CHECK (approved_amount_fen >= 0 AND approved_amount_fen <= estimated_investment_fen),
    description              text NOT NULL DEFAULT '',
    mlps_level               int NOT NULL CHECK (mlps_level BETWEEN 1 AND 5),
    uses_crypto              boolean NOT NULL DEFAULT false,
    stage                    text NOT NULL CHECK (stage IN ('draft','prelim_review','revision','expert_review','awaiting_plan',
                                 'not_included','awaiting_approval','special_request','approved','procurement','construction',
                                 'trial_run','acceptance','rectification','om','rejected','closed')),
    policy_version           text REFERENCES policy_versions(version),
    special_request          boolean NOT NULL DEFAULT false,
    round                    int NOT NULL DEFAULT 0,
    workflow_id              text,
    created_by               text NOT NULL REFERENCES users(id),
    submitted_at             timestamptz,
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now(),
    version                  int NOT NULL DEFAULT 1
);
CREATE INDEX projects_unit_idx ON projects (unit_id, created_at DESC, id DESC);
CREATE INDEX projects_list_idx ON projects (created_at DESC, id DESC);
CREATE INDEX projects_stage_idx ON projects (stage, plan_year);
CREATE INDEX projects_parent_idx ON projects (parent_project_id) WHERE parent_project_id IS NOT NULL;

-- The reviewer inbox. Ids are derived from the workflow (workflow id + step + round), so
-- opening the same task twice is a no-op.
CREATE TABLE tasks (
    id               text PRIMARY KEY,
    kind             text NOT NULL CHECK (kind IN ('prelim_review','expert_review','bundle_approval','project_approval',
                         'special_request_approval','acceptance_check','acceptance_signoff','acceptance_witness',
                         'om_review','evaluation')),
    workflow_id      text NOT NULL,
    project_id       text REFERENCES projects(id),
    bundle_id        text,
    candidate_role   text NOT NULL,
    candidate_org_id text REFERENCES orgs(id),
    assignee_id      text REFERENCES users(id),
    status           text NOT NULL DEFAULT 'open' CHECK (status IN ('open','done','cancelled')),
    decision         text,
    decided_by       text REFERENCES users(id),
    decided_at       timestamptz,
    comment          text,
    due_at           timestamptz NOT NULL,
    details          jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at       timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'open') = (decided_at IS NULL) OR status = 'cancelled')
);
-- Inbox: open tasks offered to a role (optionally one org), due first, keyset on (due_at, id).
CREATE INDEX tasks_open_role_idx ON tasks (candidate_role, due_at, id) WHERE status = 'open' AND assignee_id IS NULL;
-- Inbox: tasks assigned to one person, by status, due first.
CREATE INDEX tasks_assignee_idx ON tasks (assignee_id, status, due_at, id) WHERE assignee_id IS NOT NULL;
CREATE INDEX tasks_project_idx ON tasks (project_id, created_at);
CREATE INDEX tasks_done_role_idx ON tasks (candidate_role, due_at, id) WHERE status <> 'open';

-- Documents: content-addressed files under DATA_DIR; metadata here. Nothing is deleted (R18).
CREATE TABLE documents (
    id           text PRIMARY KEY,
    project_id   text NOT NULL REFERENCES projects(id),
    kind         text NOT NULL CHECK (kind IN ('opinion','impl_plan','special_request','contract','supervision_report',
                     'trial_run_report','crypto_plan','crypto_assessment','mlps_filing','acceptance_minutes','om_report','other')),
    filename     text NOT NULL,
    content_type text NOT NULL,
    size_bytes   bigint NOT NULL CHECK (size_bytes > 0),
    sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    uploaded_by  text NOT NULL REFERENCES users(id),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX documents_project_idx ON documents (project_id, kind, created_at);

-- Notifications addressed to a user; ids are derived from the reminder, so one reminder is one row.
CREATE TABLE notifications (
    id         text PRIMARY KEY,
    user_id    text NOT NULL REFERENCES users(id),
    kind       text NOT NULL,
    title      text NOT NULL,
    body       text NOT NULL DEFAULT '',
    project_id text REFERENCES projects(id),
    task_id    text REFERENCES tasks(id),
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at    timestamptz,
    read_at    timestamptz
);
CREATE INDEX notifications_user_idx ON notifications (user_id, created_at DESC, id DESC);

-- R18: append-only audit log, chained with HMAC-SM3 (hash covers prev_hash and the row).
CREATE TABLE audit_log (
    seq         bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor_id    text NOT NULL,
    org_id      text NOT NULL DEFAULT '',
    action      text NOT NULL,
    object_type text NOT NULL,
    object_id   text NOT NULL,
    outcome     text NOT NULL,
    request_id  text NOT NULL DEFAULT '',
    client_ip   text NOT NULL DEFAULT '',
    detail      jsonb NOT NULL DEFAULT '{}'::jsonb,
    dedup_key   text UNIQUE,
    prev_hash   text NOT NULL,
    hash        text NOT NULL
);
CREATE INDEX audit_object_idx ON audit_log (object_type, object_id, seq);
CREATE INDEX audit_actor_idx ON audit_log (actor_id, seq);
CREATE INDEX audit_at_idx ON audit_log (at);

-- The chain head: the last row's seq and hash, updated in the same transaction as every
-- append. It serialises appends (row lock) and lets Verify detect a deleted tail.
CREATE TABLE audit_head (
    id   int PRIMARY KEY CHECK (id = 1),
    seq  bigint NOT NULL,
    hash text NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- +goose StatementBegin
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only (R18)';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

-- +goose Down
DROP TABLE audit_head;
DROP TABLE audit_log;
DROP FUNCTION audit_log_append_only();
DROP TABLE notifications;
DROP TABLE documents;
DROP TABLE tasks;
DROP TABLE projects;
DROP TABLE policy_versions;
DROP TABLE user_roles;
DROP TABLE users;
DROP TABLE orgs;
