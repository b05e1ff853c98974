-- +goose Up
-- A notification's key (id) is derived from the workflow transition that wrote it
-- ("<transition id>:<user id>", with "/" and "#"): it stays the dedup key of the insert, but it
-- cannot be a URL path segment. public_id is the id clients see and name in
-- POST /api/v1/notifications/{id}/read: "n-" and 32 hex digits of the key's SHA-256, computed
-- here for every row (existing rows included) whoever inserts it.
-- The function is IMMUTABLE: convert_to is only STABLE in general, but the key's encoding is
-- the database's, which never changes.
CREATE FUNCTION notification_public_id(key text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS
$$ SELECT 'n-' || substr(encode(sha256(convert_to(key, 'UTF8')), 'hex'), 1, 32) $$;
ALTER TABLE notifications ADD COLUMN public_id text NOT NULL GENERATED ALWAYS AS (notification_public_id(id)) STORED;
CREATE UNIQUE INDEX notifications_public_id_idx ON notifications (public_id);
-- The list pages by (created_at, public_id); the unread count reads only unread rows.
DROP INDEX notifications_user_idx;
CREATE INDEX notifications_user_idx ON notifications (user_id, created_at DESC, public_id DESC);
CREATE INDEX notifications_unread_idx ON notifications (user_id) WHERE read_at IS NULL;

-- +goose Down
DROP INDEX notifications_unread_idx;
DROP INDEX notifications_user_idx;
CREATE INDEX notifications_user_idx ON notifications (user_id, created_at DESC, id DESC);
DROP INDEX notifications_public_id_idx;
ALTER TABLE notifications DROP COLUMN public_id;
DROP FUNCTION notification_public_id(text);
