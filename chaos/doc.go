// Package chaos is the fault test of issues 7 (item 2) and 21 (item 9): nothing acknowledged is
// ever lost or applied twice when the processes of the platform crash, PostgreSQL included.
//
// TestChaos runs once per devserver store (TestChaos/sqlite: Temporal in a SQLite file;
// TestChaos/postgres: Temporal in PostgreSQL). Each run creates a PostgreSQL cluster of its own
// (initdb into a temporary directory, the postgres server on a free loopback port; as root, run
// as the postgres user): it holds the read model and, on the postgres store, Temporal's two
// databases. The shared server on 127.0.0.1:5432 that other test packages use is never
// touched. On that cluster it starts the real stack — the devserver, the production worker
// and gateway binaries under the `test` policy (dev mode only: a five-second trial run, a
// six-second O&M year) — and takes a number of small projects through their whole life over
// HTTP, exactly as clients do: create, submit, preliminary review (R3), an expert session and
// three expert reviews (R4), the annual plan (R5), a bundle and NDRC's approval (R6); then the
// contract at the approved amount with the data three lists (R9), three payments of 40 % of it
// asked for at once, of which the cap admits two (R15), Finance's confirmation of each, construction
// complete (R10), the trial-run report and the 等保 filing uploaded, the acceptance application
// resent until the trial run is over (R11, R12), the DRB check, the DRB sign-off and the PRTA
// witness at once (R12) and the DRB's evaluation (R14), until every project is in O&M. Each
// project runs its own pipeline, so the plan-level steps (convene, compile, bundle) are
// concurrent Updates on the one AnnualPlan workflow of the year.
//
// Meanwhile a goroutine kills the worker or the gateway with SIGKILL every few seconds (in a
// random order, the seed is logged) and starts it again at once with the same environment
// (the gateway on the same address); at evenly spread moments it kills the devserver and
// starts it again on the same store and address, and crashes PostgreSQL — SIGQUIT to the
// postmaster, PostgreSQL's immediate shutdown, which ends every session without a checkpoint —
// and starts it again, which replays the WAL. The gateway signs the audit chain's head every
// second, so checkpoints are written while it is killed. Temporal on PostgreSQL commits
// synchronously here, as a Temporal server does by default (the devserver's own default,
// --pg-synchronous-commit off, may lose the last fraction of a second when PostgreSQL
// crashes). The worker, the gateway and the devserver that are running then must ride out
// every outage on their own; a process that exits without being killed fails the test.
//
// The client behaves as a careful real client must. Every decision, plan-level operation,
// delivery request and payment carries an Idempotency-Key, one per logical operation, which
// the gateway turns into the Temporal Update id (a payment's id derives from it); after a
// transport error, a 5xx or a timeout the client resends the same key until it has a 2xx or a
// definitive 4xx. 404 and 409 while the task is not open yet (or the plan has not heard of the
// project's new stage, or the project has not reached the stage a request needs) are retried
// too, and so is 422 trial_run_not_over. If a resend answers 409 and the read model shows the
// operation went through under this user (the 2xx was lost and the workflow has moved on), it
// is recorded as applied but unacknowledged. A payment's confirmation carries no key: a resend
// answered 409 already_decided with the payment confirmed means the first went through.
// Document uploads carry no key either: a resend after a lost reply may store a second copy,
// which the test counts.
//
// At the end the test asserts, and each of these can fail:
//
//   - every operation that got a 2xx is in its workflow's history (all runs) exactly once:
//     one WorkflowExecutionUpdateAccepted event whose update id is the one the key maps to,
//     and one successful WorkflowExecutionUpdateCompleted; and every task was decided by
//     exactly one accepted "decide" Update, whatever its id;
//   - every task row is unique: task ids are derived from the logical task (workflow, kind,
//     round, expert, bundle or acceptance round), so the primary key alone cannot show a
//     logical duplicate; the test asserts the exact set of tasks each lifecycle must have
//     (one preliminary review, one expert review per panel member, one bundle approval, one
//     acceptance check, sign-off and witness, one evaluation), all closed by the expected
//     person, one expert session, one plan item and one bundle per project, and no other
//     task in the database;
//   - the read model applied every decision once: one task.decide audit row per task, and one
//     audit row per project for each plan operation and delivery request;
//   - every lifecycle completes: every project is in O&M;
//   - payments: the recorded ones are exactly those acknowledged, once each; none refused
//     422 amount_over_contract exists; no project's payments exceed its approved amount or its
//     contract's (two of the three asked for are recorded); each acknowledged confirmation is
//     the payment's status, by Finance; one audit row for each recording and confirmation;
//   - documents: every acknowledged upload is stored under its project and kind, and no kind
//     has more copies than acknowledged uploads plus attempts whose outcome was unknown;
//   - the audit chain is intact as an operator checks it: `egovpm audit-verify` (the built
//     command) against the signed checkpoints the gateways wrote;
//   - no stray draft: a create resent with its Idempotency-Key after a lost reply names the
//     same project (POST /projects derives the id from the person and the key).
//
// The short run is part of `make test`: on each store 3 projects, 2 kills of each of worker
// and gateway, one devserver and one PostgreSQL restart (about 35–45 s a store). `make chaos`
// runs the long one (-chaos.long: 50 projects, 12 kills of each, two devserver and two
// PostgreSQL restarts, on each store; docs/PERFORMANCE.md has its figures). -chaos.store (or
// CHAOS_STORE: sqlite, postgres or both) picks the stores; CHAOS_PROJECTS, CHAOS_KILLS (per
// process), CHAOS_DEVSERVER_RESTARTS, CHAOS_PG_RESTARTS, CHAOS_EVERY (mean gap between faults,
// a Go duration) and CHAOS_SEED override either size; CHAOS_PG_BIN names the directory of
// initdb and postgres (default: the newest /usr/lib/postgresql/*/bin); CHAOS_KEEP=1 keeps the
// logs, the devserver's file and the PostgreSQL cluster. The test never skips: without the
// PostgreSQL programs or a buildable binary it fails and says why. On failure it prints the
// tail of every process log, PostgreSQL's included.
package chaos
