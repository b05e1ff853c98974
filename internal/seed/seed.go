// Package seed loads the demo organisations and users of ../shared/API.md ("Demo seed") for
// development. It is never run in production mode (the CLI and `make dev` refuse), and the
// auth service refuses demo users in production mode anyway.
package seed

import (
	"context"
	"errors"
	"fmt"

	"egovpm/internal/audit"
	"egovpm/internal/auth"
	"egovpm/internal/domain"
	"egovpm/internal/store"
)

// DemoOrgs are the demo organisations.
var DemoOrgs = []store.Org{
	{ID: "unit-a", Name: "市教育局", Kind: "unit"},
	{ID: "unit-b", Name: "市卫健委", Kind: "unit"},
	{ID: "drb", Name: "市数据资源管理局", Kind: "drb"},
	{ID: "ndrc", Name: "市发展和改革委员会", Kind: "ndrc"},
	{ID: "finance", Name: "市财政局", Kind: "finance"},
	{ID: "crypto", Name: "市密码管理局", Kind: "crypto"},
	{ID: "prta", Name: "市公共资源交易监督管理局", Kind: "prta"},
	{ID: "audit", Name: "市审计局", Kind: "audit"},
	{ID: "citygov", Name: "市人民政府", Kind: "citygov"},
	{ID: "experts", Name: "专家库", Kind: "expert"},
	{ID: "ops", Name: "运维中心", Kind: "ops"},
}

// DemoUser is one demo user; its id is auth.UserID(Username).
type DemoUser struct {
	Username string
	Name     string
	OrgID    string
	Roles    []string
}

// DemoUsers are the demo users. exp1 belongs to unit-a so that the recusal rule (R4) shows.
var DemoUsers = []DemoUser{
	{"alice", "王丽（市教育局）", "unit-a", []string{domain.RoleSubmitter}},
	{"bob", "陈博（市卫健委）", "unit-b", []string{domain.RoleSubmitter}},
	{"drb1", "李审（市数管局）", "drb", []string{domain.RoleDRBReviewer}},
	{"drbsup", "赵督（市数管局）", "drb", []string{domain.RoleDRBSupervisor, domain.RoleDRBReviewer}},
	{"exp1", "孙专家（市教育局）", "unit-a", []string{domain.RoleExpert}},
	{"exp2", "周专家", "experts", []string{domain.RoleExpert}},
	{"exp3", "吴专家", "experts", []string{domain.RoleExpert}},
	{"exp4", "郑专家", "experts", []string{domain.RoleExpert}},
	{"exp5", "冯专家", "experts", []string{domain.RoleExpert}},
	{"ndrc1", "钱改（市发改委）", "ndrc", []string{domain.RoleNDRCApprover}},
	{"gov1", "刘政（市政府）", "citygov", []string{domain.RoleCityGovApprover}},
	{"prta1", "杨证（市公管局）", "prta", []string{domain.RolePRTAWitness}},
	{"fin1", "黄财（市财政局）", "finance", []string{domain.RoleFinance}},
	{"crypto1", "何密（市密码管理局）", "crypto", []string{domain.RoleCrypto}},
	{"audit1", "许审计（市审计局）", "audit", []string{domain.RoleAudit}},
	{"ops1", "马运维（运维中心）", "ops", []string{domain.RoleOps}},
	{"admin", "系统管理员", "drb", []string{domain.RoleAdmin}},
}

// DemoSpecialties are the demo experts' specialties (R4's random draw picks by one): every
// expert in software, so a draw of three for unit-a's project leaves exp1 out (recusal) and
// draws among four.
var DemoSpecialties = map[string][]string{
	"exp1": {"software", "data"},
	"exp2": {"software", "security"},
	"exp3": {"software", "infrastructure"},
	"exp4": {"software", "data"},
	"exp5": {"software", "security"},
}

// Demo seeds the demo orgs and users with password, idempotently: existing orgs and users
// are left as they are (passwords and roles are not changed), so a second run writes
// nothing. Demo users are hashed with auth.LightHashParams: their password is public, and
// the seed runs on every `make dev`.
func Demo(ctx context.Context, st *store.Store, password string) error {
	if password == "" {
		return errors.New("seed: empty demo password")
	}
	// Hash outside the transaction, and only for users that do not exist yet.
	hashes := map[string]string{}
	for _, u := range DemoUsers {
		_, err := st.UserByUsername(ctx, u.Username)
		if err == nil {
			continue
		}
		if !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("seed: %w", err)
		}
		h, err := auth.HashPassword(password, auth.LightHashParams)
		if err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		hashes[u.Username] = h
	}
	return st.WithTx(ctx, func(tx *store.Tx) error {
		var orgs, users []string
		for _, o := range DemoOrgs {
			created, err := st.EnsureOrg(ctx, tx, o)
			if err != nil {
				return fmt.Errorf("seed: %w", err)
			}
			if created {
				orgs = append(orgs, o.ID)
			}
		}
		for _, u := range DemoUsers {
			h, ok := hashes[u.Username]
			if !ok {
				continue
			}
			created, err := st.EnsureUser(ctx, tx, store.NewUser{ID: auth.UserID(u.Username), Username: u.Username,
				Name: u.Name, OrgID: u.OrgID, PasswordHash: h, Roles: u.Roles, Demo: true})
			if err != nil {
				return fmt.Errorf("seed: %w", err)
			}
			if created {
				users = append(users, u.Username)
			}
		}
		var specs int64
		for _, u := range DemoUsers {
			if sp := DemoSpecialties[u.Username]; sp != nil {
				n, err := st.AddExpertSpecialties(ctx, tx, auth.UserID(u.Username), sp)
				if err != nil {
					return fmt.Errorf("seed: %w", err)
				}
				specs += n
			}
		}
		if len(orgs) == 0 && len(users) == 0 && specs == 0 {
			return nil
		}
		detail := map[string]any{"orgs": orgs, "users": users}
		if specs > 0 {
			detail["expert_specialties"] = specs
		}
		return st.AppendAudit(ctx, tx, audit.Entry{ActorID: "seed", Action: "seed.demo", ObjectType: "system",
			ObjectID: "demo", Outcome: "ok", Detail: detail})
	})
}
