package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"egovpm/internal/calendar"
)

// fundsProject creates a project of user's unit and puts it directly in stage with the
// approved amount: these tests are about R15, and reaching the contract stages through the
// workflow (contract registration, construction, ...) is what the lifecycle end-to-end test
// covers.
func fundsProject(s *stack, user string, year int, stage string, approvedFen int64) string {
	s.t.Helper()
	id := s.createProject(user, fmt.Sprintf("资金测试：%s 的项目 %d", user, time.Now().UnixNano()), year, 10_000_000_00)
	fundsSetStage(s, id, stage, approvedFen)
	return id
}

func fundsSetStage(s *stack, id, stage string, approvedFen int64) {
	s.t.Helper()
	_, err := s.store.DB().Exec(`UPDATE projects SET stage = $2, approved_amount_fen = $3 WHERE id = $1`, id, stage, approvedFen)
	require.NoError(s.t, err)
}

func fundsPay(s *stack, user, projectID string, amount int64) resp {
	s.t.Helper()
	return s.do(user, http.MethodPost, "/api/v1/projects/"+projectID+"/payments",
		map[string]any{"milestone": "合同进度款", "amount_fen": amount, "paid_on": "2024-06-18"}, nil)
}

func fundsDecide(s *stack, user, paymentID, decision, comment string) resp {
	s.t.Helper()
	body := map[string]any{"decision": decision}
	if comment != "" {
		body["comment"] = comment
	}
	return s.do(user, http.MethodPost, "/api/v1/payments/"+paymentID+"/confirm", body, nil)
}

func fundsPaid(s *stack, projectID string) int64 {
	s.t.Helper()
	paid, err := s.store.PaidFen(s.t.Context(), projectID)
	require.NoError(s.t, err)
	return paid
}

func fundsAudited(s *stack, action, paymentID string) int {
	s.t.Helper()
	var n int
	require.NoError(s.t, s.store.DB().Get(&n, `SELECT count(*) FROM audit_log WHERE action = $1 AND detail->>'payment_id' = $2`,
		action, paymentID))
	return n
}

// TestPaymentRecordHTTP: R15 payments over HTTP: 201 recorded and audited, 422 past the
// approved amount (nothing stored), 409 before a contract, 404 for another unit's project,
// 403 for a role that does not record payments.
func TestPaymentRecordHTTP(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	p := fundsProject(s, "alice", 2024, "construction", 100_000_00)

	r := s.do("alice", http.MethodPost, "/api/v1/projects/"+p+"/payments",
		map[string]any{"milestone": "  合同首付款 ", "amount_fen": 60_000_00, "paid_on": "2024-06-18"}, nil)
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Raw)
	var pay paymentJSON
	require.NoError(t, json.Unmarshal(r.Raw, &pay))
	require.NotEmpty(t, pay.ID)
	require.Equal(t, paymentJSON{ID: pay.ID, ProjectID: p, Milestone: "合同首付款", AmountFen: 60_000_00, PaidOn: "2024-06-18",
		Status: "recorded", RecordedBy: "u-alice", CreatedAt: pay.CreatedAt}, pay)
	require.Equal(t, 1, fundsAudited(s, "payment.record", pay.ID), "R18: the payment is audited")
	detail := s.do("alice", http.MethodGet, "/api/v1/projects/"+p, nil, nil)
	require.Contains(t, string(detail.Raw), `"action":"payment.record"`, "the payment shows on the project's timeline")

	// R7/R15: 40,000.01 more would pass the approved 100,000.00 yuan.
	r = fundsPay(s, "alice", p, 40_000_01)
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Raw)
	require.Equal(t, "amount_over_approved", r.code())
	require.Contains(t, r.str("error", "message"), "批复金额")
	extra, _ := r.Body["error"].(map[string]any)["extra"].(map[string]any)
	require.Equal(t, map[string]any{"approved_amount_fen": float64(100_000_00), "paid_fen": float64(60_000_00)}, extra)
	require.Equal(t, int64(60_000_00), fundsPaid(s, p), "nothing stored")

	// Exactly up to the approved amount is allowed.
	r = fundsPay(s, "alice", p, 40_000_00)
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Raw)
	require.Equal(t, int64(100_000_00), fundsPaid(s, p))

	// Payments need a contract: a project still in review is refused.
	draft := s.createProject("alice", "资金测试：尚未签约的项目", 2024, 10_000_000_00)
	r = fundsPay(s, "alice", draft, 1_00)
	require.Equal(t, http.StatusConflict, r.Status, "%s", r.Raw)
	require.Equal(t, "wrong_stage", r.code())
	fundsSetStage(s, draft, "approved", 500_00)
	r = fundsPay(s, "alice", draft, 1_00)
	require.Equal(t, http.StatusConflict, r.Status, "%s", r.Raw)
	require.Equal(t, "wrong_stage", r.code())
	require.Equal(t, "项目尚未签订合同（当前阶段：已批复），不能登记付款", r.str("error", "message"), "the stage by its Chinese name")
	for _, stage := range []string{"trial_run", "acceptance", "rectification", "om"} {
		fundsSetStage(s, draft, stage, 500_00)
		r = fundsPay(s, "alice", draft, 1_00)
		require.Equal(t, http.StatusCreated, r.Status, "%s: %s", stage, r.Raw)
	}

	// Another unit's project is not there for bob; DRB does not record payments.
	// The same answer as for an id that does not exist, so ids cannot be probed.
	r = fundsPay(s, "bob", p, 1_00)
	require.Equal(t, http.StatusNotFound, r.Status, "%s", r.Raw)
	missing := fundsPay(s, "bob", "p-nope", 1_00)
	require.Equal(t, http.StatusNotFound, missing.Status, "%s", missing.Raw)
	require.Equal(t, missing.str("error", "message"), r.str("error", "message"))
	r = s.raw(s.token("bob"), http.MethodPost, "/api/v1/projects/"+p+"/payments", `{"bogus":1}`)
	require.Equal(t, http.StatusNotFound, r.Status, "authorization comes before reading the body: %s", r.Raw)
	r = fundsPay(s, "drb1", p, 1_00)
	require.Equal(t, http.StatusForbidden, r.Status, "%s", r.Raw)
	require.Equal(t, int64(100_000_00), fundsPaid(s, p))
}

// TestPaymentBadInputHTTP: malformed payments are 400 with the field named, and nothing is
// stored.
func TestPaymentBadInputHTTP(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	p := fundsProject(s, "alice", 2024, "construction", 100_000_00)
	now := time.Now().In(calendar.Shanghai)
	today, tomorrow := now.Format("2006-01-02"), now.AddDate(0, 0, 1).Format("2006-01-02")

	cases := []struct {
		name  string
		body  string
		field string
	}{
		{"slashes in the date", `{"milestone":"首付款","amount_fen":100,"paid_on":"2024/06/18"}`, "paid_on"},
		{"no such day", `{"milestone":"首付款","amount_fen":100,"paid_on":"2024-02-30"}`, "paid_on"},
		{"a timestamp", `{"milestone":"首付款","amount_fen":100,"paid_on":"2024-06-18T00:00:00Z"}`, "paid_on"},
		{"in the future", `{"milestone":"首付款","amount_fen":100,"paid_on":"` + tomorrow + `"}`, "paid_on"},
		{"before 2000", `{"milestone":"首付款","amount_fen":100,"paid_on":"1999-12-31"}`, "paid_on"},
		{"no date", `{"milestone":"首付款","amount_fen":100}`, "paid_on"},
		{"negative amount", `{"milestone":"首付款","amount_fen":-100,"paid_on":"2024-06-18"}`, "amount_fen"},
		{"zero amount", `{"milestone":"首付款","amount_fen":0,"paid_on":"2024-06-18"}`, "amount_fen"},
		{"fractional amount", `{"milestone":"首付款","amount_fen":1.5,"paid_on":"2024-06-18"}`, "amount_fen"},
		{"amount as text", `{"milestone":"首付款","amount_fen":"100","paid_on":"2024-06-18"}`, "amount_fen"},
		{"blank milestone", `{"milestone":"   ","amount_fen":100,"paid_on":"2024-06-18"}`, "milestone"},
		{"long milestone", `{"milestone":"` + strings.Repeat("款", 201) + `","amount_fen":100,"paid_on":"2024-06-18"}`, "milestone"},
		{"unknown field", `{"milestone":"首付款","amount_fen":100,"paid_on":"2024-06-18","status":"confirmed"}`, "status"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := s.on(t).raw(s.token("alice"), http.MethodPost, "/api/v1/projects/"+p+"/payments", tc.body)
			require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Raw)
			require.Equal(t, "invalid_input", r.code())
			fields, _ := r.Body["error"].(map[string]any)["fields"].(map[string]any)
			require.Contains(t, fields, tc.field, "%s", r.Raw)
		})
	}
	r := s.raw(s.token("alice"), http.MethodPost, "/api/v1/projects/"+p+"/payments", `{"milestone":`)
	require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Raw)
	require.Equal(t, int64(0), fundsPaid(s, p), "nothing stored")

	// Today is a valid payment day.
	r = s.raw(s.token("alice"), http.MethodPost, "/api/v1/projects/"+p+"/payments",
		`{"milestone":"首付款","amount_fen":100,"paid_on":"`+today+`"}`)
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Raw)
	require.Equal(t, today, r.str("paid_on"))
}

// TestPaymentConfirmHTTP: Finance or DRB confirm or reject a recorded payment once; a second
// decision is 409; a rejected payment frees its amount; the unit cannot confirm its own.
func TestPaymentConfirmHTTP(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	p := fundsProject(s, "alice", 2024, "construction", 100_000_00)
	first := fundsPay(s, "alice", p, 70_000_00)
	require.Equal(t, http.StatusCreated, first.Status, "%s", first.Raw)
	second := fundsPay(s, "alice", p, 30_000_00)
	require.Equal(t, http.StatusCreated, second.Status, "%s", second.Raw)
	id1, id2 := first.str("id"), second.str("id")

	r := fundsDecide(s, "alice", id1, "confirm", "")
	require.Equal(t, http.StatusForbidden, r.Status, "the unit does not confirm its own payments: %s", r.Raw)
	r = fundsDecide(s, "fin1", "pay-nope", "confirm", "")
	require.Equal(t, http.StatusNotFound, r.Status, "%s", r.Raw)
	r = fundsDecide(s, "fin1", id1, "approve", "")
	require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Raw)
	r = s.raw(s.token("fin1"), http.MethodPost, "/api/v1/payments/"+id1+"/confirm", `{"decision":"confirm","amount_fen":1}`)
	require.Equal(t, http.StatusBadRequest, r.Status, "unknown field: %s", r.Raw)
	r = fundsDecide(s, "fin1", id2, "reject", "")
	require.Equal(t, http.StatusBadRequest, r.Status, "a rejection needs a reason: %s", r.Raw)

	r = fundsDecide(s, "fin1", id1, "confirm", "已核对发票")
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, "confirmed", r.str("status"))
	require.Equal(t, "u-fin1", r.str("confirmed_by"))
	require.NotEmpty(t, r.str("confirmed_at"))
	require.Equal(t, 1, fundsAudited(s, "payment.confirm", id1))

	// A second decision, by anyone, is refused and changes nothing.
	r = fundsDecide(s, "drb1", id1, "confirm", "")
	require.Equal(t, http.StatusConflict, r.Status, "%s", r.Raw)
	require.Equal(t, "already_decided", r.code())
	r = fundsDecide(s, "drbsup", id1, "reject", "改判")
	require.Equal(t, http.StatusConflict, r.Status, "%s", r.Raw)
	require.Equal(t, 1, fundsAudited(s, "payment.confirm", id1))
	require.Equal(t, 0, fundsAudited(s, "payment.reject", id1))

	// The fund is full; rejecting the second payment frees its 30,000 yuan.
	r = fundsPay(s, "alice", p, 1_00)
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Raw)
	r = fundsDecide(s, "drb1", id2, "reject", "发票与合同里程碑不符")
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, "rejected", r.str("status"))
	require.Equal(t, "发票与合同里程碑不符", r.str("comment"))
	require.Equal(t, 1, fundsAudited(s, "payment.reject", id2))
	r = fundsPay(s, "alice", p, 30_000_00)
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Raw)
	require.Equal(t, int64(100_000_00), fundsPaid(s, p))

	// Issue 19 item 1: each recorded payment told the confirmers (fin1 of three), and the
	// rejection told alice, who recorded it, why; the bell opens the project.
	kinds := func(user, kind string) []map[string]any {
		var out []map[string]any
		for _, n := range s.notices(user) {
			if n["kind"] == kind && n["project_id"] == p {
				out = append(out, n)
			}
		}
		return out
	}
	require.Len(t, kinds("fin1", "payment_recorded"), 3)
	require.Len(t, kinds("drb1", "payment_recorded"), 3)
	require.Empty(t, kinds("alice", "payment_recorded"), "the recorder is no confirmer")
	rejected := kinds("alice", "payment_rejected")
	require.Len(t, rejected, 1)
	require.Contains(t, rejected[0]["body"], "30,000.00 元。退回理由：发票与合同里程碑不符")
}

type fundsPage struct {
	Items      []fundsRowJSON `json:"items"`
	NextCursor string         `json:"next_cursor"`
}

func fundsGet(s *stack, user, query string) (resp, fundsPage) {
	s.t.Helper()
	r := s.do(user, http.MethodGet, "/api/v1/funds"+query, nil, nil)
	var page fundsPage
	if r.Status == http.StatusOK {
		require.NoError(s.t, json.Unmarshal(r.Raw, &page))
		require.NotNil(s.t, page.Items, "items is a list, never null")
	}
	return r, page
}

// TestFundsReportHTTP: R15 spent vs approved by unit and plan year, for Finance, DRB and Audit.
func TestFundsReportHTTP(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	a1 := fundsProject(s, "alice", 2024, "construction", 100_000_00)
	a2 := fundsProject(s, "alice", 2024, "om", 50_000_00)
	a3 := fundsProject(s, "alice", 2025, "construction", 80_000_00)
	b1 := fundsProject(s, "bob", 2024, "trial_run", 200_000_00)
	s.createProject("alice", "资金测试：未批复的草稿", 2024, 10_000_000_00) // no approved amount: not reported

	ids := map[string]string{}
	for name, pay := range map[string]struct {
		user, project string
		fen           int64
	}{"a1-1": {"alice", a1, 40_000_00}, "a1-2": {"alice", a1, 10_000_00}, "a2-1": {"alice", a2, 20_000_00},
		"a3-1": {"alice", a3, 5_000_00}, "b1-1": {"bob", b1, 200_000_00}} {
		r := fundsPay(s, pay.user, pay.project, pay.fen)
		require.Equal(t, http.StatusCreated, r.Status, "%s", r.Raw)
		ids[name] = r.str("id")
	}
	require.Equal(t, http.StatusOK, fundsDecide(s, "fin1", ids["a1-1"], "confirm", "").Status)
	require.Equal(t, http.StatusOK, fundsDecide(s, "fin1", ids["b1-1"], "confirm", "").Status)
	require.Equal(t, http.StatusOK, fundsDecide(s, "drb1", ids["a2-1"], "reject", "重复登记").Status)

	all := []fundsRowJSON{
		{UnitID: "unit-a", PlanYear: 2025, ApprovedFen: 80_000_00, RecordedFen: 5_000_00, ConfirmedFen: 0, Projects: 1},
		{UnitID: "unit-a", PlanYear: 2024, ApprovedFen: 150_000_00, RecordedFen: 50_000_00, ConfirmedFen: 40_000_00, Projects: 2},
		{UnitID: "unit-b", PlanYear: 2024, ApprovedFen: 200_000_00, RecordedFen: 200_000_00, ConfirmedFen: 200_000_00, Projects: 1},
	}
	for _, user := range []string{"fin1", "drb1", "drbsup", "audit1"} {
		r, page := fundsGet(s, user, "")
		require.Equal(t, http.StatusOK, r.Status, "%s: %s", user, r.Raw)
		require.Equal(t, fundsPage{Items: all}, page, user)
	}
	_, page := fundsGet(s, "fin1", "?year=2024")
	require.Equal(t, all[1:], page.Items)
	_, page = fundsGet(s, "fin1", "?year=2024&unit_id=unit-a")
	require.Equal(t, all[1:2], page.Items)
	_, page = fundsGet(s, "fin1", "?unit_id=unit-b")
	require.Equal(t, all[2:], page.Items)
	_, page = fundsGet(s, "fin1", "?year=2031")
	require.Equal(t, fundsPage{Items: []fundsRowJSON{}}, page)

	// Keyset pages of one row walk the same rows in the same order.
	var walked []fundsRowJSON
	query := "?limit=1"
	for range len(all) + 1 {
		r, page := fundsGet(s, "audit1", query)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
		walked = append(walked, page.Items...)
		if page.NextCursor == "" {
			break
		}
		query = "?limit=1&cursor=" + page.NextCursor
	}
	require.Equal(t, all, walked)

	for _, q := range []string{"?year=abc", "?year=1999", "?year=2201", "?unit_id=Unit%20A", "?unit_id=" + strings.Repeat("a", 64),
		"?limit=0", "?limit=101", "?cursor=%25%25%25"} {
		r, _ := fundsGet(s, "fin1", q)
		require.Equal(t, http.StatusBadRequest, r.Status, "%s: %s", q, r.Raw)
		require.Equal(t, "invalid_input", r.code(), q)
	}
	for _, user := range []string{"alice", "bob", "exp2", "ndrc1", "ops1"} {
		r, _ := fundsGet(s, user, "")
		require.Equal(t, http.StatusForbidden, r.Status, "%s: %s", user, r.Raw)
	}
}

// TestR15PaymentRaceHTTP: R15 through the gateway, ten payments race past the approved amount
// at once; exactly as many as fit are recorded (201), the others are 422, and the total never
// passes the approved amount.
func TestR15PaymentRaceHTTP(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	cases := []struct {
		name     string
		approved int64
		racers   int
		amount   int64
		wantOK   int
	}{
		{name: "two racing for one slot", approved: 100_000_00, racers: 2, amount: 60_000_00, wantOK: 1},
		{name: "ten racing for three slots", approved: 100_000_00, racers: 10, amount: 30_000_00, wantOK: 3},
	}
	token := s.token("alice")
	for _, tc := range cases {
		p := fundsProject(s, "alice", 2024, "construction", tc.approved)
		body := fmt.Sprintf(`{"milestone":"并发付款","amount_fen":%d,"paid_on":"2024-06-18"}`, tc.amount)
		start := make(chan struct{})
		statuses := make([]int, tc.racers)
		errs := make([]error, tc.racers)
		var wg sync.WaitGroup
		for i := range tc.racers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, err := http.NewRequest(http.MethodPost, s.http.URL+"/api/v1/projects/"+p+"/payments", strings.NewReader(body))
				if err != nil {
					errs[i] = err
					return
				}
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+token)
				<-start // release every request at once
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					errs[i] = err
					return
				}
				_ = res.Body.Close()
				statuses[i] = res.StatusCode
			}()
		}
		close(start)
		wg.Wait()
		count := map[int]int{}
		for i := range tc.racers {
			require.NoError(t, errs[i], tc.name)
			count[statuses[i]]++
		}
		require.Equal(t, map[int]int{http.StatusCreated: tc.wantOK, http.StatusUnprocessableEntity: tc.racers - tc.wantOK}, count, tc.name)
		paid := fundsPaid(s, p)
		require.Equal(t, int64(tc.wantOK)*tc.amount, paid, tc.name)
		require.LessOrEqual(t, paid, tc.approved, tc.name)
	}
}

// TestPaymentRecordIdempotencyKey: a payment resent with its Idempotency-Key after a lost reply
// is recorded once (R15: a double payment row would count twice against the approved amount)
// and answered with the payment as recorded, decided since or not; the key with another
// amount is 409 idempotency_key_reused and stores nothing.
func TestPaymentRecordIdempotencyKey(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	p := fundsProject(s, "alice", 2024, "construction", 100_000_00)
	pay := func(amount int64) resp {
		return s.do("alice", http.MethodPost, "/api/v1/projects/"+p+"/payments",
			map[string]any{"milestone": "合同进度款", "amount_fen": amount, "paid_on": "2024-06-18"},
			map[string]string{"Idempotency-Key": "pay-2024-06-18-1"})
	}
	first := pay(40_000_00)
	require.Equal(t, http.StatusCreated, first.Status, "%s", first.Raw)
	id := first.str("id")
	again := pay(40_000_00)
	require.Equal(t, http.StatusCreated, again.Status, "%s", again.Raw)
	require.Equal(t, first.Body, again.Body)
	require.EqualValues(t, 40_000_00, fundsPaid(s, p), "recorded once")
	require.Equal(t, 1, fundsAudited(s, "payment.record", id))

	require.Equal(t, http.StatusOK, fundsDecide(s, "fin1", id, "confirm", "").Status)
	after := pay(40_000_00)
	require.Equal(t, http.StatusCreated, after.Status, "%s", after.Raw)
	require.Equal(t, "confirmed", after.Body["status"], "the payment as it is now")

	other := pay(50_000_00)
	require.Equal(t, http.StatusConflict, other.Status, "%s", other.Raw)
	require.Equal(t, "idempotency_key_reused", other.code())
	require.EqualValues(t, 40_000_00, fundsPaid(s, p))
}

// TestPaymentCappedByContractHTTP: R7/R9/R15, once the contract is registered it caps the
// payments: with a contract of 1,000 fen on a project approved at 5,000,000 yuan, a payment of
// 500,000,000 fen is 422 amount_over_contract and nothing is stored; up to the contract amount
// is recorded.
func TestPaymentCappedByContractHTTP(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	p := fundsProject(s, "alice", 2024, "construction", 5_000_000_00)
	_, err := s.store.DB().Exec(`INSERT INTO contracts (project_id, vendor, amount_fen, signed_on, procurement_ref, data_lists, registered_by)
		VALUES ($1, '某信息技术有限公司', 1000, '2024-02-01', 'LA-2024-001', '{}', 'u-alice')`, p)
	require.NoError(t, err)

	r := fundsPay(s, "alice", p, 500_000_000)
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Raw)
	require.Equal(t, "amount_over_contract", r.code())
	require.Contains(t, r.str("error", "message"), "合同金额")
	extra, _ := r.Body["error"].(map[string]any)["extra"].(map[string]any)
	require.Equal(t, map[string]any{"approved_amount_fen": float64(5_000_000_00), "contract_amount_fen": float64(1000),
		"paid_fen": float64(0)}, extra)
	require.Zero(t, fundsPaid(s, p), "nothing stored")

	r = fundsPay(s, "alice", p, 600)
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Raw)
	r = fundsPay(s, "alice", p, 401)
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Raw)
	require.Equal(t, "amount_over_contract", r.code())
	r = fundsPay(s, "alice", p, 400)
	require.Equal(t, http.StatusCreated, r.Status, "exactly the contract amount: %s", r.Raw)
	require.Equal(t, int64(1000), fundsPaid(s, p))
}
