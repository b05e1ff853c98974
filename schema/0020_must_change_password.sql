-- +goose Up
-- A user created with an initial password by an administrator (POST /api/v1/users) or the CLI
-- (create-user) must choose their own before doing anything else: the gateway admits such a
-- session only to GET /api/v1/me, POST /api/v1/auth/password, refresh and logout. The demo
-- seed's users are not forced.
ALTER TABLE users ADD COLUMN must_change_password boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE users DROP COLUMN must_change_password;
