package domain

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"egovpm/internal/apperr"
)

// TestRefusalPayload (issue 16 item 2): a workflow's refusal travels as the JSON recorded
// histories hold ({"status", "code", "message", ...}), and a payload without a kind is read by
// its status, so refusals recorded before the kind keep decoding with the same code.
func TestRefusalPayload(t *testing.T) {
	// As the gateway receives an error: its details encoded, then decoded from the payload.
	roundTrip := func(err error) error {
		fc := temporal.GetDefaultFailureConverter()
		return fc.FailureToError(fc.ErrorToFailure(err))
	}
	err := roundTrip(RefuseWith(StatusUnprocessable, "deadline_passed", "已过截止时间", map[string]any{"deadline": "2027-01-31"}))
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, err, &appErr)
	var wire map[string]any
	require.NoError(t, appErr.Details(&wire))
	require.Equal(t, map[string]any{"status": float64(422), "kind": "rule", "code": "deadline_passed", "message": "已过截止时间",
		"extra": map[string]any{"deadline": "2027-01-31"}}, wire)

	for status, kind := range map[int]apperr.Kind{400: apperr.KindInvalid, 403: apperr.KindForbidden, 409: apperr.KindConflict,
		422: apperr.KindRule, 503: apperr.KindUnavailable} {
		old := temporal.NewApplicationErrorWithOptions("m", RefusalType, temporal.ApplicationErrorOptions{NonRetryable: true,
			Details: []any{map[string]any{"status": status, "code": "stale_task", "message": "m", "request_hash": "h"}}})
		got, ok := AsRefusal(roundTrip(old))
		require.True(t, ok, "status %d", status)
		require.Equal(t, &Refusal{Kind: kind, Code: "stale_task", Message: "m", RequestHash: "h"}, got)
	}
	_, ok := AsRefusal(roundTrip(temporal.NewApplicationErrorWithOptions("m", RefusalType, temporal.ApplicationErrorOptions{
		Details: []any{map[string]any{"status": 418, "code": "x"}}})))
	require.False(t, ok, "a status no kind has is no refusal")
}
