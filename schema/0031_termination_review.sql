-- +goose Up
-- Issue 19 item 4: the unit's own termination request (终止申请) is decided by DRB on a task of
-- its own kind, termination_review. Every kind 0028 allows stays allowed.
ALTER TABLE tasks DROP CONSTRAINT tasks_kind_check;
ALTER TABLE tasks ADD CONSTRAINT tasks_kind_check CHECK (kind IN ('prelim_review','expert_review','bundle_approval',
    'project_approval','special_request_approval','acceptance_check','acceptance_signoff','acceptance_witness',
    'om_review','evaluation','change_review','plan_adjustment','termination_review'));

-- +goose Down
ALTER TABLE tasks DROP CONSTRAINT tasks_kind_check;
ALTER TABLE tasks ADD CONSTRAINT tasks_kind_check CHECK (kind IN ('prelim_review','expert_review','bundle_approval',
    'project_approval','special_request_approval','acceptance_check','acceptance_signoff','acceptance_witness',
    'om_review','evaluation','change_review','plan_adjustment'));
