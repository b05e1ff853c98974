-- +goose Up
-- Issue 20 item 3: reads that grow with a decade's read model (docs/PERFORMANCE.md §11.3).
--
-- The project list (store.ListProjects) is ordered by (created_at DESC, id DESC) and paged on
-- that key; the UI filters it on plan_year, stage and type. With only projects_list_idx a rare
-- filter combination walked the whole index (?plan_year=2020&stage=om: 30,148 buffers at
-- 30,000 projects). These indexes serve filter and order together, so a page reads a page:
-- stage alone, plan year alone, and both (this last replaces projects_stage_idx (stage,
-- plan_year), its prefix, which the other readers of stage and year keep using).
CREATE INDEX projects_stage_list_idx ON projects (stage, created_at DESC, id DESC);
CREATE INDEX projects_year_list_idx ON projects (plan_year, created_at DESC, id DESC);
CREATE INDEX projects_stage_year_list_idx ON projects (stage, plan_year, created_at DESC, id DESC);
DROP INDEX projects_stage_idx;
-- Stage and plan year are far from independent (a year's projects move through the stages
-- together): the planner, multiplying their frequencies, expected 1,200 O&M projects of 2020
-- where there were none. Their joint frequencies, kept by ANALYZE, let it pick the range.
CREATE STATISTICS projects_stage_year_stats (mcv) ON stage, plan_year FROM projects;

-- R15: the funds report (store.Funds) pages the (plan_year DESC, unit_id) groups of the
-- projects with an approved amount; it finds a page's groups in this index and then those
-- groups' projects (id and approved amount, included: an index-only scan of the page's
-- entries, not a scan of every approved project).
CREATE INDEX projects_funds_idx ON projects (plan_year DESC, unit_id) INCLUDE (id, approved_amount_fen)
    WHERE approved_amount_fen IS NOT NULL;

-- +goose Down
DROP INDEX projects_funds_idx;
DROP STATISTICS projects_stage_year_stats;
CREATE INDEX projects_stage_idx ON projects (stage, plan_year);
DROP INDEX projects_stage_year_list_idx;
DROP INDEX projects_year_list_idx;
DROP INDEX projects_stage_list_idx;
