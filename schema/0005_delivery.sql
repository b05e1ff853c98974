-- +goose Up
-- R9: the contract with the data three lists (items kept as JSON in the policy's field set).
CREATE TABLE contracts (
    project_id      text PRIMARY KEY REFERENCES projects(id),
    vendor          text NOT NULL CHECK (length(vendor) BETWEEN 1 AND 200),
    amount_fen      bigint NOT NULL CHECK (amount_fen > 0),
    signed_on       date NOT NULL,
    procurement_ref text NOT NULL,
    data_lists      jsonb NOT NULL,
    registered_by   text NOT NULL REFERENCES users(id),
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- R11: when the trial run ends (set when construction completes).
ALTER TABLE projects ADD COLUMN trial_run_ends_at timestamptz;

-- R13: one row per O&M year: filed, or flagged overdue.
CREATE TABLE om_filings (
    project_id  text NOT NULL REFERENCES projects(id),
    year        int NOT NULL,
    due_at      timestamptz NOT NULL,
    filed_at    timestamptz,
    document_id text REFERENCES documents(id),
    filed_by    text REFERENCES users(id),
    overdue     boolean NOT NULL DEFAULT false,
    PRIMARY KEY (project_id, year)
);

-- R14: performance evaluations of accepted projects.
CREATE TABLE evaluations (
    project_id   text PRIMARY KEY REFERENCES projects(id),
    score        int NOT NULL CHECK (score BETWEEN 0 AND 100),
    grade        text NOT NULL CHECK (grade IN ('excellent','good','fair','poor')),
    findings     text NOT NULL,
    evaluated_by text NOT NULL REFERENCES users(id),
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- The test policy gets a short O&M year (R13) for tests and demos.
UPDATE policy_versions SET body = body || '{"om_year": "6s", "acceptance_follow_up": "30s"}'::jsonb WHERE version = 'test';

-- +goose Down
UPDATE policy_versions SET body = body - 'om_year' - 'acceptance_follow_up' WHERE version = 'test';
DROP TABLE evaluations;
DROP TABLE om_filings;
ALTER TABLE projects DROP COLUMN trial_run_ends_at;
DROP TABLE contracts;
