package store

import (
	"context"
	"encoding/json"
	"fmt"

	"egovpm/internal/domain"
)

// Policy loads policy version v (R19). Production refuses test-only policies.
func (s *Store) Policy(ctx context.Context, v string, production bool) (domain.Policy, error) {
	var row struct {
		Body     []byte `db:"body"`
		TestOnly bool   `db:"test_only"`
	}
	const q = `SELECT body, test_only FROM policy_versions WHERE version = $1`
	if err := s.DB.GetContext(ctx, &row, q, v); err != nil {
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
