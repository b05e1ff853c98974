-- +goose Up
-- Issue 21 item 2: the OpenTelemetry trace an audit row was written in (32 hex digits), so an
-- operator goes from a decision's row to its trace and its log lines (trace_id). NULL where the
-- writer had no trace, and on every row written before: adding a nullable column rewrites no
-- row and fires no trigger. Format 3 rows (internal/audit, docs/AUDIT.md) cover it in their
-- hash; rows of formats 1 and 2 keep their hash and do not.
ALTER TABLE audit_log ADD COLUMN trace_id text CHECK (trace_id ~ '^[0-9a-f]{32}$');

-- +goose Down
ALTER TABLE audit_log DROP COLUMN trace_id;
