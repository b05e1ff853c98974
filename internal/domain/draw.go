package domain

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
)

// ExpertSpecialties are the specialties of the expert pool (schema/0029), code → name: a
// random draw (随机抽取, R4, issue 19 item 6) picks a panel among the experts of one.
var ExpertSpecialties = map[string]string{
	"software":       "软件与信息系统",
	"security":       "网络与信息安全",
	"data":           "数据资源",
	"infrastructure": "基础设施与云",
}

// SpecialtyOrder is the order the screens list the specialties in.
var SpecialtyOrder = []string{"software", "security", "data", "infrastructure"}

// DrawAlgorithm names the way DrawExperts draws; an audit row of a draw carries it, so that
// a later change of the way is a new name and ReplayDraw refuses what it cannot re-run.
const DrawAlgorithm = "pcg-fisher-yates-v1"

// drawStream is the second word of the PCG state: fixed, so the seed alone decides a draw.
const drawStream = 0x6567_6f76_706d_2d34 // "egovpm-4"

// DrawExperts draws n of candidates at random from seed, reproducibly: the candidates sorted
// by id, a Fisher–Yates shuffle driven by PCG(seed, drawStream) with unbiased bounds
// (rejection), the first n. The same seed and candidates (in any order) always draw the same
// experts, in the same order. n larger than the candidates draws them all.
func DrawExperts(seed uint64, candidates []string, n int) []string {
	c := slices.Clone(candidates)
	slices.Sort(c)
	c = slices.Compact(c)
	r := rand.NewPCG(seed, drawStream)
	for i := len(c) - 1; i > 0; i-- {
		j := bounded(r, uint64(i)+1)
		c[i], c[j] = c[j], c[i]
	}
	return c[:min(max(n, 0), len(c))]
}

// bounded is a uniform number in [0, n) from r (n > 0), by rejection of the biased tail.
func bounded(r *rand.PCG, n uint64) uint64 {
	limit := -n % n // 2^64 mod n: values below it would favour the small results
	for {
		if v := r.Uint64(); v >= limit {
			return v % n
		}
	}
}

// ExpertDraw is a random draw of experts as its audit row (`expert.draw`) records it: enough
// to re-run it (ReplayDraw). Seed is a decimal string (a uint64 is past what JSON numbers
// carry safely).
type ExpertDraw struct {
	DrawID     string   `json:"draw_id"`
	Algorithm  string   `json:"algorithm"`
	Seed       string   `json:"seed"`
	PlanYear   int      `json:"plan_year"`
	Specialty  string   `json:"specialty"`
	Count      int      `json:"count"`
	ProjectIDs []string `json:"project_ids"`
	// Candidates is the pool drawn from: the enabled experts of the specialty less the
	// recused, sorted by id.
	Candidates []string `json:"candidates"`
	// Recused are the experts of the specialty left out because they belong to the unit of
	// one of the projects (R4), each with that project's id.
	Recused []Recusal `json:"recused"`
	Drawn   []string  `json:"drawn"`
}

// Recusal is an expert left out of a draw for a project of its own unit (R4).
type Recusal struct {
	ExpertID  string `json:"expert_id"`
	ProjectID string `json:"project_id"`
}

// ReplayDraw re-runs the draw an `expert.draw` audit row's detail records and returns what it
// draws; it is an error when the detail is not a draw, names an unknown algorithm or did not
// draw what the re-run draws (the record was altered, or is not the draw's).
func ReplayDraw(detail []byte) ([]string, error) {
	var d ExpertDraw
	if err := json.Unmarshal(detail, &d); err != nil {
		return nil, fmt.Errorf("draw detail: %w", err)
	}
	if d.Algorithm != DrawAlgorithm {
		return nil, fmt.Errorf("draw %s: unknown algorithm %q", d.DrawID, d.Algorithm)
	}
	seed, err := strconv.ParseUint(d.Seed, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("draw %s: seed: %w", d.DrawID, err)
	}
	got := DrawExperts(seed, d.Candidates, d.Count)
	if !slices.Equal(got, d.Drawn) {
		return got, fmt.Errorf("draw %s: re-run draws %v, the record says %v", d.DrawID, got, d.Drawn)
	}
	return got, nil
}
