-- +goose Up
-- The mail of a transition's notifications (store.SendNotifications, and the mail sweep, which
-- sends each stale row by its id through it) reads the unsent rows whose id starts with a
-- prefix. starts_with() cannot use a b-tree, so every such read walked the whole unsent set:
-- with a backlog (a relay down for a while, a burst of submissions) the sweep's one read per
-- stale row made mailing quadratic — 108,931 unsent rows and 0.5 s a read in the decisions
-- bench's set-up of 5,120 submissions (docs/PERFORMANCE.md §11.7). In byte order a prefix is a
-- range; the index keeps the unsent ids in COLLATE "C", and the read asks for that range.
DROP INDEX notifications_unsent_idx;
CREATE INDEX notifications_unsent_idx ON notifications ((id COLLATE "C")) WHERE sent_at IS NULL AND failed_at IS NULL;

-- +goose Down
DROP INDEX notifications_unsent_idx;
CREATE INDEX notifications_unsent_idx ON notifications (id) WHERE sent_at IS NULL AND failed_at IS NULL;
