package workflows

import (
	"go.temporal.io/sdk/workflow"

	"egovpm/internal/domain"
)

// setUpdate registers Update name: validator refuses a request before it is accepted (it is not
// replayed); once accepted, the handler checks it again with check (the same rule, or the one
// the run's versions pin), hands its payload to enqueue (the main loop) and answers with what
// the loop made of it, stamped with the request's hash (answered).
func setUpdate[U any, R stamped[R]](ctx workflow.Context, name string, validator, check func(workflow.Context, U) error,
	enqueue func(workflow.Context, any) (R, error)) error {
	return workflow.SetUpdateHandlerWithOptions(ctx, name,
		func(ctx workflow.Context, u U) (R, error) {
			if err := check(ctx, u); err != nil {
				var zero R
				return zero, err
			}
			res, err := enqueue(ctx, u)
			return answered(requestHash(u), res, err)
		},
		workflow.UpdateHandlerOptions{Validator: validator})
}

// hashed is an Update payload that carries the gateway's hash of the request (RequestHash).
type hashed interface{ requestHash() string }

// requestHash is u's RequestHash, "" for an Update that carries none.
func requestHash(u any) string {
	if h, ok := u.(hashed); ok {
		return h.requestHash()
	}
	return ""
}

func (u DecideUpdate) requestHash() string    { return u.RequestHash }
func (u ContractUpdate) requestHash() string  { return u.RequestHash }
func (u OMReportUpdate) requestHash() string  { return u.RequestHash }
func (u ConveneUpdate) requestHash() string   { return u.RequestHash }
func (u CompileUpdate) requestHash() string   { return u.RequestHash }
func (u BundleUpdate) requestHash() string    { return u.RequestHash }
func (u WithdrawUpdate) requestHash() string  { return u.RequestHash }
func (u TerminateUpdate) requestHash() string { return u.RequestHash }

// stamped is an Update result that carries the hash of the request it answers.
type stamped[R any] interface{ withHash(hash string) R }

func (r DecideResult) withHash(h string) DecideResult   { r.RequestHash = h; return r }
func (r ConveneResult) withHash(h string) ConveneResult { r.RequestHash = h; return r }
func (r CompileResult) withHash(h string) CompileResult { r.RequestHash = h; return r }
func (r BundleResult) withHash(h string) BundleResult   { r.RequestHash = h; return r }

// answered stamps an Update's outcome with the hash of the request that made it: Temporal
// answers a resend of the same Update id (the same Idempotency-Key) with the first outcome and
// never compares bodies, so the gateway does, with this.
func answered[R stamped[R]](hash string, res R, err error) (R, error) {
	if hash == "" {
		return res, err
	}
	if err != nil {
		return res, domain.Stamp(err, hash)
	}
	return res.withHash(hash), nil
}
