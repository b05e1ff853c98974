-- +goose Up
-- A person who gives their own mail address (邮件通知 → 设置) confirms it with the code mailed
-- to it before any notification goes there: a mistyped address would otherwise receive the
-- projects' notices. Until then their mail keeps going to the address they had (or nowhere).
-- email_pending is the address awaiting confirmation; email_code_hash the SHA-256 of user id,
-- ":" and the six-digit code; email_code_expires when it lapses; email_code_tries the wrong
-- codes entered (five void it); email_code_sent_at when it was last mailed (one a minute);
-- email_code_failure the relay's answer when that mail could not be sent.
ALTER TABLE users
    ADD COLUMN email_pending text,
    ADD COLUMN email_code_hash bytea,
    ADD COLUMN email_code_expires timestamptz,
    ADD COLUMN email_code_tries int NOT NULL DEFAULT 0,
    ADD COLUMN email_code_sent_at timestamptz,
    ADD COLUMN email_code_failure text;

-- +goose Down
ALTER TABLE users
    DROP COLUMN email_pending,
    DROP COLUMN email_code_hash,
    DROP COLUMN email_code_expires,
    DROP COLUMN email_code_tries,
    DROP COLUMN email_code_sent_at,
    DROP COLUMN email_code_failure;
