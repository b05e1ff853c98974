-- +goose Up
-- 基础共用 (the source document, 三、第一部分 and 四（四）): a project is to use the city's
-- shared infrastructure — the 市政务云平台 for its deployment, the 江淮大数据中心六安市子平台 to
-- share its data and the 一体化在线政务服务平台（皖事通办） for public services — and an
-- independent, closed system is to be kept under strict control. The unit declares it; the
-- reviewers see it (a flag, not a rule that refuses).
-- deployment: gov_cloud (市政务云平台), self_built (自建机房或独立部署: deployment_reason says
-- why), none (不涉及部署, e.g. a design or supervision service); NULL for a project created
-- before the field (未填写). shared_platforms: data_platform, service_platform.
ALTER TABLE projects
    ADD COLUMN deployment text CHECK (deployment IN ('gov_cloud', 'self_built', 'none')),
    ADD COLUMN deployment_reason text NOT NULL DEFAULT '',
    ADD COLUMN shared_platforms text[] NOT NULL DEFAULT '{}';

-- +goose Down
ALTER TABLE projects
    DROP COLUMN deployment,
    DROP COLUMN deployment_reason,
    DROP COLUMN shared_platforms;
