-- +goose Up
-- Issue 19 item 4: the unit's deadline extension request (延期申请) is decided by DRB on a task
-- of its own kind, extension_review. Every kind 0031 allows stays allowed.
ALTER TABLE tasks DROP CONSTRAINT tasks_kind_check;
ALTER TABLE tasks ADD CONSTRAINT tasks_kind_check CHECK (kind IN ('prelim_review','expert_review','bundle_approval',
    'project_approval','special_request_approval','acceptance_check','acceptance_signoff','acceptance_witness',
    'om_review','evaluation','change_review','plan_adjustment','termination_review','extension_review'));

-- Issue 19 item 6: a standing deputy (代理人) for a user's absence. While an absence is active
-- (not ended, now within [starts_at, ends_at)) the tasks held by user_id show in deputy_id's
-- 待办, who may take them over (代理), and notifications to user_id reach deputy_id too.
CREATE TABLE absences (
    id         text PRIMARY KEY,
    user_id    text NOT NULL REFERENCES users(id),
    deputy_id  text NOT NULL REFERENCES users(id),
    starts_at  timestamptz NOT NULL,
    ends_at    timestamptz NOT NULL,
    reason     text NOT NULL DEFAULT '',
    created_by text NOT NULL REFERENCES users(id),
    created_at timestamptz NOT NULL DEFAULT now(),
    ended_at   timestamptz,
    CONSTRAINT absences_not_self CHECK (deputy_id <> user_id),
    CONSTRAINT absences_period CHECK (ends_at > starts_at)
);
CREATE INDEX absences_user_idx ON absences (user_id, ends_at);
CREATE INDEX absences_deputy_idx ON absences (deputy_id, ends_at);

-- +goose Down
DROP TABLE absences;
ALTER TABLE tasks DROP CONSTRAINT tasks_kind_check;
ALTER TABLE tasks ADD CONSTRAINT tasks_kind_check CHECK (kind IN ('prelim_review','expert_review','bundle_approval',
    'project_approval','special_request_approval','acceptance_check','acceptance_signoff','acceptance_witness',
    'om_review','evaluation','change_review','plan_adjustment','termination_review'));
