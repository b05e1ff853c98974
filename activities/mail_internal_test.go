package activities

import (
	"testing"

	"egovpm/internal/domain"
)

// mailedByApply: Apply mails a transition's notifications when no workflow activity does.
func TestMailedByApply(t *testing.T) {
	notice := []domain.Notice{{Kind: "approved", Title: "项目已批复", UserID: "u-drb1"}}
	open := []domain.NewTask{{ID: "task-1", Kind: domain.TaskPrelimReview, CandidateRole: domain.RoleDRBReviewer}}
	for _, c := range []struct {
		name string
		t    domain.Transition
		want bool
	}{
		{"explicit notices, the workflow's activity mails them", domain.Transition{Notify: notice}, false},
		{"explicit notices, the workflow asks Apply (notify-in-apply)", domain.Transition{Notify: notice, MailNotify: true}, true},
		{"explicit and derived, the activity mails both", domain.Transition{Notify: notice, Open: open}, false},
		{"explicit and derived, Apply mails both", domain.Transition{Notify: notice, Open: open, MailNotify: true}, true},
		{"derived only: a task opened", domain.Transition{Open: open}, true},
		{"derived only: a stage of NoticeRules", domain.Transition{ProjectID: "p1", Stage: domain.StageRevision}, true},
		{"derived only: a stage passed through", domain.Transition{ProjectID: "p1", Stage: domain.StageProcurement,
			Through: domain.StageApproved}, true},
		{"a stage no rule names", domain.Transition{ProjectID: "p1", Stage: domain.StageProcurement}, false},
		{"nothing to mail", domain.Transition{Close: []domain.TaskClose{{TaskID: "task-1"}}}, false},
		{"nothing to mail, even asked", domain.Transition{MailNotify: true}, false},
	} {
		if got := mailedByApply(c.t); got != c.want {
			t.Errorf("%s: mailedByApply = %v, want %v", c.name, got, c.want)
		}
	}
}
