package authz

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"egovpm/internal/apperr"
	"egovpm/internal/domain"
)

func TestActOnTask(t *testing.T) {
	drb1 := domain.Actor{ID: "u-drb1", OrgID: "drb", Roles: []string{domain.RoleDRBReviewer}}
	prelim := TaskFacts{Kind: domain.TaskPrelimReview, CandidateRole: domain.RoleDRBReviewer, CandidateOrgID: "drb",
		ProjectUnitID: "unit-a", Open: true, SubmittedBy: []string{"u-alice"}}
	expertTask := TaskFacts{Kind: domain.TaskExpertReview, CandidateRole: domain.RoleExpert, AssigneeID: "u-e1",
		ProjectUnitID: "unit-a", Open: true}
	with := func(f TaskFacts, change func(*TaskFacts)) TaskFacts { change(&f); return f }
	for _, c := range []struct {
		name  string
		actor domain.Actor
		task  TaskFacts
		code  string // "" may act
	}{
		{"candidate", drb1, prelim, ""},
		{"closed", drb1, with(prelim, func(f *TaskFacts) { f.Open = false }), CodeStaleTask},
		{"claimed by another", drb1, with(prelim, func(f *TaskFacts) { f.AssigneeID = "u-drb2" }), CodeNotAssignee},
		{"claimed by the actor", drb1, with(prelim, func(f *TaskFacts) { f.AssigneeID = "u-drb1" }), ""},
		{"wrong role", domain.Actor{ID: "u-n", OrgID: "drb", Roles: []string{domain.RoleNDRCApprover}}, prelim, CodeWrongRole},
		{"wrong org", domain.Actor{ID: "u-x", OrgID: "ndrc", Roles: []string{domain.RoleDRBReviewer}}, prelim, CodeWrongOrg},
		{"own submission", domain.Actor{ID: "u-alice", OrgID: "drb", Roles: []string{domain.RoleDRBReviewer, domain.RoleSubmitter}},
			prelim, CodeSeparationOfDuties},
		{"expert", domain.Actor{ID: "u-e1", OrgID: "univ", Roles: []string{domain.RoleExpert}}, expertTask, ""},
		{"expert of the unit (R4)", domain.Actor{ID: "u-e1", OrgID: "unit-a", Roles: []string{domain.RoleExpert}}, expertTask, CodeRecused},
		{"another expert", domain.Actor{ID: "u-e2", OrgID: "univ", Roles: []string{domain.RoleExpert}}, expertTask, CodeNotAssignee},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := ActOnTask(c.actor, c.task)
			// The gateway's check of a decision is ActOnTask's, once the task is visible: the
			// gateway and the workflows (which call ActOnTask) refuse alike.
			gw := CanTask(c.actor, TaskDecide, Task{Kind: string(c.task.Kind), CandidateRole: c.task.CandidateRole,
				CandidateOrgID: c.task.CandidateOrgID, AssigneeID: c.task.AssigneeID, ProjectUnitID: c.task.ProjectUnitID,
				Open: c.task.Open, SubmittedBy: c.task.SubmittedBy})
			if !IsRefusal(gw, "not_found") {
				require.Equal(t, err, gw)
			}
			if c.code == "" {
				require.NoError(t, err)
				return
			}
			require.True(t, IsRefusal(err, c.code), "%v", err)
		})
	}
}

func TestConflictingRoles(t *testing.T) {
	require.NoError(t, CheckRoles([]string{domain.RoleDRBReviewer, domain.RoleDRBSupervisor}))
	require.NoError(t, CheckRoles([]string{domain.RoleSubmitter, domain.RoleExpert}), "R4 recusal covers it")
	require.NoError(t, CheckRoles([]string{domain.RoleSubmitter, domain.RoleAdmin}))
	for _, pair := range [][]string{
		{domain.RoleSubmitter, domain.RoleDRBReviewer}, {domain.RoleSubmitter, domain.RoleNDRCApprover},
		{domain.RoleSubmitter, domain.RoleCityGovApprover}, {domain.RoleSubmitter, domain.RolePRTAWitness},
		{domain.RoleSubmitter, domain.RoleFinance}, {domain.RoleDRBSupervisor, domain.RoleNDRCApprover},
		{domain.RoleDRBReviewer, domain.RolePRTAWitness}, {domain.RoleAudit, domain.RoleOps}, {domain.RoleAdmin, domain.RoleAudit},
	} {
		err := CheckRoles(pair)
		require.True(t, IsRefusal(err, CodeConflictingRoles), "%v: %v", pair, err)
		r, _ := domain.AsRefusal(err)
		require.Equal(t, apperr.KindRule, r.Kind)
		require.Len(t, r.Extra["conflicts"], 1)
	}
	require.Len(t, Conflicts([]string{domain.RoleSubmitter, domain.RoleDRBReviewer, domain.RoleAudit}), 3)

	// The message names the roles in Chinese (as the UI's role labels); extra keeps the codes.
	r, _ := domain.AsRefusal(CheckRoles([]string{domain.RoleSubmitter, domain.RoleDRBReviewer}))
	require.Contains(t, r.Message, "不能同时授予：申报单位经办人与数管局审核人员（")
	require.NotContains(t, r.Message, "submitter")
	require.Equal(t, []string{"submitter+drb_reviewer"}, r.Extra["conflicts"])
}

func TestViewDocuments(t *testing.T) {
	convened := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	expert := ReachOf(domain.Actor{ID: "u-e1", OrgID: "experts", Roles: []string{domain.RoleExpert}})
	v := View{Reach: expert, Matched: []Scope{ScopePanel}, PanelSince: convened}
	require.True(t, v.Visible())
	require.True(t, v.Document("opinion", convened.Add(-time.Second)))
	require.True(t, v.Document("opinion", convened))
	require.False(t, v.Document("opinion", convened.Add(time.Second)), "uploaded after the panel was convened")
	require.False(t, View{Reach: expert}.Visible())

	fin := ReachOf(domain.Actor{ID: "u-f", OrgID: "finance", Roles: []string{domain.RoleFinance}})
	v = View{Reach: fin, Matched: []Scope{ScopeApproved}}
	require.True(t, v.Document("contract", convened))
	require.False(t, v.Document("opinion", convened))
	// A co-organiser's documents stop at the session's convening, not the panel's.
	v = View{Reach: fin, Matched: []Scope{ScopeCoOrganiser}, SessionSince: convened}
	require.True(t, v.Document("opinion", convened))
	require.False(t, v.Document("contract", convened.Add(time.Hour)))

	require.ElementsMatch(t, []string{domain.RoleNDRCApprover}, ReachOf(domain.Actor{Roles: []string{domain.RoleNDRCApprover, domain.RoleExpert}}).DecisionRoles,
		"an expert's tasks never reach projects by ScopeDecision")
	require.Empty(t, ReachOf(domain.Actor{Roles: []string{domain.RoleAdmin, domain.RoleOps}}).Scopes())
	require.True(t, ReachOf(domain.Actor{Roles: []string{domain.RoleAudit}}).All())
}
