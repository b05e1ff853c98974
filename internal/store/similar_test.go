package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/lib/pq"
	"github.com/stretchr/testify/require"

	"egovpm/internal/authz"
	"egovpm/internal/domain"
	"egovpm/internal/similar"
	"egovpm/internal/store"
)

// TestR16ComputeSimilarStoresACandidateWhosePartsAreEachBelowHalf: a submitted project alike
// enough to be a candidate (score ≥ 0.3) though neither its name nor its description is half
// alike is stored with the reason that weighed most; the write never puts NULL into
// project_similar.reasons (NOT NULL), which failed ComputeSimilar on every attempt.
func TestR16ComputeSimilarStoresACandidateWhosePartsAreEachBelowHalf(t *testing.T) {
	f := newPayFixture(t)
	ctx := context.Background()
	a := f.project("unit-a", 2030, "prelim_review", nil)
	b := f.project("unit-b", 2030, "prelim_review", nil)
	_, err := f.st.DB().Exec(`UPDATE projects SET name = '六安市智慧教育云平台', description = '建设全市统一的教育资源公共服务平台' WHERE id = $1;`, a)
	require.NoError(t, err)
	_, err = f.st.DB().Exec(`UPDATE projects SET name = '智慧医疗云平台', description = '建设全市医疗健康信息服务平台' WHERE id = $1`, b)
	require.NoError(t, err)

	n, err := f.st.ComputeSimilar(ctx, b)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	drb := authz.ReachOf(domain.Actor{ID: "u-drb1", OrgID: "drb", Roles: []string{domain.RoleDRBReviewer}})
	rows, err := f.st.Similar(ctx, b, drb)
	require.NoError(t, err)
	require.Len(t, rows, 1)
	require.Equal(t, a, rows[0].ProjectID)
	require.Equal(t, []string{"name"}, []string(rows[0].Reasons))
}

// TestR16ComputeSimilarStoresTheTopTwentyOfEveryPairScore (issue 20): the streamed scoring with
// one reused signature stores, for each project checked, exactly the candidates that scoring
// every pair with similar.Score gives (score ≥ 0.3, best 20, ties by id, the same reasons),
// drafts aside; TestR16CompareEqualsTheMapScore shows Score equals the scoring by string maps.
func TestR16ComputeSimilarStoresTheTopTwentyOfEveryPairScore(t *testing.T) {
	f := newPayFixture(t)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(20, 16))
	pick := func(xs []string) string { return xs[r.IntN(len(xs))] }
	topics := []string{"智慧教育", "健康医疗", "城市治理", "政务服务"}
	kinds := []string{"云平台", "信息系统", "综合服务平台", "云平台（二期）"}
	clauses := []string{"建设全市统一的", "汇聚学籍数据，", "实现跨部门数据共享，", "部署于政务云，", "对接省级平台接口。", "GIS一张图，"}
	resources := []string{"人口基础信息库", "人口 基础信息库。", "电子证照库", "教育主题库"}
	type doc struct {
		id    string
		draft bool
		d     similar.Doc
	}
	var docs []doc
	for i := range 80 {
		d := similar.Doc{Name: pick(topics) + pick(kinds), DataResources: []string{}}
		for range r.IntN(5) {
			d.Description += pick(clauses)
		}
		for range r.IntN(3) {
			d.DataResources = append(d.DataResources, pick(resources))
		}
		x := doc{id: fmt.Sprintf("p-sim-%02d", i), draft: i%9 == 0, d: d}
		stage := map[bool]string{true: "draft", false: "prelim_review"}[x.draft]
		_, err := f.st.DB().Exec(`INSERT INTO projects (id, unit_id, name, type, plan_year, estimated_investment_fen, description,
			data_resources, mlps_level, stage, created_by) VALUES ($1, 'unit-a', $2, 'new', 2030, 1000, $3, $4, 2, $5, 'u-alice')`,
			x.id, d.Name, d.Description, pq.Array(d.DataResources), stage)
		require.NoError(t, err)
		docs = append(docs, x)
	}
	type cand struct {
		ID      string
		Score   float32
		Reasons []string
	}
	truncated := 0
	for _, me := range docs[:20] { // drafts among them: a draft is checked too, against submitted ones
		var want []cand
		var scores []float64
		for _, o := range docs {
			if o.id == me.id || o.draft {
				continue
			}
			if s, rs := similar.Score(me.d, o.d); s >= store.SimilarThreshold {
				want = append(want, cand{o.id, float32(min(s, 1)), rs})
				scores = append(scores, s)
			}
		}
		idx := make([]int, len(want))
		for i := range idx {
			idx[i] = i
		}
		sort.Slice(idx, func(i, j int) bool {
			a, b := idx[i], idx[j]
			return scores[a] > scores[b] || scores[a] == scores[b] && want[a].ID < want[b].ID
		})
		if len(idx) > 20 {
			truncated++
		}
		var top []cand
		for _, i := range idx[:min(20, len(idx))] {
			top = append(top, want[i])
		}
		sort.Slice(top, func(i, j int) bool { return top[i].ID < top[j].ID })

		n, err := f.st.ComputeSimilar(ctx, me.id)
		require.NoError(t, err)
		require.Equal(t, len(top), n)
		var got []cand
		rows, err := f.st.DB().Query(`SELECT similar_id, score, reasons FROM project_similar WHERE project_id = $1 ORDER BY similar_id`, me.id)
		require.NoError(t, err)
		for rows.Next() {
			var c cand
			var rs pq.StringArray
			require.NoError(t, rows.Scan(&c.ID, &c.Score, &rs))
			c.Reasons = rs
			got = append(got, c)
		}
		require.NoError(t, rows.Err())
		require.Equal(t, top, got, "project %s", me.id)
	}
	require.Positive(t, truncated, "some project has more than 20 candidates")
}

// TestR16ComputeSimilarHoldsAtMostSimilarScansConnections (issue 20, PERFORMANCE §11.1.3): a
// burst of similarity checks on a year of 3,000 submitted projects never holds more than
// SimilarScans of the pool's connections at once, so the rest of the worker (Apply) always
// finds one; every check still completes.
func TestR16ComputeSimilarHoldsAtMostSimilarScansConnections(t *testing.T) {
	f := newPayFixture(t)
	ctx := context.Background()
	_, err := f.st.DB().Exec(`INSERT INTO projects (id, unit_id, name, type, plan_year, estimated_investment_fen, description,
		data_resources, mlps_level, stage, created_by)
		SELECT 'p-burst-' || i, 'unit-a', '智慧政务平台' || i, 'new', 2030, 1000, repeat('建设全市统一的数据共享交换平台，', 1 + i % 7),
			'{}', 2, 'prelim_review', 'u-alice' FROM generate_series(1, 3000) i`)
	require.NoError(t, err)
	done := make(chan struct{})
	peak := make(chan int)
	go func() {
		most := 0
		for {
			select {
			case <-done:
				peak <- most
				return
			default:
				most = max(most, f.st.DB().Stats().InUse)
			}
		}
	}()
	const checks = 32
	errs := make(chan error, checks)
	for i := range checks {
		go func() {
			_, err := f.st.ComputeSimilar(ctx, fmt.Sprintf("p-burst-%d", i+1))
			errs <- err
		}()
	}
	for range checks {
		require.NoError(t, <-errs)
	}
	close(done)
	most := <-peak
	require.Positive(t, most, "the sampler saw no scan")
	require.LessOrEqual(t, most, store.SimilarScans, "connections held at once by %d concurrent checks", checks)
}
