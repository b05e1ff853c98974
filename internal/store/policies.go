package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"egovpm/internal/calendar"
	"egovpm/internal/domain"
)

// Policy loads policy version v (R19). Production refuses test-only policies.
func (s *Store) Policy(ctx context.Context, v string, production bool) (domain.Policy, error) {
	var row struct {
		Body     []byte `db:"body"`
		TestOnly bool   `db:"test_only"`
	}
	const q = `SELECT body, test_only FROM policy_versions WHERE version = $1`
	if err := s.db.GetContext(ctx, &row, q, v); err != nil {
		return domain.Policy{}, fmt.Errorf("policy %q: %w", v, notFound(err))
	}
	if production && row.TestOnly {
		return domain.Policy{}, fmt.Errorf("policy %q is for tests and demos only; production mode refuses it", v)
	}
	var p domain.Policy
	if err := json.Unmarshal(row.Body, &p); err != nil {
		return domain.Policy{}, fmt.Errorf("policy %q: %w", v, err)
	}
	if err := p.Validate(); err != nil {
		return domain.Policy{}, fmt.Errorf("policy %q: %w", v, err)
	}
	return p, nil
}

// PolicyEffectiveFrom returns when policy version v takes effect (R19: its effective_from day,
// at 00:00 Asia/Shanghai).
func (s *Store) PolicyEffectiveFrom(ctx context.Context, v string) (time.Time, error) {
	var day string
	if err := s.db.GetContext(ctx, &day, `SELECT to_char(effective_from, 'YYYY-MM-DD') FROM policy_versions WHERE version = $1`, v); err != nil {
		return time.Time{}, fmt.Errorf("policy %q: %w", v, notFound(err))
	}
	from, err := time.ParseInLocation("2006-01-02", day, calendar.Shanghai)
	if err != nil {
		return time.Time{}, fmt.Errorf("policy %q: effective_from %q: %w", v, day, err)
	}
	return from, nil
}

// CheckPolicyInForce refuses policy version v when it does not take effect until after now
// (R19): a process is never configured with a version not yet in force. A project keeps the
// version it was submitted under whatever the date (it is pinned, never switched by date).
func (s *Store) CheckPolicyInForce(ctx context.Context, v string, now time.Time) error {
	from, err := s.PolicyEffectiveFrom(ctx, v)
	if err != nil {
		return err
	}
	if now.Before(from) {
		return fmt.Errorf("policy %q takes effect on %s (policy_versions.effective_from): EGOVPM_POLICY must name a version in force",
			v, from.Format("2006-01-02"))
	}
	return nil
}
