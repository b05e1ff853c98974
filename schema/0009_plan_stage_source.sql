-- +goose Up
-- Plan years whose AnnualPlan reads project stages from this read model when it validates a
-- decision (workflow version plan-stages-from-read-model), instead of hearing every stage
-- change by signal. A lifecycle's TellPlan sends no stage report for these years: one signal
-- and one plan workflow task fewer per decision (issue 7). A row is never removed; plans
-- started by older code (no row) keep hearing reports until they continue as new.
CREATE TABLE plan_stage_sources (
    plan_year int PRIMARY KEY CHECK (plan_year BETWEEN 2000 AND 2200),
    since     timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE plan_stage_sources;
