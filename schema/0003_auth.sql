-- +goose Up
-- Identity: revoked tokens, failed logins for names that are not users, and TOTP replay
-- protection.

-- A token revoked by logout stays refused until it would have expired anyway; after that the
-- row may be pruned (the signature check refuses the token on its own).
CREATE TABLE revoked_tokens (
    jti        text PRIMARY KEY CHECK (length(jti) BETWEEN 1 AND 128),
    user_id    text NOT NULL,
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX revoked_tokens_expires_idx ON revoked_tokens (expires_at);

-- Failed logins with a username that is no user. Counting them like a user's own
-- (users.failed_logins, users.locked_until) makes a lockout say nothing about whether the
-- name exists (no user enumeration).
CREATE TABLE login_failures (
    username     text PRIMARY KEY CHECK (length(username) BETWEEN 1 AND 64),
    failures     int NOT NULL DEFAULT 0,
    locked_until timestamptz,
    updated_at   timestamptz NOT NULL
);
CREATE INDEX login_failures_updated_idx ON login_failures (updated_at);

-- The last TOTP time step a user logged in with: a code is accepted once.
ALTER TABLE users ADD COLUMN totp_last_step bigint;

-- +goose Down
ALTER TABLE users DROP COLUMN totp_last_step;
DROP TABLE login_failures;
DROP TABLE revoked_tokens;
