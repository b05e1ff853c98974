package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// A person's own mail address is confirmed before any notification goes there (邮件通知,
// docs/NOTIFICATIONS.md "Confirming an address"): the address they give waits
// (users.email_pending, schema 0042) with a six-digit code mailed to it, for EmailCodeTTL and
// at most EmailCodeTries wrong entries; their mail keeps going to the address they had, or
// nowhere, until the code is entered (ConfirmEmail). A mistyped address thus never receives a
// project's notices. An administrator's address (用户管理, egovpm create-user) takes effect at
// once, and drops one awaiting confirmation.

const (
	// EmailCodeTTL is how long a confirmation code stands.
	EmailCodeTTL = 30 * time.Minute
	// EmailCodeTries is how many wrong codes void one.
	EmailCodeTries = 5
	// EmailCodeEvery is the least time between two codes' mails (ResendEmailCode).
	EmailCodeEvery = time.Minute
)

var (
	// ErrNoPendingEmail: the user has no address awaiting confirmation.
	ErrNoPendingEmail = errors.New("no address awaits confirmation")
	// ErrEmailCodeLapsed: the code expired or was entered wrong EmailCodeTries times.
	ErrEmailCodeLapsed = errors.New("confirmation code lapsed")
)

// EmailCodeWrongError is a wrong confirmation code, with how many tries are left.
type EmailCodeWrongError struct{ Left int }

func (e *EmailCodeWrongError) Error() string {
	return fmt.Sprintf("wrong confirmation code (%d tries left)", e.Left)
}

// clearEmailCode is the SET clause that drops a pending address and its code.
const clearEmailCode = `email_pending = NULL, email_code_hash = NULL, email_code_expires = NULL,
	email_code_tries = 0, email_code_sent_at = NULL, email_code_failure = NULL`

// NewEmailCode returns a random six-digit confirmation code.
func NewEmailCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", fmt.Errorf("confirmation code: %w", err)
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}

// emailCodeHash is what is kept of user id's code: the code itself is only in its mail.
func emailCodeHash(id, code string) []byte {
	h := sha256.Sum256([]byte(id + ":" + code))
	return h[:]
}

// issueEmailCode makes email user id's pending address in tx, with code standing for
// EmailCodeTTL from now.
func (s *Store) issueEmailCode(ctx context.Context, tx *Tx, id, email, code string) error {
	if _, err := tx.tx.ExecContext(ctx, `UPDATE users SET email_pending = $2, email_code_hash = $3,
		email_code_expires = now() + $4 * interval '1 second', email_code_tries = 0, email_code_sent_at = now(),
		email_code_failure = NULL WHERE id = $1`, id, email, emailCodeHash(id, code), EmailCodeTTL.Seconds()); err != nil {
		return fmt.Errorf("pending email of %s: %w", id, err)
	}
	return nil
}

// ResendEmailCode gives user id's pending address a new code, standing EmailCodeTTL from now
// and with its tries renewed, and returns the address to mail it to; or, when the last code was
// mailed less than EmailCodeEvery ago, how long until one may be; ErrNoPendingEmail when none
// awaits.
func (s *Store) ResendEmailCode(ctx context.Context, id, code string) (string, time.Duration, error) {
	var email string
	var wait time.Duration
	err := s.WithTx(ctx, func(tx *Tx) error {
		var p struct {
			Email sql.NullString `db:"email_pending"`
			Since sql.NullInt64  `db:"since_ms"`
		}
		err := tx.tx.GetContext(ctx, &p, `SELECT email_pending, (extract(epoch FROM now() - email_code_sent_at) * 1000)::bigint AS since_ms
			FROM users WHERE id = $1 FOR UPDATE`, id)
		if err != nil {
			return fmt.Errorf("pending email of %s: %w", id, notFound(err))
		}
		if !p.Email.Valid {
			return ErrNoPendingEmail
		}
		email = p.Email.String
		if since := time.Duration(p.Since.Int64) * time.Millisecond; p.Since.Valid && since < EmailCodeEvery {
			wait = EmailCodeEvery - since
			return nil
		}
		return s.issueEmailCode(ctx, tx, id, email, code)
	})
	if err != nil {
		return "", 0, err
	}
	return email, wait, nil
}

// SetEmailCodeFailure records why the mail of user id's code to email could not be sent ("":
// it was), unless the pending address has changed since.
func (s *Store) SetEmailCodeFailure(ctx context.Context, id, email, failure string) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE users SET email_code_failure = nullif(left($3, 1000), '')
		WHERE id = $1 AND email_pending = $2`, id, email, failure); err != nil {
		return fmt.Errorf("pending email of %s: %w", id, err)
	}
	return nil
}

// ConfirmEmail takes code for user id's pending address: right and in time, the address becomes
// the one their mail goes to (SetUserEmail) and audit runs with it and left -1 in the same
// transaction, which it returns; wrong, the try is counted, audit runs with the address and the
// tries left (a guessing attempt is on the record), and an *EmailCodeWrongError says how many
// are left; ErrEmailCodeLapsed once expired or tried EmailCodeTries times wrong;
// ErrNoPendingEmail when none awaits.
func (s *Store) ConfirmEmail(ctx context.Context, id, code string, audit func(tx *Tx, email string, left int) error) (string, error) {
	var email string
	var wrong error
	err := s.WithTx(ctx, func(tx *Tx) error {
		var p struct {
			Email   sql.NullString `db:"email_pending"`
			Hash    []byte         `db:"email_code_hash"`
			Tries   int            `db:"email_code_tries"`
			Expired bool           `db:"expired"`
		}
		err := tx.tx.GetContext(ctx, &p, `SELECT email_pending, email_code_hash, email_code_tries,
			coalesce(email_code_expires <= now(), true) AS expired FROM users WHERE id = $1 FOR UPDATE`, id)
		if err != nil {
			return fmt.Errorf("pending email of %s: %w", id, notFound(err))
		}
		switch {
		case !p.Email.Valid:
			return ErrNoPendingEmail
		case p.Expired || p.Tries >= EmailCodeTries:
			return ErrEmailCodeLapsed
		case subtle.ConstantTimeCompare(p.Hash, emailCodeHash(id, code)) != 1:
			// The try is counted in this transaction, which commits: wrong is returned after it.
			left := EmailCodeTries - p.Tries - 1
			wrong = &EmailCodeWrongError{Left: left}
			if _, err := tx.tx.ExecContext(ctx, `UPDATE users SET email_code_tries = email_code_tries + 1 WHERE id = $1`, id); err != nil {
				return err
			}
			return audit(tx, p.Email.String, left)
		}
		email = p.Email.String
		if err := s.SetUserEmail(ctx, tx, id, email); err != nil {
			return err
		}
		return audit(tx, email, -1)
	})
	if err != nil {
		return "", err
	}
	if wrong != nil {
		return "", wrong
	}
	return email, nil
}
