package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"egovpm/bench"
	"egovpm/internal/auth"
	"egovpm/internal/calendar"
	"egovpm/internal/domain"
	"egovpm/workflows"
)

// pdf is the documents' content: the smallest file the gateway takes as a PDF.
var pdf = []byte("%PDF-1.7\n% egovpm chaos test document\n%%EOF\n")

// paymentShare is each of the three payments asked for, in percent of the approved amount:
// the cap (R15) admits two of them.
const paymentShare = 40

// multipartBody is a document upload: the form's kind (empty on the trial-run-report route,
// which sets it) and the file.
type multipartBody struct {
	kind     string
	filename string
	content  []byte
}

// doMultipart posts a document upload to path and decodes the reply into out.
func (d *driver) doMultipart(ctx context.Context, token, path string, up multipartBody, want int, out any) error {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if up.kind != "" {
		if err := mw.WriteField("kind", up.kind); err != nil {
			return err
		}
	}
	fw, err := mw.CreateFormFile("file", up.filename)
	if err != nil {
		return err
	}
	if _, err := fw.Write(up.content); err != nil {
		return err
	}
	if err := mw.Close(); err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.cl.Base+path, &buf)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := d.cl.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode != want {
		return &bench.StatusError{Method: http.MethodPost, Path: path, Status: res.StatusCode, Body: string(raw)}
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

// today is the business date now (Asia/Shanghai), as contracts and payments carry it.
func today() string { return time.Now().In(calendar.Shanghai).Format("2006-01-02") }

// stageAtLeast is an applied check for a delivery Update: a 409 on a resend means it went
// through when the project has reached stage (the order of domain.Stages).
func (d *driver) stageAtLeast(ctx context.Context, user, id string, stage domain.Stage) func(*bench.StatusError) bool {
	return func(*bench.StatusError) bool {
		var p struct {
			Stage domain.Stage `json:"stage"`
		}
		if err := d.cl.Do(ctx, d.tokens[user], http.MethodGet, "/api/v1/projects/"+id, nil, http.StatusOK, &p); err != nil {
			return false
		}
		return slices.Index(domain.Stages, p.Stage) >= slices.Index(domain.Stages, stage)
	}
}

// deliveryOp sends one delivery Update of the unit (contract, construction complete, acceptance
// application) until it is acknowledged, and records it. wait lists the 422 codes that mean
// "not yet" (trial_run_not_over).
func (d *driver) deliveryOp(ctx context.Context, user, id, name, path string, body any, next domain.Stage, wait ...string) error {
	key := d.key(id, name)
	a := ack{What: name, WorkflowID: workflows.ProjectWorkflowID(id), UpdateID: name + ":" + id + ":" + auth.UserID(user) + ":" + key}
	var res workflows.DecideResult
	r := resent{wait: wait}
	err := d.sendR(ctx, name+" "+id, user, http.MethodPost, "/api/v1/projects/"+id+path, key, body, http.StatusOK, &res,
		d.stageAtLeast(ctx, user, id, next), &r)
	a.Resent = r.ambiguous
	switch {
	case errors.Is(err, errApplied):
		a.Unacked = true
	case err != nil:
		return err
	case res.Stage != next:
		return fmt.Errorf("%s %s: stage %q after it, want %s", name, id, res.Stage, next)
	}
	d.record(a)
	return nil
}

// uploadDoc uploads one document until it is acknowledged (201) and records it; attempts
// whose outcome the client could not know are counted (an upload has no Idempotency-Key).
func (d *driver) uploadDoc(ctx context.Context, user, id, kind, path string) error {
	var doc struct {
		ID   string `json:"id"`
		Kind string `json:"kind"`
	}
	up := multipartBody{kind: kind, filename: kind + ".pdf", content: pdf}
	if path != "/documents" {
		up.kind = "" // the route sets the kind
	}
	var r resent
	err := d.sendR(ctx, "upload "+kind+" "+id, user, http.MethodPost, "/api/v1/projects/"+id+path, "", up, http.StatusCreated, &doc, nil, &r)
	d.mu.Lock()
	defer d.mu.Unlock()
	if r.ambiguous {
		d.ambiguous[id+" "+kind]++
	}
	if err != nil {
		return err
	}
	if doc.Kind != kind {
		return fmt.Errorf("upload %s %s: stored as %q", kind, id, doc.Kind)
	}
	d.uploads = append(d.uploads, upload{ProjectID: id, Kind: kind, ID: doc.ID})
	return nil
}

// payAndConfirm asks at once for three payments of paymentShare % of the approved amount (which
// the contract equals) each, with their own Idempotency-Keys: the database's cap admits two
// (R15), the third is 422 amount_over_contract. Finance then confirms each one recorded.
func (d *driver) payAndConfirm(ctx context.Context, user, id string, approvedFen int64) error {
	pays := make([]payment, 3)
	errs := make([]error, len(pays))
	var wg sync.WaitGroup
	for j := range pays {
		pays[j] = payment{ProjectID: id, Key: d.key(id, fmt.Sprintf("pay%d", j+1)), Milestone: fmt.Sprintf("第%d期进度款", j+1),
			AmountFen: approvedFen * paymentShare / 100}
		// One body for every attempt: a key resent with another body is refused (409).
		body := map[string]any{"milestone": pays[j].Milestone, "amount_fen": pays[j].AmountFen, "paid_on": today()}
		wg.Go(func() {
			p := &pays[j]
			var out struct {
				ID        string `json:"id"`
				AmountFen int64  `json:"amount_fen"`
			}
			err := d.send(ctx, "payment "+p.Key, user, http.MethodPost, "/api/v1/projects/"+id+"/payments", p.Key,
				body, http.StatusCreated, &out, nil)
			var se *bench.StatusError
			switch {
			case errors.As(err, &se) && se.Status == http.StatusUnprocessableEntity &&
				(errCode(se) == "amount_over_contract" || errCode(se) == "amount_over_approved"):
				p.Refused = true
			case err != nil:
				errs[j] = err
			case out.AmountFen != p.AmountFen:
				errs[j] = fmt.Errorf("payment %s: recorded %d fen, asked %d", p.Key, out.AmountFen, p.AmountFen)
			default:
				p.ID = out.ID
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for j := range pays {
		p := &pays[j]
		if p.Refused {
			continue
		}
		if err := d.pause(ctx); err != nil {
			return err
		}
		// A decision is final: a resend finding it confirmed (409 already_decided, status
		// confirmed; only fin1 decides here) means the first attempt went through.
		err := d.send(ctx, "confirm "+p.ID, "fin1", http.MethodPost, "/api/v1/payments/"+p.ID+"/confirm", "",
			map[string]any{"decision": "confirm", "comment": "已核对"}, http.StatusOK, nil,
			func(se *bench.StatusError) bool {
				return errCode(se) == "already_decided" && strings.Contains(se.Body, `"extra":{"status":"confirmed"}`)
			})
		if err != nil && !errors.Is(err, errApplied) {
			return err
		}
		p.Confirmed = true
	}
	d.mu.Lock()
	d.payments = append(d.payments, pays...)
	d.mu.Unlock()
	return nil
}

// deliver takes an approved project (stage procurement, or about to be) through delivery under
// the test policy: the contract (R9), payments (R15), construction complete (R10), the
// five-second trial run (R11) with its report and the 等保 filing (R17), the acceptance
// application (R12, resent while the trial run is not over), the DRB check, sign-off and the
// PRTA witness (R12), and the DRB's evaluation (R14). The project ends in O&M.
func (d *driver) deliver(ctx context.Context, user, id string) error {
	wf := workflows.ProjectWorkflowID(id)
	if err := d.pause(ctx); err != nil {
		return err
	}
	// 409 wrong_stage until the approval has reached the lifecycle (approved → procurement).
	if err := d.deliveryOp(ctx, user, id, workflows.UpdateContract, "/contract", contractBody(fenSmall), domain.StageConstruction); err != nil {
		return err
	}
	if err := d.pause(ctx); err != nil {
		return err
	}
	if err := d.payAndConfirm(ctx, user, id, fenSmall); err != nil {
		return err
	}
	if err := d.pause(ctx); err != nil {
		return err
	}
	if err := d.deliveryOp(ctx, user, id, workflows.UpdateConstructionComplete, "/construction-complete", nil, domain.StageTrialRun); err != nil {
		return err
	}
	if err := d.uploadDoc(ctx, user, id, "trial_run_report", "/trial-run-report"); err != nil {
		return err
	}
	if err := d.uploadDoc(ctx, user, id, "mlps_filing", "/documents"); err != nil {
		return err
	}
	if err := d.pause(ctx); err != nil {
		return err
	}
	if err := d.deliveryOp(ctx, user, id, workflows.UpdateApplyAcceptance, "/acceptance-application", nil, domain.StageAcceptance,
		"trial_run_not_over"); err != nil {
		return err
	}
	if err := d.pause(ctx); err != nil {
		return err
	}
	if err := d.decide(ctx, "drb1", wf, acceptanceTask(id, domain.TaskAcceptanceCheck), d.key(id, "check"),
		map[string]any{"decision": "approve", "comment": "材料齐全"}); err != nil {
		return err
	}
	if err := d.pause(ctx); err != nil {
		return err
	}
	// The sign-off and the witness at once: the second to land moves the project to O&M.
	errs := make([]error, 2)
	var wg sync.WaitGroup
	wg.Go(func() {
		errs[0] = d.decide(ctx, "drb1", wf, acceptanceTask(id, domain.TaskAcceptanceSignoff), d.key(id, "signoff"),
			map[string]any{"decision": "pass", "comment": "同意验收"})
	})
	wg.Go(func() {
		errs[1] = d.decide(ctx, "prta1", wf, acceptanceTask(id, domain.TaskAcceptanceWitness), d.key(id, "witness"),
			map[string]any{"decision": "pass", "comment": "见证无异议"})
	})
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if err := d.pause(ctx); err != nil {
		return err
	}
	return d.decide(ctx, "drb1", wf, evaluationTask(id), d.key(id, "evaluation"),
		map[string]any{"decision": "approve", "score": 88, "grade": "good", "comment": "达到预期目标"})
}

// contractBody is a contract (R9) at amountFen signed today, with the data three lists.
func contractBody(amountFen int64) map[string]any {
	item := map[string]any{"resource": "城市运行监测数据", "department": "市数据资源局", "sharing": "conditional",
		"legal_basis": "《安徽省政务数据资源管理办法》", "frequency": "每日", "interface": "la-city-ops-001"}
	return map[string]any{"vendor": "安徽某信息技术有限公司", "amount_fen": amountFen, "signed_on": today(),
		"procurement_ref": "LA-CHAOS-001", "data_lists": map[string]any{
			"demand":         map[string]any{"items": []any{item}},
			"responsibility": map[string]any{"items": []any{item}},
			"negative":       map[string]any{"none_reason": "不涉及禁止共享数据"}}}
}

// acceptanceTask is a task of the first acceptance round (workflows decideAcceptance).
func acceptanceTask(id string, kind domain.TaskKind) string {
	return workflows.ProjectWorkflowID(id) + ":" + string(kind) + ":1:a1"
}

func evaluationTask(id string) string {
	return workflows.ProjectWorkflowID(id) + ":" + string(domain.TaskEvaluation) + ":1"
}
