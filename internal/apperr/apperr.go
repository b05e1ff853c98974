// Package apperr is the one error type that crosses layers and becomes an HTTP reply
// (DESIGN.md "Errors over HTTP"): a kind, a stable English code, a Chinese message and
// optional field errors. The gateway alone turns a kind into an HTTP status
// (server/errors.go); workflows refuse with the same type (domain.Refuse). docs/ERRORS.md
// lists every code by kind.
package apperr

import (
	"errors"
)

// Kind says what sort of refusal or failure an Error is.
type Kind string

// The kinds. Kinds lists them in the order of docs/ERRORS.md.
const (
	// KindInvalid: the request is malformed or a field is invalid.
	KindInvalid Kind = "invalid"
	// KindUnauthenticated: no valid credentials.
	KindUnauthenticated Kind = "unauthenticated"
	// KindForbidden: the actor may not do this.
	KindForbidden Kind = "forbidden"
	// KindNotFound: no such thing, or the actor may not see it.
	KindNotFound Kind = "not_found"
	// KindMethodNotAllowed: the path exists, not with this method.
	KindMethodNotAllowed Kind = "method_not_allowed"
	// KindConflict: the thing is in the wrong state, or a stale or duplicate decision.
	KindConflict Kind = "conflict"
	// KindTooLarge: the body is over its limit.
	KindTooLarge Kind = "too_large"
	// KindUnsupported: the body's media type or content is not accepted.
	KindUnsupported Kind = "unsupported"
	// KindRule: a business rule refused the request.
	KindRule Kind = "rule"
	// KindRateLimited: too many attempts; try later.
	KindRateLimited Kind = "rate_limited"
	// KindClientClosed: the client went away before the answer.
	KindClientClosed Kind = "client_closed"
	// KindInternal: a server fault.
	KindInternal Kind = "internal"
	// KindNotImplemented: a dependency does not support the operation.
	KindNotImplemented Kind = "not_implemented"
	// KindUnavailable: a dependency is unavailable; nothing was done, or a resend with the
	// same Idempotency-Key finishes it once.
	KindUnavailable Kind = "unavailable"
)

// Kinds is every kind, in the order of docs/ERRORS.md.
var Kinds = []Kind{KindInvalid, KindUnauthenticated, KindForbidden, KindNotFound, KindMethodNotAllowed,
	KindConflict, KindTooLarge, KindUnsupported, KindRule, KindRateLimited, KindClientClosed, KindInternal,
	KindNotImplemented, KindUnavailable}

// Error is a client-facing error.
type Error struct {
	Kind    Kind
	Code    string
	Message string
	Fields  map[string]string
	// Extra carries machine-readable context (e.g. the date a trial run ends).
	Extra map[string]any
	// RequestHash is the hash of the request a workflow's Update handler refused
	// (domain.Stamp): Temporal answers a resend of the same Update id with this refusal,
	// whatever the resend carried, so the gateway compares it with the resend's.
	RequestHash string
}

// Error implements error.
func (e *Error) Error() string { return string(e.Kind) + " " + e.Code + ": " + e.Message }

// New builds an Error.
func New(kind Kind, code, msg string) *Error {
	return &Error{Kind: kind, Code: code, Message: msg}
}

// WithFields returns e with field errors attached.
func (e *Error) WithFields(f map[string]string) *Error { e.Fields = f; return e }

// WithExtra returns e with a context value attached.
func (e *Error) WithExtra(k string, v any) *Error {
	if e.Extra == nil {
		e.Extra = map[string]any{}
	}
	e.Extra[k] = v
	return e
}

// Invalid is KindInvalid with field errors.
func Invalid(fields map[string]string) *Error {
	return New(KindInvalid, "invalid_input", "请求参数不合法").WithFields(fields)
}

// BadRequest is KindInvalid with a specific code.
func BadRequest(code, msg string) *Error { return New(KindInvalid, code, msg) }

// Unauthorized is KindUnauthenticated.
func Unauthorized(code, msg string) *Error { return New(KindUnauthenticated, code, msg) }

// Forbidden is KindForbidden.
func Forbidden(code, msg string) *Error { return New(KindForbidden, code, msg) }

// NotFound is KindNotFound, code not_found.
func NotFound(what string) *Error {
	return New(KindNotFound, "not_found", what+"不存在或无权访问")
}

// Conflict is KindConflict (wrong state, stale or duplicate decision).
func Conflict(code, msg string) *Error { return New(KindConflict, code, msg) }

// Rule is KindRule: a business rule refused the request.
func Rule(code, msg string) *Error { return New(KindRule, code, msg) }

// TooLarge is KindTooLarge, code too_large.
func TooLarge(msg string) *Error { return New(KindTooLarge, "too_large", msg) }

// As returns the *Error inside err, if any.
func As(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}
