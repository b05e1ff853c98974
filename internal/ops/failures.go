package ops

import (
	"context"
	"errors"
	"fmt"

	"egovpm/internal/apperr"
	"egovpm/internal/audit"
	"egovpm/internal/store"
)

// ActionResolve is the audit action of resolving an activity that gave up (O1, O2).
const ActionResolve = "ops.resolve"

// ResolveFailure marks the recorded failure id of an activity that gave up as resolved by a,
// with what was done about it (comment), so that it leaves the stuck list; audited on its
// workflow (R18). An unknown id is 404, one resolved before 409 already_resolved.
func (s *Service) ResolveFailure(ctx context.Context, a Actor, id, comment string) (store.ActivityFailure, error) {
	var f store.ActivityFailure
	err := s.store.WithTx(ctx, func(tx *store.Tx) error {
		var err error
		f, err = s.store.ResolveActivityFailure(ctx, tx, id, a.ID, comment)
		if err != nil {
			return err
		}
		detail := map[string]any{"failure_id": f.ID, "activity_type": f.ActivityType, "run_id": f.RunID, "comment": comment}
		if a.OSUser != "" {
			detail["os_user"] = a.OSUser
		}
		return s.store.AppendAudit(ctx, tx, audit.Entry{ActorID: a.ID, OrgID: a.OrgID, Action: ActionResolve,
			ObjectType: "workflow", ObjectID: f.WorkflowID, Outcome: "ok", RequestID: a.RequestID, ClientIP: a.ClientIP,
			Detail: detail})
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return f, apperr.NotFound("活动失败记录")
	case errors.Is(err, store.ErrAlreadyResolved):
		return f, apperr.Conflict("already_resolved", "该活动失败已处理")
	case err != nil:
		return f, fmt.Errorf("resolve activity failure %s: %w", id, err)
	}
	return f, nil
}
