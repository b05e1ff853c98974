package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"sort"
	"strings"

	"github.com/lib/pq"

	"egovpm/internal/audit"
	"egovpm/internal/auth"
	"egovpm/internal/store"
)

// funds checks the payments of the run (R15): each project's recorded payments are exactly the
// ones acknowledged with a 201, once each (their Idempotency-Keys made every resend name the
// same payment), none of those refused 422 exists, none went over its cap (the sum of a
// project's payments not rejected is at most its approved amount and its contract's), every
// acknowledged confirmation is the payment's status, made by Finance, and each payment has
// one payment.record and one payment.confirm audit row.
func funds(ctx context.Context, st *store.Store, d *driver) (bad []string, summary string) {
	fail := func(format string, args ...any) { bad = append(bad, fmt.Sprintf(format, args...)) }
	var rows []struct {
		ID          string  `db:"id"`
		ProjectID   string  `db:"project_id"`
		Milestone   string  `db:"milestone"`
		AmountFen   int64   `db:"amount_fen"`
		Status      string  `db:"status"`
		ConfirmedBy *string `db:"confirmed_by"`
	}
	if err := st.DB().SelectContext(ctx, &rows, `SELECT id, project_id, milestone, amount_fen, status, confirmed_by FROM payments ORDER BY id`); err != nil {
		return []string{err.Error()}, ""
	}
	byID := map[string]int{}
	for i, r := range rows {
		byID[r.ID] = i
	}
	recorded, refused, confirmed := 0, 0, 0
	acked := map[string]bool{}
	for _, p := range d.payments {
		if p.Refused {
			refused++
			for _, r := range rows {
				if r.ProjectID == p.ProjectID && r.Milestone == p.Milestone {
					fail("payment %s of %s was refused (422) yet is recorded as %s", p.Key, p.ProjectID, r.ID)
				}
			}
			continue
		}
		recorded++
		acked[p.ID] = true
		i, ok := byID[p.ID]
		if !ok {
			fail("payment %s of %s acknowledged as %s: not in the database", p.Key, p.ProjectID, p.ID)
			continue
		}
		r := rows[i]
		if r.ProjectID != p.ProjectID || r.AmountFen != p.AmountFen || r.Milestone != p.Milestone {
			fail("payment %s: %s %d fen %q, asked %s %d fen %q", p.ID, r.ProjectID, r.AmountFen, r.Milestone, p.ProjectID, p.AmountFen, p.Milestone)
		}
		if p.Confirmed {
			confirmed++
			if r.Status != store.PaymentConfirmed || deref(r.ConfirmedBy) != auth.UserID("fin1") {
				fail("payment %s: %s by %s, want confirmed by %s", p.ID, r.Status, deref(r.ConfirmedBy), auth.UserID("fin1"))
			}
		}
	}
	for _, r := range rows {
		if !acked[r.ID] {
			fail("payment %s of %s (%q, %d fen) recorded but never acknowledged", r.ID, r.ProjectID, r.Milestone, r.AmountFen)
		}
	}

	// No payment over its cap: the approved amount, and the contract's once there is one.
	var caps []struct {
		ProjectID   string `db:"id"`
		ApprovedFen *int64 `db:"approved_amount_fen"`
		ContractFen *int64 `db:"contract_fen"`
		PaidFen     int64  `db:"paid"`
		N           int    `db:"n"`
	}
	if err := st.DB().SelectContext(ctx, &caps, `SELECT p.id, p.approved_amount_fen, c.amount_fen AS contract_fen,
			coalesce(sum(pay.amount_fen) FILTER (WHERE pay.status <> 'rejected'), 0) AS paid, count(pay.id) AS n
		FROM projects p LEFT JOIN contracts c ON c.project_id = p.id LEFT JOIN payments pay ON pay.project_id = p.id
		WHERE p.id = ANY($1) GROUP BY p.id, p.approved_amount_fen, c.amount_fen`,
		pq.Array(d.projects)); err != nil {
		return append(bad, err.Error()), ""
	}
	maxShare := 0.0
	for _, c := range caps {
		if c.ApprovedFen == nil {
			fail("project %s: no approved amount, %d payments", c.ProjectID, c.N)
			continue
		}
		if c.PaidFen > *c.ApprovedFen {
			fail("project %s: payments of %d fen over the approved %d fen (R15)", c.ProjectID, c.PaidFen, *c.ApprovedFen)
		}
		if c.ContractFen != nil && c.PaidFen > *c.ContractFen {
			fail("project %s: payments of %d fen over the contract's %d fen (R9, R15)", c.ProjectID, c.PaidFen, *c.ContractFen)
		}
		// Three asks of 40% each: the cap admits exactly two.
		if c.N != 2 {
			fail("project %s: %d payments recorded, want 2 of the 3 asked (the third over the cap)", c.ProjectID, c.N)
		}
		maxShare = max(maxShare, float64(c.PaidFen)/float64(*c.ApprovedFen))
	}

	// One audit row per payment recorded and per confirmation.
	var audits []struct {
		Action  string `db:"action"`
		Payment string `db:"payment_id"`
		N       int    `db:"n"`
	}
	if err := st.DB().SelectContext(ctx, &audits, `SELECT action, coalesce(detail->>'payment_id', '') AS payment_id, count(*) AS n
		FROM audit_log WHERE action IN ('payment.record', 'payment.confirm', 'payment.reject') GROUP BY 1, 2`); err != nil {
		return append(bad, err.Error()), ""
	}
	got := map[string]int{}
	for _, a := range audits {
		got[a.Action+" "+a.Payment] = a.N
	}
	for _, p := range d.payments {
		if p.Refused {
			continue
		}
		if n := got["payment.record "+p.ID]; n != 1 {
			fail("payment %s: %d payment.record audit rows, want 1", p.ID, n)
		}
		if n := got["payment.confirm "+p.ID]; p.Confirmed && n != 1 {
			fail("payment %s: %d payment.confirm audit rows, want 1", p.ID, n)
		}
	}
	for k, n := range got {
		if strings.HasPrefix(k, "payment.reject ") {
			fail("%s: %d audit rows; nobody rejected a payment", k, n)
		}
	}
	sort.Strings(bad)
	return bad, fmt.Sprintf("payments: %d recorded and %d confirmed as acknowledged, %d refused over the cap, at most %.0f%% of an approved amount paid",
		recorded, confirmed, refused, maxShare*100)
}

// documents checks the uploads of the run: every acknowledged document is stored once, under
// its project and kind; a project holds at most one more document of a kind than was
// acknowledged for each attempt whose outcome the client could not know (an upload has no
// Idempotency-Key, so such a resend may store a second copy; the summary counts them).
func documents(ctx context.Context, st *store.Store, d *driver) (bad []string, summary string) {
	fail := func(format string, args ...any) { bad = append(bad, fmt.Sprintf(format, args...)) }
	var rows []struct {
		ID        string `db:"id"`
		ProjectID string `db:"project_id"`
		Kind      string `db:"kind"`
	}
	if err := st.DB().SelectContext(ctx, &rows, `SELECT id, project_id, kind FROM documents ORDER BY id`); err != nil {
		return []string{err.Error()}, ""
	}
	stored := map[string]string{}
	perKind := map[string]int{}
	for _, r := range rows {
		stored[r.ID] = r.ProjectID + " " + r.Kind
		perKind[r.ProjectID+" "+r.Kind]++
	}
	acked := map[string]int{}
	for _, u := range d.uploads {
		if got, ok := stored[u.ID]; !ok || got != u.ProjectID+" "+u.Kind {
			fail("document %s (%s of %s) acknowledged: stored as %q", u.ID, u.Kind, u.ProjectID, got)
		}
		acked[u.ProjectID+" "+u.Kind]++
	}
	extra := 0
	for k, n := range perKind {
		if n > acked[k]+d.ambiguous[k] {
			fail("%s: %d documents stored, %d acknowledged and %d attempts with an unknown outcome", k, n, acked[k], d.ambiguous[k])
		}
		if n > acked[k] {
			extra += n - acked[k]
		}
	}
	sort.Strings(bad)
	return bad, fmt.Sprintf("documents: %d acknowledged, %d stored; %d extra copies from resent uploads whose first reply was lost",
		len(d.uploads), len(rows), extra)
}

// auditVerify runs `egovpm audit-verify` on the run's database and DATA_DIR: the chain and the
// signed checkpoints (DATA_DIR/audit/checkpoints.jsonl, written by the gateways, some killed
// mid-run). It returns a summary of the result, or an error when the command fails.
func (s *stack) auditVerify(ctx context.Context) (string, error) {
	cmd := exec.CommandContext(ctx, s.cli, "audit-verify")
	cmd.Env = append(cmd.Environ(), s.appEnv...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("egovpm audit-verify: %v\n%s%s", err, out, stderr.String())
	}
	var res audit.Result
	if err := json.Unmarshal(out, &res); err != nil {
		return "", fmt.Errorf("egovpm audit-verify printed %q: %v", out, err)
	}
	if !res.OK || res.Anchor == nil || res.Anchor.Checkpoints == 0 {
		return "", fmt.Errorf("egovpm audit-verify: want the chain intact and checked against checkpoints: %s", out)
	}
	return fmt.Sprintf("chain intact, %d rows; %d signed checkpoints, the newest at seq %d, %d rows after it",
		res.Checked, res.Anchor.Checkpoints, res.Anchor.LastSeq, res.Anchor.Unanchored), nil
}
