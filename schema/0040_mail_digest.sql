-- +goose Up
-- 邮件通知方式 (docs/NOTIFICATIONS.md, "Digest"): a user may take the mail of their
-- notifications as one digest a day (每日汇总, at 08:30 Beijing time) instead of one mail each.
-- The rows in the app are unchanged; only their mail waits. digest_sent_at is when the user's
-- last digest went out (or when they chose it), so a day has one digest however many workers
-- sweep.
ALTER TABLE users ADD COLUMN mail_digest boolean NOT NULL DEFAULT false,
    ADD COLUMN digest_sent_at timestamptz;

-- +goose Down
ALTER TABLE users DROP COLUMN digest_sent_at, DROP COLUMN mail_digest;
