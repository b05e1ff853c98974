-- +goose Up
-- Issue 19 item 5 (R5): the year-end close of an annual plan. The seeded policies close the plan
-- of year Y on 31 December of Y (23:59:59 Asia/Shanghai): every project of the year still before
-- the plan's decision is then not included and its unit told. Workflows pin the policy they
-- started with (R19), so plans already running keep theirs: without the field, no close.
UPDATE policy_versions SET body = body || '{"plan_close_month": 12, "plan_close_day": 31}'::jsonb
WHERE version IN ('2021', '2023', 'test');

-- Issue 19 item 5 (R5): a mid-year adjustment (调整) of the plan is decided on a task of its own,
-- by the approver of the plan's projects under their pinned policy.
ALTER TABLE tasks DROP CONSTRAINT tasks_kind_check;
ALTER TABLE tasks ADD CONSTRAINT tasks_kind_check CHECK (kind IN ('prelim_review','expert_review','bundle_approval',
    'project_approval','special_request_approval','acceptance_check','acceptance_signoff','acceptance_witness',
    'om_review','evaluation','change_review','plan_adjustment'));

-- +goose Down
ALTER TABLE tasks DROP CONSTRAINT tasks_kind_check;
ALTER TABLE tasks ADD CONSTRAINT tasks_kind_check CHECK (kind IN ('prelim_review','expert_review','bundle_approval',
    'project_approval','special_request_approval','acceptance_check','acceptance_signoff','acceptance_witness',
    'om_review','evaluation','change_review'));
UPDATE policy_versions SET body = body - 'plan_close_month' - 'plan_close_day'
WHERE version IN ('2021', '2023', 'test');
