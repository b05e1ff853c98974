// Package chaos is the fault test of issue 7 (item 2): nothing acknowledged is ever lost or
// applied twice when the processes of the platform crash.
//
// TestChaos starts the real stack — the devserver (SQLite file by default), the production
// worker and gateway binaries, a fresh PostgreSQL database — and takes a number of small
// projects through the whole approval flow over HTTP, exactly as clients do: create, submit,
// preliminary review (R3), an expert session and three expert reviews (R4), the annual plan
// (R5), a bundle and NDRC's approval (R6), until every project is at stage approved. Each
// project runs its own pipeline, so the plan-level steps (convene, compile, bundle) are
// concurrent Updates on the one AnnualPlan workflow of the year.
//
// Meanwhile a goroutine kills the worker or the gateway with SIGKILL every few seconds (in a
// random order, the seed is logged) and starts it again at once with the same environment
// (the gateway on the same address), and once, mid-run, kills the devserver and starts it
// again on the same SQLite file and address. The worker and gateway that are running then
// must ride out the outage on their own; a process that exits without being killed fails the
// test.
//
// The client behaves as a careful real client must. Every decision and every plan-level
// operation carries an Idempotency-Key, one per logical operation, which the gateway turns
// into the Temporal Update id; after a transport error, a 5xx or a timeout the client resends
// the same key until it has a 2xx or a definitive 4xx. 404 and 409 while the task is not open
// yet (or the plan has not heard of the project's new stage) are retried too. If a resend
// answers 409 and the read model shows the operation went through under this user (the 2xx
// was lost and the workflow has moved on), it is recorded as applied but unacknowledged.
//
// At the end the test asserts, and each of these can fail:
//
//   - every operation that got a 2xx is in its workflow's history (all runs) exactly once:
//     one WorkflowExecutionUpdateAccepted event whose update id is the one the key maps to,
//     and one successful WorkflowExecutionUpdateCompleted; and every task was decided by
//     exactly one accepted "decide" Update, whatever its id;
//   - every task row is unique: task ids are derived from the logical task (workflow, kind,
//     round, expert or bundle), so the primary key alone cannot show a logical duplicate;
//     the test asserts the exact set of tasks each lifecycle must have (one preliminary
//     review, one expert review per panel member, one bundle approval), all closed by the
//     expected person, one expert session, one plan item and one bundle per project, and no
//     other task in the database;
//   - the read model applied every decision once: one task.decide audit row per task;
//   - every lifecycle completes: every project is at stage approved;
//   - the audit chain verifies (internal/audit, as `egovpm audit-verify`);
//   - no stray draft: a create resent with its Idempotency-Key after a lost reply names the
//     same project (POST /projects derives the id from the person and the key).
//
// The short run is part of `make test` (8 projects, 4 kills of each of worker and gateway, one
// devserver restart, about a minute). `make chaos` runs the long one (-chaos.long: 50
// projects, 12 kills of each). CHAOS_PROJECTS, CHAOS_KILLS (per process), CHAOS_DEVSERVER_RESTARTS,
// CHAOS_EVERY (mean
// gap between kills, a Go duration), CHAOS_SEED and CHAOS_STORE (sqlite or postgres) override
// either; CHAOS_KEEP=1 keeps the logs, the devserver's file and, on failure, the database. The test never skips: without PostgreSQL or a buildable binary it fails and says
// why. On failure it prints the tail of every process log.
package chaos
