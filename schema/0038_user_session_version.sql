-- +goose Up
-- 重置密码 and 停用 end every session the user holds (docs/AUTHZ.md): each token carries the
-- user's session_version when it was signed (claim sv), and a token whose version is no longer
-- the user's is refused (401 token_revoked). An administrator's password reset and a disable
-- raise it, so a token taken before — by a thief the reset was meant to lock out — stays dead
-- after the user sets a new password or is enabled again. Tokens signed before this column
-- carry no sv and count as version 0.
ALTER TABLE users ADD COLUMN session_version int NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE users DROP COLUMN session_version;
