// Package notify delivers notification rows to people through a pluggable Sender: the log by
// default, SMTP when configured (T1–T4 reminders, decisions).
package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base32"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/smtp"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"go.uber.org/zap"

	"egovpm/internal/logging"
)

// Message is one notification to one person.
type Message struct {
	ID       string
	UserID   string
	Username string
	Email    string
	Title    string
	Body     string
	// ProjectID is the project the notification is about ("" none): its link (SMTPSender's
	// LinkBase) opens the project's page.
	ProjectID string
}

// Sender delivers a message.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// LogSender writes messages to the log (the default: nothing leaves the machine).
type LogSender struct{ Log *zap.Logger }

// Send logs m.
func (s LogSender) Send(ctx context.Context, m Message) error {
	logging.Ctx(ctx, s.Log).Info("notification", zap.String("id", m.ID), zap.String("user", m.Username), zap.String("title", m.Title))
	return nil
}

// SMTPSender sends mail through a relay (NOTIFY_SMTP_ADDR host:port, NOTIFY_SMTP_FROM).
// Users without an email address are logged and skipped.
type SMTPSender struct {
	Addr string
	From string
	Auth smtp.Auth
	Log  *zap.Logger
	// LinkBase is the web UI's address (config NOTIFY_LINK_BASE): each mail ends with a link
	// into it (Link). Empty: no link.
	LinkBase string
}

// Link is where a mail of m, from a web UI at base, takes its reader: the project's page, else
// the 首页 ("" when base is).
func Link(base string, m Message) string {
	switch {
	case base == "":
		return ""
	case m.ProjectID != "":
		return base + "/projects/" + url.PathEscape(m.ProjectID)
	default:
		return base + "/"
	}
}

// Send mails m: the subject RFC 2047-encoded and the body quoted-printable, so that Chinese
// titles and text arrive intact through any relay (a raw UTF-8 Subject shows as mojibake in
// many mail clients, and 8-bit bodies need a relay that speaks 8BITMIME). The whole exchange
// ends when ctx does: a relay that stops answering fails the send instead of holding it.
func (s SMTPSender) Send(ctx context.Context, m Message) error {
	if m.Email == "" {
		logging.Ctx(ctx, s.Log).Warn("notification not mailed: user has no email", zap.String("id", m.ID), zap.String("user", m.Username))
		return nil
	}
	if strings.ContainsAny(m.Email, "\r\n") || strings.ContainsAny(m.Title, "\r\n") || strings.ContainsAny(m.ID, "\r\n<>") {
		return fmt.Errorf("notification %s: header injection refused", m.ID)
	}
	msg, err := mailMessage(s.From, withLink(s.LinkBase, m))
	if err != nil {
		return fmt.Errorf("notification %s: %w", m.ID, err)
	}
	if err := s.send(ctx, m.Email, msg); err != nil {
		return fmt.Errorf("mail notification %s: %w", m.ID, err)
	}
	return nil
}

// withLink is m with its body ending in its Link from a web UI at base, when there is one.
func withLink(base string, m Message) Message {
	if link := Link(base, m); link != "" {
		m.Body = strings.TrimRight(m.Body, "\n") + "\n\n在系统中查看：" + link + "\n"
	}
	return m
}

// DirSender writes each message, as SMTPSender would mail it, to a file of its own in Dir
// (NOTIFY_MAIL_DIR): the outbox of a machine with no relay — `make dev`'s, where a developer
// reads the mail (an address's confirmation code among it), and the browser tests'. The file
// is <Message-ID>.eml, so a message sent again replaces its file. Users without an email
// address are skipped, as by SMTPSender.
type DirSender struct {
	Dir      string
	From     string
	LinkBase string
}

// Send writes m to its file in s.Dir (readable by its owner only: notices carry project data).
func (s DirSender) Send(_ context.Context, m Message) error {
	if m.Email == "" {
		return nil
	}
	msg, err := mailMessage(s.From, withLink(s.LinkBase, m))
	if err != nil {
		return fmt.Errorf("notification %s: %w", m.ID, err)
	}
	if err := os.WriteFile(filepath.Join(s.Dir, messageID(m.ID)+".eml"), msg, 0o600); err != nil {
		return fmt.Errorf("notification %s: %w", m.ID, err)
	}
	return nil
}

// New is the sender a process configures: SMTP through addr (from from) when addr is set, else
// the files of dir when it is set, else the log; each mail linking into the web UI at linkBase.
func New(addr, from, dir, linkBase string, log *zap.Logger) Sender {
	switch {
	case addr != "":
		return SMTPSender{Addr: addr, From: from, Log: log, LinkBase: linkBase}
	case dir != "":
		if from == "" {
			from = "egovpm@localhost"
		}
		return DirSender{Dir: dir, From: from, LinkBase: linkBase}
	}
	return LogSender{Log: log}
}

// mailMessage is the RFC 5322 message of m.
func mailMessage(from string, m Message) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("From: " + from + "\r\nTo: " + m.Email + "\r\nSubject: " + mime.BEncoding.Encode("UTF-8", m.Title) +
		"\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable" +
		"\r\nMessage-ID: <" + messageID(m.ID) + "@egovpm>\r\n\r\n")
	w := quotedprintable.NewWriter(&b)
	if _, err := w.Write([]byte(m.Body)); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	b.WriteString("\r\n")
	return b.Bytes(), nil
}

// messageID is the left part of a notification's Message-ID: its id in unpadded base32, as
// ids carry ':' and '#', which RFC 5322's dot-atom does not allow; distinct ids stay distinct.
func messageID(id string) string {
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString([]byte(id))
}

// send is smtp.SendMail bounded by ctx: STARTTLS when the relay offers it, AUTH when
// configured and offered.
func (s SMTPSender) send(ctx context.Context, to string, msg []byte) error {
	host, _, err := net.SplitHostPort(s.Addr)
	if err != nil {
		return err
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() }) // unblocks any read or write
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		_ = conn.Close()
		return ctxErr(ctx, err)
	}
	defer c.Close()
	if err := s.exchange(c, host, to, msg); err != nil {
		return ctxErr(ctx, err)
	}
	return nil
}

func (s SMTPSender) exchange(c *smtp.Client, host, to string, msg []byte) error {
	if err := c.Hello("localhost"); err != nil {
		return err
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(&tls.Config{ServerName: host}); err != nil {
			return err
		}
	}
	if s.Auth != nil {
		if ok, _ := c.Extension("AUTH"); ok {
			if err := c.Auth(s.Auth); err != nil {
				return err
			}
		}
	}
	if err := c.Mail(s.From); err != nil {
		return err
	}
	if err := c.Rcpt(to); err != nil {
		var te *textproto.Error
		if errors.As(err, &te) && te.Code >= 500 && te.Code < 600 {
			return &RefusedError{Err: err}
		}
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// RefusedError is the relay's permanent refusal of a recipient (a 5xx reply to RCPT TO:
// unknown mailbox, rejected address). Sending again will not help; any other error may.
type RefusedError struct{ Err error }

func (e *RefusedError) Error() string { return "recipient refused: " + e.Err.Error() }
func (e *RefusedError) Unwrap() error { return e.Err }

// ctxErr prefers ctx's error to the broken connection it caused (the connection's deadline,
// ctx's, may pass a moment before ctx reports it).
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	if _, ok := ctx.Deadline(); ok && errors.Is(err, os.ErrDeadlineExceeded) {
		return fmt.Errorf("%w (%v)", context.DeadlineExceeded, err)
	}
	return err
}
