-- +goose Up
-- 已办 lists the tasks a person decided, the latest decided first, paging on
-- (coalesce(decided_at, created_at), id) descending (internal/store/tasks.go doneKey). The
-- index of 0004 ordered them by due date, so each page sorted every task the person ever
-- decided; this one yields them in page order and a page stops after its rows
-- (TestDoneListReadsAPage).
CREATE INDEX tasks_decided_by_latest_idx ON tasks (decided_by, (coalesce(decided_at, created_at)) DESC, id DESC)
    WHERE decided_by IS NOT NULL;
DROP INDEX tasks_decided_by_idx;

-- +goose Down
CREATE INDEX tasks_decided_by_idx ON tasks (decided_by, due_at, id) WHERE decided_by IS NOT NULL;
DROP INDEX tasks_decided_by_latest_idx;
