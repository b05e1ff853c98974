// Package apperr is the one error type that crosses layers and becomes an HTTP reply
// (DESIGN.md "Errors over HTTP"): a status, a stable English code, a Chinese message and
// optional field errors.
package apperr

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is a client-facing error.
type Error struct {
	Status  int               `json:"-"`
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
	// Extra carries machine-readable context (e.g. the date a trial run ends).
	Extra map[string]any `json:"extra,omitempty"`
}

// Error implements error.
func (e *Error) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// New builds an Error.
func New(status int, code, msg string) *Error {
	return &Error{Status: status, Code: code, Message: msg}
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

// Invalid is 400 with field errors.
func Invalid(fields map[string]string) *Error {
	return New(http.StatusBadRequest, "invalid_input", "请求参数不合法").WithFields(fields)
}

// BadRequest is 400 with a specific code.
func BadRequest(code, msg string) *Error { return New(http.StatusBadRequest, code, msg) }

// Unauthorized is 401.
func Unauthorized(code, msg string) *Error { return New(http.StatusUnauthorized, code, msg) }

// Forbidden is 403.
func Forbidden(code, msg string) *Error { return New(http.StatusForbidden, code, msg) }

// NotFound is 404.
func NotFound(what string) *Error {
	return New(http.StatusNotFound, "not_found", what+"不存在或无权访问")
}

// Conflict is 409 (wrong state, stale or duplicate decision).
func Conflict(code, msg string) *Error { return New(http.StatusConflict, code, msg) }

// Rule is 422: a business rule refused the request.
func Rule(code, msg string) *Error { return New(http.StatusUnprocessableEntity, code, msg) }

// TooLarge is 413.
func TooLarge(msg string) *Error { return New(http.StatusRequestEntityTooLarge, "too_large", msg) }

// As returns the *Error inside err, if any.
func As(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}
