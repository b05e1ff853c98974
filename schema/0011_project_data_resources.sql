-- +goose Up
-- R16: the data resources a project builds or uses (数据资源, e.g. 人口基础信息库), declared with
-- the application, so that the duplicate-construction check compares them as well as the name
-- and the description.
ALTER TABLE projects ADD COLUMN data_resources text[] NOT NULL DEFAULT '{}';

-- +goose Down
ALTER TABLE projects DROP COLUMN data_resources;
