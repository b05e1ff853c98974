-- +goose Up
-- 邮件通知 says when the relay last refused the person's address for good (a notification's
-- failed_at), so they can correct it; a refusal from before the address last changed is no
-- longer about it. email_changed_at is when it last changed (NULL: never, since this column).
ALTER TABLE users ADD COLUMN email_changed_at timestamptz;

-- +goose Down
ALTER TABLE users DROP COLUMN email_changed_at;
