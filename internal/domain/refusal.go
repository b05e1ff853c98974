package domain

import (
	"errors"

	"go.temporal.io/sdk/temporal"

	"egovpm/internal/apperr"
)

// RefusalType is the ApplicationError type of a refusal raised by a workflow (an Update
// validator or handler) so that the gateway can answer it by its kind.
const RefusalType = "Refusal"

// Refusal is a decision or request a workflow or the authz policy refused: the one error
// type of the gateway (apperr.Error), with a kind, a stable English code and the Chinese
// explanation.
type Refusal = apperr.Error

// Kind is the kind of a refusal (apperr.Kind).
type Kind = apperr.Kind

// The kinds workflows refuse with, under the names the workflows use.
const (
	StatusForbidden     = apperr.KindForbidden
	StatusConflict      = apperr.KindConflict
	StatusUnprocessable = apperr.KindRule
	StatusBadRequest    = apperr.KindInvalid
	// StatusUnavailable: the workflow could not read what it needs; nothing was done.
	StatusUnavailable = apperr.KindUnavailable
)

// refusalPayload is the JSON a refusal travels in as the ApplicationError's details, which
// Temporal records in the histories of refused Updates. Status is the number the payload
// carries for each kind (payloadStatuses); a payload without a kind is read by it.
type refusalPayload struct {
	Status      int            `json:"status"`
	Kind        apperr.Kind    `json:"kind,omitempty"`
	Code        string         `json:"code"`
	Message     string         `json:"message"`
	Extra       map[string]any `json:"extra,omitempty"`
	RequestHash string         `json:"request_hash,omitempty"`
}

// payloadStatuses is the "status" number of each kind in a refusal payload.
var payloadStatuses = []struct {
	kind   apperr.Kind
	status int
}{
	{apperr.KindInvalid, 400}, {apperr.KindForbidden, 403}, {apperr.KindNotFound, 404}, {apperr.KindConflict, 409},
	{apperr.KindRule, 422}, {apperr.KindUnavailable, 503},
}

func payloadStatus(k apperr.Kind) int {
	for _, p := range payloadStatuses {
		if p.kind == k {
			return p.status
		}
	}
	return 0
}

func payloadOf(r *Refusal) refusalPayload {
	return refusalPayload{Status: payloadStatus(r.Kind), Kind: r.Kind, Code: r.Code, Message: r.Message, Extra: r.Extra,
		RequestHash: r.RequestHash}
}

func (p refusalPayload) refusal() *Refusal {
	k := p.Kind
	for _, ps := range payloadStatuses {
		if k == "" && ps.status == p.Status {
			k = ps.kind
		}
	}
	if k == "" {
		return nil
	}
	return &Refusal{Kind: k, Code: p.Code, Message: p.Message, Extra: p.Extra, RequestHash: p.RequestHash}
}

// Refuse builds a non-retryable ApplicationError that carries a Refusal.
func Refuse(kind apperr.Kind, code, msg string) error {
	return RefuseWith(kind, code, msg, nil)
}

// RefuseWith is Refuse with machine-readable context (e.g. the date a trial run ends).
func RefuseWith(kind apperr.Kind, code, msg string, extra map[string]any) error {
	return refusalError(&Refusal{Kind: kind, Code: code, Message: msg, Extra: extra})
}

func refusalError(r *Refusal) error {
	return temporal.NewApplicationErrorWithOptions(r.Message, RefusalType, temporal.ApplicationErrorOptions{
		NonRetryable: true,
		Details:      []any{payloadOf(r)},
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
	return refusalError(r)
}

// AsRefusal returns the Refusal inside err, if any: an *apperr.Error, or the details of a
// workflow's ApplicationError of type RefusalType.
func AsRefusal(err error) (*Refusal, bool) {
	if r, ok := apperr.As(err); ok {
		return r, true
	}
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.Type() == RefusalType {
		var p refusalPayload
		if appErr.Details(&p) == nil {
			if r := p.refusal(); r != nil {
				return r, true
			}
		}
	}
	return nil, false
}
