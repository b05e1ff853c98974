-- +goose Up
-- Issue 19 item 4: a project closed (stage closed) says how: terminated by DRB (终止) or retired
-- from O&M (系统下线), with the reason and when. NULL on every other project; nullable columns
-- without a default rewrite no row.
ALTER TABLE projects ADD COLUMN closed_as text CHECK (closed_as IN ('terminated','retired')),
    ADD COLUMN closed_reason text,
    ADD COLUMN closed_at timestamptz,
    -- 终止结算: the final settlement of work already done DRB approved with a termination, the
    -- most the payments recorded after the closure may add up to (NULL: no payment any more).
    ADD COLUMN closed_settlement_fen bigint CHECK (closed_settlement_fen > 0);

-- +goose Down
ALTER TABLE projects DROP COLUMN closed_settlement_fen, DROP COLUMN closed_at, DROP COLUMN closed_reason, DROP COLUMN closed_as;
