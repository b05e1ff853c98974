-- +goose Up
-- Issue 20, PERFORMANCE §11.2 item 3 (plan-lean-resume): an AnnualPlan run continues as new
-- without its projects and reads back, for a project it does not know, what an earlier run of
-- the plan decided of it. A run may take such a fact only when it can tell that one of its own
-- runs wrote it (a write by an attempt whose completion was lost is not one:
-- TestPlanIgnoresItsOwnLostWrites). written_by is the id of the plan transition that wrote the
-- item (a compile's or an approved adjustment's; NULL for rows before and for the
-- supplementary items the lifecycles write); project_version is the project's version when the
-- plan convened its panel (NULL before): the panel counts until the project's stage changes.
ALTER TABLE plan_items ADD COLUMN written_by text;
ALTER TABLE expert_session_projects ADD COLUMN project_version int;

-- +goose Down
ALTER TABLE expert_session_projects DROP COLUMN project_version;
ALTER TABLE plan_items DROP COLUMN written_by;
