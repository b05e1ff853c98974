-- +goose Up
-- SendNotifications looks up a transition's unsent rows (starts_with(id, prefix) AND sent_at IS
-- NULL): without this index that was a scan of the whole, ever-growing notifications table per
-- message sent. The unsent rows are few, so the partial index stays small.
CREATE INDEX notifications_unsent_idx ON notifications (id) WHERE sent_at IS NULL;

-- +goose Down
DROP INDEX notifications_unsent_idx;
