package domain

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// TestDrawExpertsGolden pins the draw (R4, 随机抽取, issue 19 item 6): an audited draw must
// re-run to the same experts for as long as its record is kept, so a change in the generator
// or the shuffle fails here (and needs a new DrawAlgorithm name).
func TestDrawExpertsGolden(t *testing.T) {
	pool := []string{"u-exp5", "u-exp2", "u-exp4", "u-exp3", "u-exp6", "u-exp7", "u-exp8"}
	got := DrawExperts(20261203, pool, 3)
	want := golden(t)
	if !slices.Equal(got, want) {
		t.Fatalf("DrawExperts(20261203) = %v, the pinned draw is %v", got, want)
	}
	// The order the candidates are given in does not matter; the seed does.
	rev := slices.Clone(pool)
	slices.Reverse(rev)
	if again := DrawExperts(20261203, rev, 3); !slices.Equal(again, got) {
		t.Fatalf("same seed, candidates reordered: %v, want %v", again, got)
	}
	differ := 0
	for s := uint64(1); s <= 20; s++ {
		if !slices.Equal(DrawExperts(s, pool, 3), got) {
			differ++
		}
	}
	if differ < 15 {
		t.Fatalf("only %d of 20 other seeds drew another panel: the seed hardly matters", differ)
	}
}

// golden is the draw of seed 20261203 over u-exp2…u-exp8, pinned when the algorithm was named.
func golden(t *testing.T) []string {
	t.Helper()
	return []string{"u-exp8", "u-exp3", "u-exp5"}
}

// TestDrawExpertsUniform: every candidate is drawn about as often (a biased shuffle would
// favour some; R4 wants a fair panel).
func TestDrawExpertsUniform(t *testing.T) {
	pool := []string{"a", "b", "c", "d", "e"}
	count := map[string]int{}
	const runs = 20000
	for s := uint64(0); s < runs; s++ {
		for _, e := range DrawExperts(s, pool, 3) {
			count[e]++
		}
	}
	for _, e := range pool {
		share := float64(count[e]) / runs // each is drawn 3/5 of the time
		if share < 0.58 || share > 0.62 {
			t.Fatalf("%s drawn in %.3f of the runs, want about 0.6: %v", e, share, count)
		}
	}
	if n := len(DrawExperts(1, pool, 9)); n != 5 {
		t.Fatalf("drawing 9 of 5 gave %d", n)
	}
}

// TestReplayDraw: the audit row's detail re-runs to its draw, and an altered record (another
// seed, a candidate more, another result, an unknown algorithm) does not.
func TestReplayDraw(t *testing.T) {
	cands := []string{"u-exp2", "u-exp3", "u-exp4", "u-exp5"}
	d := ExpertDraw{DrawID: "d-1", Algorithm: DrawAlgorithm, Seed: "987654321987654321", PlanYear: 2027,
		Specialty: "software", Count: 3, ProjectIDs: []string{"p-1"}, Candidates: cands,
		Recused: []Recusal{{ExpertID: "u-exp1", ProjectID: "p-1"}}, Drawn: DrawExperts(987654321987654321, cands, 3)}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ReplayDraw(b)
	if err != nil || !slices.Equal(got, d.Drawn) {
		t.Fatalf("ReplayDraw = %v, %v; want %v", got, err, d.Drawn)
	}
	for name, alter := range map[string]func(*ExpertDraw){
		"seed":      func(x *ExpertDraw) { x.Seed = "987654321987654322" },
		"candidate": func(x *ExpertDraw) { x.Candidates = append(slices.Clone(x.Candidates), "u-exp9") },
		"drawn":     func(x *ExpertDraw) { x.Drawn = []string{x.Drawn[1], x.Drawn[0], x.Drawn[2]} },
		"algorithm": func(x *ExpertDraw) { x.Algorithm = "other" },
	} {
		x := d
		alter(&x)
		b, _ := json.Marshal(x)
		if _, err := ReplayDraw(b); err == nil || !strings.Contains(err.Error(), "d-1") {
			t.Fatalf("%s altered: ReplayDraw = %v, want an error naming the draw", name, err)
		}
	}
	if _, err := ReplayDraw([]byte(`{"algorithm":"` + DrawAlgorithm + `","seed":"x"}`)); err == nil {
		t.Fatal("a seed that is no number replayed")
	}
}
