-- +goose Up
-- A notification the mail relay refused for good (SMTP 5xx: unknown mailbox, rejected address)
-- is marked failed with the relay's answer instead of being retried: retried, it blocked every
-- later notification of its transition for the activity's whole retry window (24 h), and those
-- were then never mailed. The in-app notification is unaffected.
ALTER TABLE notifications ADD COLUMN failed_at timestamptz, ADD COLUMN failure text;
DROP INDEX notifications_unsent_idx;
CREATE INDEX notifications_unsent_idx ON notifications (id) WHERE sent_at IS NULL AND failed_at IS NULL;

-- +goose Down
DROP INDEX notifications_unsent_idx;
CREATE INDEX notifications_unsent_idx ON notifications (id) WHERE sent_at IS NULL;
ALTER TABLE notifications DROP COLUMN failure, DROP COLUMN failed_at;
