package store

import (
	"context"
	"errors"
	"fmt"

	"go.uber.org/zap"

	"egovpm/internal/logging"
	"egovpm/internal/notify"
)

// MailThrough is the send function SendNotifications, SendStaleNotifications and SendDigests
// take, for the worker and the gateway alike: each row goes out through sender (nil: the log)
// as a notify.Message; a permanent refusal of the relay (notify.RefusedError) is logged and
// becomes ErrUndeliverable, recorded on the row while the others still go out.
func MailThrough(ctx context.Context, sender notify.Sender, log *zap.Logger) func(PendingNotification) error {
	if sender == nil {
		sender = notify.LogSender{Log: log}
	}
	return func(n PendingNotification) error {
		err := sender.Send(ctx, notify.Message{ID: n.ID, UserID: n.UserID, Username: n.Username, Email: n.Email, Title: n.Title, Body: n.Body,
			ProjectID: n.ProjectID})
		if refused := (*notify.RefusedError)(nil); errors.As(err, &refused) {
			// Recorded on the row (the in-app notification stays); the others still go out.
			logging.Ctx(ctx, log).Warn("notification refused by the mail relay", zap.String("id", n.ID), zap.String("user", n.Username), zap.Error(err))
			return fmt.Errorf("%w: %w", ErrUndeliverable, err)
		}
		return err
	}
}
