// Package mailout sends the read model's notification rows through a notify.Sender, for the
// worker and the gateway alike: the one place a row becomes a mail, and a relay's permanent
// refusal becomes store.ErrUndeliverable.
package mailout

import (
	"context"
	"errors"
	"fmt"

	"go.uber.org/zap"

	"egovpm/internal/logging"
	"egovpm/internal/notify"
	"egovpm/internal/store"
)

// Through is the send function store.SendNotifications, SendStaleNotifications and SendDigests
// take: each row goes out through sender (nil: the log) as a notify.Message; a permanent
// refusal of the relay (notify.RefusedError) is logged and becomes store.ErrUndeliverable,
// recorded on the row while the others still go out.
func Through(ctx context.Context, sender notify.Sender, log *zap.Logger) func(store.PendingNotification) error {
	if sender == nil {
		sender = notify.LogSender{Log: log}
	}
	return func(n store.PendingNotification) error {
		err := sender.Send(ctx, notify.Message{ID: n.ID, UserID: n.UserID, Username: n.Username, Email: n.Email, Title: n.Title, Body: n.Body,
			ProjectID: n.ProjectID})
		if refused := (*notify.RefusedError)(nil); errors.As(err, &refused) {
			// Recorded on the row (the in-app notification stays); the others still go out.
			logging.Ctx(ctx, log).Warn("notification refused by the mail relay", zap.String("id", n.ID), zap.String("user", n.Username), zap.Error(err))
			return fmt.Errorf("%w: %w", store.ErrUndeliverable, err)
		}
		return err
	}
}
