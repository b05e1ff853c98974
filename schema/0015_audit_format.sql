-- +goose Up
-- R18: the format a row's hash was computed in (internal/audit, docs/AUDIT.md). Format 1
-- covers prev_hash, seq, at, actor_id, org_id, action, object_type, object_id, outcome,
-- request_id, client_ip and detail; format 2 covers the format and dedup_key too. Rows written
-- before this migration read as format 1, and so do rows a writer that does not name the
-- column writes (a process of the previous release during a rolling deploy, hashing the
-- format-1 way). A row is checked in its own format and never rewritten; adding the column
-- with a constant default rewrites no row and fires no trigger.
ALTER TABLE audit_log ADD COLUMN format smallint NOT NULL DEFAULT 1 CHECK (format >= 1);

-- +goose Down
ALTER TABLE audit_log DROP COLUMN format;
