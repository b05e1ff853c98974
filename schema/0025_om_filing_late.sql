-- +goose Up
-- Issue 19 item 8 (R13): an O&M year filed after it was flagged overdue is accepted and marked
-- late. overdue stays true on such a row (the deadline was missed); filed_at is set, so the
-- overdue list (unfiled overdue years) no longer shows it. Adding a column with a constant
-- default rewrites no row.
ALTER TABLE om_filings ADD COLUMN late boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE om_filings DROP COLUMN late;
