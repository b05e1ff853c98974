package bench

// Go benchmarks of the read-model work on the decision and inbox paths, without Temporal or
// HTTP: `go test -run '^$' -bench . -benchtime 200x ./bench/` (part of `make bench`). Each
// runs on a fresh database of the local PostgreSQL server (internal/testdb).

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/jmoiron/sqlx"
	"go.uber.org/zap"

	"egovpm/activities"
	"egovpm/internal/domain"
	"egovpm/internal/seed"
	"egovpm/internal/store"
	"egovpm/internal/testdb"
)

// cpuPerOp reports, when the benchmark ends, the CPU time per operation of this process and
// of every PostgreSQL process (the figure the decision round trip is bound by on two cores;
// its wall time at one client is mostly the commit's WAL flush).
func cpuPerOp(b *testing.B) {
	b.Helper()
	me, pg := CPUTime(os.Getpid()), PostgresCPUTime()
	b.Cleanup(func() {
		n := float64(b.N)
		b.ReportMetric(float64((CPUTime(os.Getpid())-me).Microseconds())/n, "go-cpu-µs/op")
		b.ReportMetric(float64((PostgresCPUTime()-pg).Microseconds())/n, "pg-cpu-µs/op")
	})
}

func seeded(b testing.TB) *store.Store {
	b.Helper()
	st := testdb.New(b)
	if err := seed.Demo(context.Background(), st, "demo-Passw0rd"); err != nil {
		b.Fatal(err)
	}
	return st
}

// insertProjects adds n submitted projects p-1…p-n of unit-a with an open prelim task each.
func insertProjects(b testing.TB, db *sqlx.DB, n int) {
	b.Helper()
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `
		INSERT INTO projects (id, unit_id, name, type, plan_year, estimated_investment_fen, description, mlps_level, stage, created_by)
		SELECT 'p-' || g, 'unit-a', '项目' || g || '：' || (ARRAY['智慧教育','健康医疗','城市治理','政务服务','应急管理'])[1 + g % 5] || '平台',
			'new', 2030, 500000000, '建设内容说明' || g || '，含数据共享与安全保障', 2, 'prelim_review', 'u-alice'
		FROM generate_series(1, $1) g`, n); err != nil {
		b.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `
		INSERT INTO tasks (id, kind, workflow_id, project_id, candidate_role, candidate_org_id, due_at)
		SELECT 'project:p-' || g || ':prelim_review:1', 'prelim_review', 'project:p-' || g, 'p-' || g, 'drb_reviewer', 'drb', now() + interval '5 days'
		FROM generate_series(1, $1) g`, n); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkApplyPrelimApproval is the read-model write of one decision: the Apply local
// activity of a preliminary approval (stage, task close, audit row), as the worker runs it.
func BenchmarkApplyPrelimApproval(b *testing.B) {
	st := seeded(b)
	insertProjects(b, st.DB(), b.N)
	acts := &activities.Activities{Store: st, Log: zap.NewNop()}
	ctx := context.Background()
	b.ResetTimer()
	cpuPerOp(b)
	for i := 1; i <= b.N; i++ {
		wf := fmt.Sprintf("project:p-%d", i)
		_, err := acts.Apply(ctx, domain.Transition{ID: wf + "/run/2", WorkflowID: wf, ProjectID: fmt.Sprintf("p-%d", i),
			Stage: domain.StageExpertReview,
			Close: []domain.TaskClose{{TaskID: wf + ":prelim_review:1", Decision: "approve", ActorID: "u-drb1", Comment: "符合申报条件"}},
			Audit: []domain.AuditItem{{ActorID: "u-drb1", OrgID: "drb", Action: "task.decide", Outcome: "approve",
				Detail: map[string]any{"task_id": wf + ":prelim_review:1", "kind": "prelim_review", "decision": "approve"}}}})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkApplyPrelimApprovalParallel is the same write from 8 goroutines at once: appends
// to the audit chain serialise on its head row.
func BenchmarkApplyPrelimApprovalParallel(b *testing.B) {
	st := seeded(b)
	insertProjects(b, st.DB(), b.N)
	acts := &activities.Activities{Store: st, Log: zap.NewNop()}
	ctx := context.Background()
	next := make(chan int, b.N)
	for i := 1; i <= b.N; i++ {
		next <- i
	}
	close(next)
	b.SetParallelism(4) // 4 × GOMAXPROCS(2) = 8 goroutines
	b.ResetTimer()
	cpuPerOp(b)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := <-next
			wf := fmt.Sprintf("project:p-%d", i)
			_, err := acts.Apply(ctx, domain.Transition{ID: wf + "/run/2", WorkflowID: wf, ProjectID: fmt.Sprintf("p-%d", i),
				Stage: domain.StageExpertReview,
				Close: []domain.TaskClose{{TaskID: wf + ":prelim_review:1", Decision: "approve", ActorID: "u-drb1"}},
				Audit: []domain.AuditItem{{ActorID: "u-drb1", OrgID: "drb", Action: "task.decide", Outcome: "approve"}}})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkComputeSimilar is the R16 similarity activity of one submission against a
// portfolio of 2,000 submitted projects (it reads and scores all of them).
func BenchmarkComputeSimilar(b *testing.B) {
	st := seeded(b)
	const portfolio = 2000
	insertProjects(b, st.DB(), portfolio)
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		if _, err := st.ComputeSimilar(ctx, fmt.Sprintf("p-%d", 1+i%portfolio)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkListTasks is the inbox query (GET /api/v1/tasks) of a DRB reviewer with one role
// and of a supervisor with two, on a 200,000-task database (20,000 open): first page, and a
// page 10,000 tasks deep, as typed rows and as the JSON page GET /tasks sends.
// cmd/egovpm-bench -inbox runs the same at 1,000,000 tasks.
func BenchmarkListTasks(b *testing.B) {
	st := seeded(b)
	ctx := context.Background()
	if err := SeedInbox(ctx, st.DB(), InboxSeed{Tasks: 200_000, Open: 20_000}, nil); err != nil {
		b.Fatal(err)
	}
	for _, u := range []struct {
		name  string
		roles []string
	}{{"drb1", []string{domain.RoleDRBReviewer}}, {"drbsup", []string{domain.RoleDRBSupervisor, domain.RoleDRBReviewer}}} {
		f := store.TaskFilter{UserID: "u-" + u.name, OrgID: "drb", Roles: u.roles, Status: "open", Limit: 50}
		deep := ""
		for depth := 0; depth < 10_000; {
			wf := f
			wf.Limit, wf.Cursor = 100, deep
			ts, next, err := st.ListTasks(ctx, wf)
			if err != nil {
				b.Fatal(err)
			}
			depth += len(ts)
			if next == "" {
				break
			}
			deep = next
		}
		for _, page := range []struct{ name, cursor string }{{"first", ""}, {"deep", deep}} {
			pf := f
			pf.Cursor = page.cursor
			b.Run(u.name+"/"+page.name, func(b *testing.B) {
				for b.Loop() {
					if _, _, err := st.ListTasks(ctx, pf); err != nil {
						b.Fatal(err)
					}
				}
			})
			// What GET /tasks runs since the page is built by PostgreSQL (docs/PERFORMANCE.md §4).
			b.Run(u.name+"/"+page.name+"/json", func(b *testing.B) {
				for b.Loop() {
					if _, _, err := st.ListTasksJSON(ctx, pf); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
