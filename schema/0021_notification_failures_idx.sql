-- +goose Up
-- The worker's mail-failure gauge (egovpm_notifications_mail_failed_total, issue 21) counts
-- the notifications whose mail failed for good every EGOVPM_OPS_SCAN_EVERY, and
-- `egovpm mail-failures --since` reads the newest: both from this partial index, not a scan of
-- every notification.
CREATE INDEX notifications_failed_idx ON notifications (failed_at) WHERE failed_at IS NOT NULL;

-- +goose Down
DROP INDEX notifications_failed_idx;
