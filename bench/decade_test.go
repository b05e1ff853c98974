package bench

import (
	"context"
	"strconv"
	"testing"

	"egovpm/internal/audit"
)

// TestDecadeChainVerifies (R18, issue 20): the decade generator's audit rows, hashed in the
// current row format with the gateway's key after the demo seed's head, make one chain that audit verify accepts whole —
// and that a chain of another key does not (the check is not vacuous). The projects, tasks,
// contracts and payments pass the schema's checks and foreign keys (COPY would fail).
func TestDecadeChainVerifies(t *testing.T) {
	ctx := context.Background()
	st := seeded(t)
	var before int64
	if err := st.DB().GetContext(ctx, &before, `SELECT count(*) FROM audit_log`); err != nil {
		t.Fatal(err)
	}
	d := Decade{Projects: 100, Tasks: 1000, Audit: 100}
	chain := st.Audit // the key the demo seed's rows were hashed with
	if err := SeedDecade(ctx, st.DB(), chain, d, nil); err != nil {
		t.Fatal(err)
	}
	res, err := chain.Verify(ctx, st.DB())
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK || res.Checked != before+100 || res.Formats[strconv.Itoa(audit.Format)] < 100 {
		t.Fatalf("verify: %+v, want ok with %d rows", res, before+100)
	}
	if res, err := audit.New("another key").Verify(ctx, st.DB()); err != nil || res.OK {
		t.Fatalf("verify with another key: %+v %v, want broken", res, err)
	}
	// An append after the load extends the chain (head and sequence moved).
	tx, err := st.DB().BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := chain.Append(ctx, tx, audit.Entry{ActorID: "u-drb1", OrgID: "drb", Action: "test.append", ObjectType: "project",
		ObjectID: DecadeProjectID(1), Outcome: "ok"}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if res, err := chain.Verify(ctx, st.DB()); err != nil || !res.OK || res.Checked != before+101 {
		t.Fatalf("verify after an append: %+v %v", res, err)
	}
	var counts struct {
		Projects int `db:"projects"`
		Tasks    int `db:"tasks"`
		Open     int `db:"open"`
		Payments int `db:"payments"`
	}
	if err := st.DB().GetContext(ctx, &counts, `SELECT (SELECT count(*) FROM projects WHERE id LIKE 'dp-%') AS projects,
		(SELECT count(*) FROM tasks WHERE id LIKE 'dt-%') AS tasks,
		(SELECT count(*) FROM tasks WHERE id LIKE 'dt-%' AND status = 'open') AS open,
		(SELECT count(*) FROM payments WHERE id LIKE 'pay-dp-%') AS payments`); err != nil {
		t.Fatal(err)
	}
	if counts.Projects != 100 || counts.Tasks != 1000 || counts.Open != d.Open() || counts.Payments == 0 {
		t.Fatalf("loaded %+v", counts)
	}
}
