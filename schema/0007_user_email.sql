-- +goose Up
-- Where the SMTP sender mails notifications (optional).
ALTER TABLE users ADD COLUMN email text CHECK (email IS NULL OR email ~ '^[^@\s]+@[^@\s]+$');

-- +goose Down
ALTER TABLE users DROP COLUMN email;
