-- +goose Up
-- Issue 19 item 4: the unit's deadline extension request (延期申请) is decided by DRB on a task
-- of its own kind, extension_review. Every kind 0031 allows stays allowed.
ALTER TABLE tasks DROP CONSTRAINT tasks_kind_check;
ALTER TABLE tasks ADD CONSTRAINT tasks_kind_check CHECK (kind IN ('prelim_review','expert_review','bundle_approval',
    'project_approval','special_request_approval','acceptance_check','acceptance_signoff','acceptance_witness',
    'om_review','evaluation','change_review','plan_adjustment','termination_review','extension_review'));

-- +goose Down
ALTER TABLE tasks DROP CONSTRAINT tasks_kind_check;
ALTER TABLE tasks ADD CONSTRAINT tasks_kind_check CHECK (kind IN ('prelim_review','expert_review','bundle_approval',
    'project_approval','special_request_approval','acceptance_check','acceptance_signoff','acceptance_witness',
    'om_review','evaluation','change_review','plan_adjustment','termination_review'));
