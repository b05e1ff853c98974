-- +goose Up
-- Issue 21 item 5: how far the reconciliation of changes made outside egovpm (resets and
-- terminations through the Temporal Web UI or CLI, ops.Service.Reconcile) has looked, per
-- Temporal namespace: the next run looks again from a little before it. The findings
-- themselves are audit rows, kept once by their dedup_key.
CREATE TABLE temporal_reconcile (
    namespace  text PRIMARY KEY,
    watermark  timestamptz NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE temporal_reconcile;
