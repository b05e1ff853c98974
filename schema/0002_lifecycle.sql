-- +goose Up
-- R19: the policy versions that ship. 2021 is the seed's (NDRC approves); 2023 is the
-- revision 六政办〔2023〕24号 (DRB approves). The effective day of the 2023 revision is not in
-- the seed; the first of its year is recorded. "test" has short durations and is refused in
-- production mode.
INSERT INTO policy_versions (version, effective_from, title, test_only, body) VALUES
('2021', '2021-01-01', '六政办〔2021〕21号 六安市电子政务项目建设管理办法', false, '{
  "version": "2021", "small_threshold_fen": 1000000000,
  "bundle_approver_role": "ndrc_approver", "bundle_approver_org": "ndrc",
  "project_approver_role": "ndrc_approver", "project_approver_org": "ndrc",
  "deadline_month": 6, "deadline_day": 30, "panel_min": 3, "review_due_workdays": 5,
  "trial_run_months": 1, "acceptance_follow_up_days": 30, "om_filing_month": 1, "om_filing_day": 31,
  "reminders": [{"month": 6, "day": 1}, {"month": 6, "day": 20}, {"month": 6, "day": 27}, {"month": 7, "day": 1}],
  "mlps_filing_from_level": 2, "crypto_plan_at_approval": true, "crypto_assessment_gate": true}'),
('2023', '2023-01-01', '六政办〔2023〕24号 修订：项目审批由市数管局负责', false, '{
  "version": "2023", "small_threshold_fen": 1000000000,
  "bundle_approver_role": "drb_supervisor", "bundle_approver_org": "drb",
  "project_approver_role": "drb_supervisor", "project_approver_org": "drb",
  "deadline_month": 6, "deadline_day": 30, "panel_min": 3, "review_due_workdays": 5,
  "trial_run_months": 1, "acceptance_follow_up_days": 30, "om_filing_month": 1, "om_filing_day": 31,
  "reminders": [{"month": 6, "day": 1}, {"month": 6, "day": 20}, {"month": 6, "day": 27}, {"month": 7, "day": 1}],
  "mlps_filing_from_level": 2, "crypto_plan_at_approval": true, "crypto_assessment_gate": true}'),
('test', '2000-01-01', '测试策略（短时长，仅用于测试与演示）', true, '{
  "version": "test", "small_threshold_fen": 1000000000,
  "bundle_approver_role": "ndrc_approver", "bundle_approver_org": "ndrc",
  "project_approver_role": "ndrc_approver", "project_approver_org": "ndrc",
  "deadline_month": 6, "deadline_day": 30, "panel_min": 3, "review_due_workdays": 5,
  "trial_run_months": 1, "trial_run": "5s", "acceptance_follow_up_days": 30, "om_filing_month": 1, "om_filing_day": 31,
  "reminders": [{"month": 6, "day": 1}, {"month": 6, "day": 20}, {"month": 6, "day": 27}, {"month": 7, "day": 1}],
  "mlps_filing_from_level": 2, "crypto_plan_at_approval": true, "crypto_assessment_gate": true, "test_only": true}');

-- R5: the annual plan's items; supplementary items come from R8.
CREATE TABLE plan_items (
    plan_year           int NOT NULL,
    project_id          text NOT NULL REFERENCES projects(id),
    included            boolean NOT NULL,
    approved_amount_fen bigint CHECK (approved_amount_fen > 0),
    reason              text NOT NULL DEFAULT '',
    supplementary       boolean NOT NULL DEFAULT false,
    bundle_id           text,
    decided_by          text NOT NULL REFERENCES users(id),
    created_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id),
    CHECK (included = (approved_amount_fen IS NOT NULL)),
    CHECK (included OR reason <> '')
);
CREATE INDEX plan_items_year_idx ON plan_items (plan_year, included);

-- R6: bundled proposals of the small projects of a year.
CREATE TABLE bundles (
    id         text PRIMARY KEY,
    plan_year  int NOT NULL,
    task_id    text NOT NULL REFERENCES tasks(id),
    status     text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','approved','partially_approved','rejected')),
    created_by text NOT NULL REFERENCES users(id),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE bundle_projects (
    bundle_id  text NOT NULL REFERENCES bundles(id),
    project_id text NOT NULL REFERENCES projects(id),
    outcome    text CHECK (outcome IN ('approved','excluded','rejected')),
    PRIMARY KEY (bundle_id, project_id)
);
CREATE UNIQUE INDEX bundle_projects_one_bundle ON bundle_projects (project_id);

-- R4: expert sessions and their panels.
CREATE TABLE expert_sessions (
    id         text PRIMARY KEY,
    plan_year  int NOT NULL,
    expert_ids text[] NOT NULL,
    created_by text NOT NULL REFERENCES users(id),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- R16: duplicate-construction candidates computed on submission.
CREATE TABLE project_similar (
    project_id text NOT NULL REFERENCES projects(id),
    similar_id text NOT NULL REFERENCES projects(id),
    score      real NOT NULL CHECK (score > 0 AND score <= 1),
    reasons    text[] NOT NULL DEFAULT '{}',
    computed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, similar_id)
);

-- T2: working-day overrides for years the holiday library does not know.
CREATE TABLE holiday_overrides (
    day     date PRIMARY KEY,
    workday boolean NOT NULL,
    name    text NOT NULL DEFAULT ''
);

-- +goose Down
DROP TABLE holiday_overrides;
DROP TABLE project_similar;
DROP TABLE expert_sessions;
DROP TABLE bundle_projects;
DROP TABLE bundles;
DROP TABLE plan_items;
DELETE FROM policy_versions WHERE version IN ('2021', '2023', 'test');
