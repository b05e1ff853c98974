package authz

import (
	"fmt"
	"slices"
	"strings"

	"egovpm/internal/apperr"
	"egovpm/internal/domain"
)

// RolePair is two roles one person may not hold together.
type RolePair struct {
	A, B domain.Role
	// Why is the act the pair would let one person do on their own (docs/AUTHZ.md).
	Why string
}

// decidingRoles decide, check, witness or confirm what a unit submits or records.
var decidingRoles = []domain.Role{domain.RoleDRBReviewer, domain.RoleDRBSupervisor, domain.RoleNDRCApprover,
	domain.RoleCityGovApprover, domain.RolePRTAWitness, domain.RoleFinance, domain.RoleCrypto}

// ConflictingRoles is the table of role pairs a role set may not hold (SPEC "Separation of
// duties": nobody decides, checks or confirms what they submitted or recorded themselves; a
// role set that would let one person do both is refused). docs/AUTHZ.md gives the reasons.
var ConflictingRoles = conflictingRoles()

func conflictingRoles() []RolePair {
	var out []RolePair
	for _, r := range decidingRoles {
		out = append(out, RolePair{domain.RoleSubmitter, r, "申报人不得审核、批复、见证或确认本单位申报、登记的事项"})
	}
	// R6 (2021): DRB compiles the plan and bundles the small projects; NDRC decides them.
	out = append(out,
		RolePair{domain.RoleDRBReviewer, domain.RoleNDRCApprover, "市数管局编制计划、打捆报批，不得由同一人批复"},
		RolePair{domain.RoleDRBSupervisor, domain.RoleNDRCApprover, "市数管局编制计划、打捆报批，不得由同一人批复"},
		// R12: the DRB sign-off and the PRTA witness are two independent checks of one acceptance.
		RolePair{domain.RoleDRBReviewer, domain.RolePRTAWitness, "竣工验收须市数管局签署与市公管局见证两方独立完成"},
		RolePair{domain.RoleDRBSupervisor, domain.RolePRTAWitness, "竣工验收须市数管局签署与市公管局见证两方独立完成"},
	)
	// Audit is read-only over everything: an auditor who also acts would audit their own acts.
	for _, r := range domain.Roles {
		if r != domain.RoleAudit {
			out = append(out, RolePair{domain.RoleAudit, r, "审计人员不得兼任被审计的业务、运维或管理角色"})
		}
	}
	return out
}

// Conflicts returns the pairs of ConflictingRoles that roles holds together, in table order.
func Conflicts(roles []string) []RolePair {
	var out []RolePair
	for _, p := range ConflictingRoles {
		if slices.Contains(roles, p.A) && slices.Contains(roles, p.B) {
			out = append(out, p)
		}
	}
	return out
}

// CheckRoles refuses (422 conflicting_roles) a role set that holds a conflicting pair; the
// refusal names the pairs (extra.conflicts, "a+b"). Every path that grants roles asks it:
// POST /api/v1/users, `egovpm create-user` and `egovpm set-roles`, and the store itself.
func CheckRoles(roles []string) error {
	cs := Conflicts(roles)
	if len(cs) == 0 {
		return nil
	}
	names := make([]string, 0, len(cs))
	zh := make([]string, 0, len(cs))
	for _, c := range cs {
		names = append(names, c.A+"+"+c.B)
		zh = append(zh, domain.RoleName(c.A)+"与"+domain.RoleName(c.B))
	}
	return &apperr.Error{Kind: apperr.KindRule, Code: CodeConflictingRoles,
		Message: fmt.Sprintf("角色组合违反职责分离，不能同时授予：%s（%s）", strings.Join(zh, "、"), cs[0].Why),
		Extra:   map[string]any{"conflicts": names}}
}
