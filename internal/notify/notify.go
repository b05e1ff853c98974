// Package notify delivers notification rows to people through a pluggable Sender: the log by
// default, SMTP when configured (T1–T4 reminders, decisions).
package notify

import (
	"context"
	"fmt"
	"net/smtp"
	"strings"

	"go.uber.org/zap"
)

// Message is one notification to one person.
type Message struct {
	ID       string
	UserID   string
	Username string
	Email    string
	Title    string
	Body     string
}

// Sender delivers a message.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// LogSender writes messages to the log (the default: nothing leaves the machine).
type LogSender struct{ Log *zap.Logger }

// Send logs m.
func (s LogSender) Send(_ context.Context, m Message) error {
	s.Log.Info("notification", zap.String("id", m.ID), zap.String("user", m.Username), zap.String("title", m.Title))
	return nil
}

// SMTPSender sends mail through a relay (NOTIFY_SMTP_ADDR host:port, NOTIFY_SMTP_FROM).
// Users without an email address are logged and skipped.
type SMTPSender struct {
	Addr string
	From string
	Auth smtp.Auth
	Log  *zap.Logger
}

// Send mails m.
func (s SMTPSender) Send(_ context.Context, m Message) error {
	if m.Email == "" {
		s.Log.Warn("notification not mailed: user has no email", zap.String("id", m.ID), zap.String("user", m.Username))
		return nil
	}
	if strings.ContainsAny(m.Email, "\r\n") || strings.ContainsAny(m.Title, "\r\n") {
		return fmt.Errorf("notification %s: header injection refused", m.ID)
	}
	msg := "From: " + s.From + "\r\nTo: " + m.Email + "\r\nSubject: " + m.Title +
		"\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nMessage-ID: <" + m.ID + "@egovpm>\r\n\r\n" + m.Body + "\r\n"
	if err := smtp.SendMail(s.Addr, s.Auth, s.From, []string{m.Email}, []byte(msg)); err != nil {
		return fmt.Errorf("mail notification %s: %w", m.ID, err)
	}
	return nil
}
