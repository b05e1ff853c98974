package store

import (
	"reflect"
	"testing"

	"egovpm/internal/domain"
)

// TestAloneKnowsEveryTransitionField: ApplyTransition writes a transition in one statement only
// when it holds nothing but a stage, task closes and one audit row (alone). A field added to
// domain.Transition that applyInTx writes must make alone false, or the one-statement path
// would drop it: every field outside that shape, set on its own, must.
func TestAloneKnowsEveryTransitionField(t *testing.T) {
	base := domain.Transition{ID: "x", WorkflowID: "w", ProjectID: "p", Stage: domain.StageExpertReview, ApprovedAmountFen: 1,
		Close: []domain.TaskClose{{TaskID: "t"}}, Audit: []domain.AuditItem{{Action: "a"}}}
	if !alone(base) {
		t.Fatal("a stage, a close and one audit row should be alone")
	}
	// MailNotify (notify-in-apply) only says who mails Notify's notices, which already make a
	// transition not alone; it writes nothing itself.
	shape := map[string]bool{"ID": true, "WorkflowID": true, "ProjectID": true, "Stage": true, "ApprovedAmountFen": true,
		"Round": true, "Close": true, "Audit": true, "MailNotify": true}
	typ := reflect.TypeOf(base)
	for i := range typ.NumField() {
		f := typ.Field(i)
		if shape[f.Name] {
			continue
		}
		tr := base
		v := reflect.ValueOf(&tr).Elem().Field(i)
		switch v.Kind() {
		case reflect.Slice:
			v.Set(reflect.MakeSlice(f.Type, 1, 1))
		case reflect.Pointer:
			v.Set(reflect.New(f.Type.Elem()))
		case reflect.String:
			// Through (bundle-approve-once): a stage passed on the way derives its notices,
			// which the one-statement path does not write.
			v.SetString(string(domain.StageApproved))
		default:
			t.Fatalf("field %s (%s): teach this test and alone about it", f.Name, f.Type)
		}
		if alone(tr) {
			t.Errorf("a transition with %s is written in one statement, which does not write it", f.Name)
		}
	}
	two := base
	two.Audit = append(two.Audit, domain.AuditItem{Action: "b"})
	if alone(two) {
		t.Error("two audit rows are not alone")
	}
}
