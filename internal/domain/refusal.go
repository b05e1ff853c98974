package domain

import (
	"errors"

	"go.temporal.io/sdk/temporal"
)

// RefusalType is the ApplicationError type of a refusal raised by a workflow (an Update
// validator or handler) so that the gateway can map it to its HTTP status.
const RefusalType = "Refusal"

// Refusal is a decision or request a workflow refused: Status is the HTTP status the
// gateway answers (409 stale/duplicate, 422 rule, 403 not the actor's), Code a stable English
// id and Message the Chinese explanation.
type Refusal struct {
	Status  int            `json:"status"`
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Extra   map[string]any `json:"extra,omitempty"`
	// RequestHash is the hash of the request an Update handler refused (Stamp): Temporal
	// answers a resend of the same Update id with this refusal, whatever the resend carried,
	// so the gateway compares it with the resend's.
	RequestHash string `json:"request_hash,omitempty"`
}

// Error implements error.
func (r *Refusal) Error() string { return r.Code + ": " + r.Message }

// Refuse builds a non-retryable ApplicationError that carries a Refusal.
func Refuse(status int, code, msg string) error {
	return temporal.NewApplicationErrorWithOptions(msg, RefusalType, temporal.ApplicationErrorOptions{
		NonRetryable: true,
		Details:      []any{Refusal{Status: status, Code: code, Message: msg}},
	})
}

// RefuseWith is Refuse with machine-readable context (e.g. the date a trial run ends).
func RefuseWith(status int, code, msg string, extra map[string]any) error {
	return temporal.NewApplicationErrorWithOptions(msg, RefusalType, temporal.ApplicationErrorOptions{
		NonRetryable: true,
		Details:      []any{Refusal{Status: status, Code: code, Message: msg, Extra: extra}},
	})
}

// Stamp returns err with hash as the RequestHash of the Refusal it carries (err itself when it
// carries none, or hash is empty).
func Stamp(err error, hash string) error {
	r, ok := AsRefusal(err)
	if !ok || hash == "" {
		return err
	}
	r.RequestHash = hash
	return temporal.NewApplicationErrorWithOptions(r.Message, RefusalType, temporal.ApplicationErrorOptions{
		NonRetryable: true,
		Details:      []any{*r},
	})
}

// AsRefusal returns the Refusal inside err, if any.
func AsRefusal(err error) (*Refusal, bool) {
	var r *Refusal
	if errors.As(err, &r) {
		return r, true
	}
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.Type() == RefusalType {
		var rr Refusal
		if appErr.Details(&rr) == nil && rr.Status != 0 {
			return &rr, true
		}
	}
	return nil, false
}

// Status codes of refusals, named so workflows need not import net/http.
const (
	StatusForbidden     = 403
	StatusConflict      = 409
	StatusUnprocessable = 422
	StatusBadRequest    = 400
	// StatusUnavailable: the workflow could not read what it needs; nothing was done.
	StatusUnavailable = 503
)
