// Package audit writes and verifies the tamper-evident audit log (R18).
//
// Rows are chained: hash = HMAC-SM3(key, prev_hash || canonical row). Altering or deleting
// a row breaks the chain at that row, which Verify reports. What a row's hash covers is its
// format (Row.Format, formats): the current format covers every column of audit_log; rows
// written in an earlier format keep it and are checked in it, never rewritten. Deleting the
// newest rows and moving the head back leaves a chain that is whole by itself: signed
// checkpoints of the head kept outside the database (Anchor, checkpoint.go) show it.
// docs/AUDIT.md says what Verify proves and what it cannot.
//
// An append is written with the change it records, both or neither, in one of two ways:
// AppendAfter, in the caller's transaction, locks the head row (audit_head), reads it and
// inserts the row after it; AppendAlone (a decision's stage, task close and audit row) writes
// the change, the row and the head in one statement of its own after the head its process
// last wrote, and falls back to a transaction when another writer has moved the head. Either
// way the head row's lock makes appends one line, and is taken after the change's rows.
package audit

import (
	"cmp"
	"context"
	"crypto/hmac"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/emmansun/gmsm/sm3"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"go.opentelemetry.io/otel/trace"
)

// Genesis is the prev_hash of the first row.
const Genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// Entry is one audited event.
type Entry struct {
	ActorID    string
	OrgID      string
	Action     string
	ObjectType string
	ObjectID   string
	Outcome    string
	RequestID  string
	ClientIP   string
	Detail     any
	// DedupKey, when set, makes the append idempotent (an activity retried after the commit
	// writes nothing twice).
	DedupKey string
}

// Row is a stored audit row.
type Row struct {
	// Format is the row format its hash was computed in (formats).
	Format     int16           `db:"format" json:"format"`
	Seq        int64           `db:"seq" json:"seq"`
	At         time.Time       `db:"at" json:"at"`
	ActorID    string          `db:"actor_id" json:"actor_id"`
	OrgID      string          `db:"org_id" json:"org_id"`
	Action     string          `db:"action" json:"action"`
	ObjectType string          `db:"object_type" json:"object_type"`
	ObjectID   string          `db:"object_id" json:"object_id"`
	Outcome    string          `db:"outcome" json:"outcome"`
	RequestID  string          `db:"request_id" json:"request_id"`
	ClientIP   string          `db:"client_ip" json:"client_ip"`
	Detail     json.RawMessage `db:"detail" json:"detail"`
	DedupKey   sql.NullString  `db:"dedup_key" json:"-"`
	// TraceID is the trace the row was written in (nil: none, or a row older than format 3).
	TraceID  *string `db:"trace_id" json:"trace_id,omitempty"`
	PrevHash string  `db:"prev_hash" json:"prev_hash"`
	Hash     string  `db:"hash" json:"hash"`
}

// Chain computes and checks row hashes with one key.
type Chain struct {
	key  []byte
	stmt Stmt
	head *headCache
}

// headCache is the chain head this process last wrote or saw, shared by the copies of a Chain
// (WithStmt): AppendAlone extends it without reading it from the database.
type headCache struct {
	mu   sync.Mutex // guards the fields below; never held across I/O
	ok   bool
	seq  int64
	hash string
	at   time.Time
	// alone is AppendAlone's turn (one at a time in a process).
	alone sync.Mutex
}

// saw records a head (seq, hash) known to be in the chain at time at or after it. An older
// head than the one known is ignored (a statement that finished after a later append); the
// same seq replaces (a known head rolled back and written again).
func (h *headCache) saw(seq int64, hash string, at time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.ok || seq >= h.seq {
		h.ok, h.seq, h.hash, h.at = true, seq, hash, at
	}
}

func (h *headCache) get() (ok bool, seq int64, hash string, at time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.ok, h.seq, h.hash, h.at
}

func (h *headCache) forget() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ok = false
}

// Stmt returns statement q ready to run in tx. The store's (store.New) takes it from its
// statement cache, prepared once per connection.
type Stmt func(ctx context.Context, tx *sqlx.Tx, q string) (*sqlx.Stmt, error)

// New returns a Chain keyed with key (EGOVPM_AUDIT_KEY).
func New(key string) *Chain { return &Chain{key: []byte(key), head: &headCache{}} }

// WithStmt returns a copy of c whose Append runs its statements through stmt: PostgreSQL then
// neither parses nor plans them on every append (one on every decision). Without one, each
// append prepares its statements in its transaction.
func (c *Chain) WithStmt(stmt Stmt) *Chain {
	cc := *c
	cc.stmt = stmt
	return &cc
}

// prepare returns q ready to run in tx.
func (c *Chain) prepare(ctx context.Context, tx *sqlx.Tx, q string) (*sqlx.Stmt, error) {
	if c.stmt != nil {
		return c.stmt(ctx, tx, q)
	}
	return tx.PreparexContext(ctx, q)
}

// Format is the row format this code writes: its hash covers every column of audit_log but
// hash itself.
const Format = 3

// formats lists, for each row format, the columns its hash covers, in the order they are
// hashed (prev_hash is the row's link to the one before). Format 1 is the format of the rows
// written before schema 0015; it leaves out the format and dedup_key. A column added to
// audit_log later gets a new format that covers it (TestR18_FormatCoversEveryColumn fails
// until it does); rows of the older formats keep theirs.
var formats = map[int16][]string{
	1: {"prev_hash", "seq", "at", "actor_id", "org_id", "action", "object_type", "object_id", "outcome", "request_id",
		"client_ip", "detail"},
	2: {"prev_hash", "format", "seq", "at", "actor_id", "org_id", "action", "object_type", "object_id", "outcome",
		"request_id", "client_ip", "detail", "dedup_key"},
	3: {"prev_hash", "format", "seq", "at", "actor_id", "org_id", "action", "object_type", "object_id", "outcome",
		"request_id", "client_ip", "detail", "dedup_key", "trace_id"},
}

// column is r's column col as hashed (ok false for a name that is no column). NULL (a row
// without a dedup key or trace id) is a lone NUL byte, which no text value holds (PostgreSQL
// text cannot).
func (r *Row) column(col, prev string) (v string, ok bool) {
	switch col {
	case "prev_hash":
		return prev, true
	case "format":
		return strconv.Itoa(int(r.Format)), true
	case "seq":
		return strconv.FormatInt(r.Seq, 10), true
	case "at":
		return r.At.UTC().Format(time.RFC3339Nano), true
	case "actor_id":
		return r.ActorID, true
	case "org_id":
		return r.OrgID, true
	case "action":
		return r.Action, true
	case "object_type":
		return r.ObjectType, true
	case "object_id":
		return r.ObjectID, true
	case "outcome":
		return r.Outcome, true
	case "request_id":
		return r.RequestID, true
	case "client_ip":
		return r.ClientIP, true
	case "detail":
		return canonicalJSON(r.Detail), true
	case "dedup_key":
		if !r.DedupKey.Valid {
			return "\x00", true
		}
		return r.DedupKey.String, true
	case "trace_id":
		if r.TraceID == nil {
			return "\x00", true
		}
		return *r.TraceID, true
	}
	return "", false
}

// hash is the HMAC of row r after prev in r's format; ok is false for a format this code
// does not know (written by a newer release).
func (c *Chain) hash(prev string, r *Row) (h string, ok bool) {
	cols, ok := formats[r.Format]
	if !ok {
		return "", false
	}
	m := hmac.New(sm3.New, c.key)
	for _, col := range cols {
		p, ok := r.column(col, prev)
		if !ok {
			return "", false
		}
		// Length-prefix every field so that moving bytes between fields changes the hash.
		m.Write([]byte(strconv.Itoa(len(p))))
		m.Write([]byte{':'})
		m.Write([]byte(p))
	}
	return hex.EncodeToString(m.Sum(nil)), true
}

// canonicalJSON re-encodes JSON so that the jsonb round trip (key order, spacing) does not
// change the hash.
func canonicalJSON(b json.RawMessage) string {
	if len(b) == 0 {
		return "{}"
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return string(b)
	}
	out, err := json.Marshal(v) // maps marshal with sorted keys
	if err != nil {
		return string(b)
	}
	return string(out)
}

// Append writes e in tx, after the last row of the chain. The caller's transaction makes the
// audit row and the change it records commit together.
func (c *Chain) Append(ctx context.Context, tx *sqlx.Tx, e Entry) error {
	return c.AppendAfter(ctx, tx, e, Writes{})
}

// Writes are the caller's changes run by the statement that locks the chain head, before it
// takes the lock: the change and the lock in one round trip (a decision's stage and task
// close, store.ApplyTransition). SQL is a list of WITH items, the last named w with one row
// and a column n computed from the others' results; the lock waits for n, so the rows the
// items change are locked before the head, the order every other writer takes them in (the
// change, then its audit row). Args are $1…$n.
type Writes struct {
	SQL  string
	Args []any
}

// AppendAfter is Append with w run first, in its first statement.
func (c *Chain) AppendAfter(ctx context.Context, tx *sqlx.Tx, e Entry, w Writes) error {
	// The head row lock serialises appends so the chain is linear. One round trip locks it,
	// then (in the outer query, so after the lock is held) takes the row's time and looks for
	// an earlier append of the same DedupKey; a second writes the row and moves the head.
	var head struct {
		Seq  int64     `db:"seq"`
		Hash string    `db:"hash"`
		At   time.Time `db:"at"`
		Dup  bool      `db:"dup"`
	}
	headQ, args := headAlone, []any{e.DedupKey}
	if w.SQL != "" {
		args = append(w.Args[:len(w.Args):len(w.Args)], e.DedupKey)
		headQ = headQuery(w)
	}
	headSt, err := c.prepare(ctx, tx, headQ)
	if err != nil {
		return fmt.Errorf("audit head: %w", err)
	}
	if err := headSt.GetContext(ctx, &head, args...); err != nil {
		return fmt.Errorf("audit head: %w", err)
	}
	if head.Dup {
		c.head.saw(head.Seq, head.Hash, head.At)
		return nil
	}
	r := c.row(ctx, e, head.Seq, head.Hash, head.At) // microsecond precision is what timestamptz keeps
	insSt, err := c.prepare(ctx, tx, insertQ)
	if err != nil {
		return fmt.Errorf("audit insert: %w", err)
	}
	res, err := insSt.ExecContext(ctx, r.values()...)
	if err != nil {
		return fmt.Errorf("audit insert: %w", err)
	}
	// The head this transaction wrote (or, with the key appended meanwhile, still holds
	// locked): what this process's next AppendAlone extends. Were the transaction to roll
	// back, that append finds the head moved and appends here again.
	if n, err := res.RowsAffected(); err == nil && n == 1 {
		c.head.saw(r.Seq, r.Hash, r.At)
	} else {
		c.head.saw(head.Seq, head.Hash, head.At)
	}
	return nil
}

// Exec runs statement q with args outside any transaction (its own implicit one) and reads
// its one row into dest; the store's runs it through its statement cache.
type Exec func(ctx context.Context, dest any, q string, args ...any) error

// codeNotAppended is the SQLSTATE of audit_appended (schema 0012): the statement's append
// did not happen, and neither did anything else in it.
const codeNotAppended = "EA001"

// AppendAlone appends e after w's writes in one statement that is its own transaction: no
// BEGIN, no head read, no COMMIT round trip — one round trip where AppendAfter in a
// transaction takes four (a decision's stage, task close and audit row, store.ApplyTransition).
// It extends the head this process last wrote or saw, and moves it only if it is still there:
// the head row's lock, taken after w's rows as every writer takes them, makes the check and
// the move one step. When it cannot (no head known yet, another writer moved the head, or
// e.DedupKey was appended before), nothing in the statement happens (audit_appended aborts
// it) and inTx appends instead, in a transaction (AppendAfter), which tells this process the
// head again. alone reports which one wrote. The row's time is this process's clock, never
// before the head's.
//
// A process's AppendAlone calls, inTx included, run one at a time, so they extend one another
// rather than move the head under each other. inTx starts its transaction after it is called:
// no one waits for that turn while holding a database lock, so the turn cannot join a
// deadlock with PostgreSQL's locks.
func (c *Chain) AppendAlone(ctx context.Context, exec Exec, e Entry, w Writes, inTx func() error) (alone bool, err error) {
	c.head.alone.Lock()
	defer c.head.alone.Unlock()
	ok, seq, prev, at := c.head.get()
	if !ok {
		return false, inTx()
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	if now.Before(at) {
		now = at
	}
	r := c.row(ctx, e, seq, prev, now)
	args := append(append(w.Args[:len(w.Args):len(w.Args)], r.values()...), seq)
	var appended bool
	if err := exec(ctx, &appended, aloneQuery(w), args...); err != nil {
		var pe *pq.Error
		if errors.As(err, &pe) && (pe.Code == codeNotAppended || pe.Code == "23505") {
			c.head.forget()
			return false, inTx()
		}
		return false, fmt.Errorf("audit append: %w", err)
	}
	c.head.saw(r.Seq, r.Hash, r.At)
	return true, nil
}

// row is e as the row after the head (seq, hash) at time at, hashed, with the trace id of the
// span in ctx (the request's or the activity's that appends it), if any.
func (c *Chain) row(ctx context.Context, e Entry, seq int64, prev string, at time.Time) Row {
	detail, err := json.Marshal(e.Detail)
	if err != nil || e.Detail == nil {
		detail = []byte("{}")
	}
	var traceID *string
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		id := sc.TraceID().String()
		traceID = &id
	}
	r := Row{Format: Format, Seq: seq + 1, At: at, ActorID: e.ActorID, OrgID: e.OrgID, Action: e.Action, ObjectType: e.ObjectType,
		ObjectID: e.ObjectID, Outcome: e.Outcome, RequestID: e.RequestID, ClientIP: e.ClientIP, Detail: canonicalize(detail),
		DedupKey: sql.NullString{String: e.DedupKey, Valid: e.DedupKey != ""}, PrevHash: prev,
		TraceID: traceID}
	r.Hash, _ = c.hash(prev, &r)
	return r
}

// RowAfter is e as the row after the chain head (seq, hash) written at at, hashed: the row an
// append after that head would write. A bulk loader (the benchmark's decade generator, bench)
// builds a chain with it that Verify accepts; at keeps microseconds, as timestamptz does.
func (c *Chain) RowAfter(e Entry, seq int64, hash string, at time.Time) Row {
	return c.row(context.Background(), e, seq, hash, at.Truncate(time.Microsecond))
}

// rowCols are audit_log's columns in the order of Row.values.
const rowCols = `seq, at, actor_id, org_id, action, object_type, object_id, outcome, request_id, client_ip,
	detail, dedup_key, prev_hash, hash, format, trace_id`

// values are r's columns (rowCols), $1…$16 of insertQ and aloneQuery.
func (r *Row) values() []any {
	return []any{r.Seq, r.At, r.ActorID, r.OrgID, r.Action, r.ObjectType, r.ObjectID, r.Outcome, r.RequestID, r.ClientIP,
		string(r.Detail), r.DedupKey, r.PrevHash, r.Hash, r.Format, r.TraceID}
}

// insertQ writes row values() after the head locked in the transaction; dup (AppendAfter) is
// read in the head statement's snapshot, taken before the lock was granted, so a concurrent
// append of the same key that committed meanwhile is not seen there: the insert skips a
// conflicting key itself, and the head moves only if the row went in.
const insertQ = `WITH row AS (INSERT INTO audit_log (` + rowCols + `) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16)
	ON CONFLICT (dedup_key) DO NOTHING RETURNING seq)
	UPDATE audit_head SET seq = $1, hash = $14 WHERE id = 1 AND EXISTS (SELECT 1 FROM row)`

// afterWrites starts a statement that runs w's items (if any) before the head row is locked:
// with is its WITH clause so far, cond the condition on the head row that waits for them.
// (SELECT n FROM w) is an init plan: it computes n, which reads the items, to the end before
// the scan reaches the head row and locks it. (count(*) FROM w would not do: it needs w's
// rows, not their values, and leaves the items to run after the lock.)
func afterWrites(w Writes) (with, cond string) {
	if w.SQL == "" {
		return "WITH ", ""
	}
	return "WITH " + w.SQL + ",\n\t", " AND (SELECT n FROM w) IS NOT NULL"
}

// headQuery locks the head after w's writes and reads it (headSQL); the dedup key is the
// argument after w's.
func headQuery(w Writes) string {
	with, cond := afterWrites(w)
	return with + "h AS (SELECT seq, hash FROM audit_head WHERE id = 1" + cond + " FOR UPDATE)\n" + headSQL(len(w.Args)+1)
}

// aloneQuery is AppendAlone's statement: w's writes, the head moved from the seq it was
// known at (the argument after the row's values) to the row, the row, and audit_appended,
// which aborts all of it unless the row went in.
func aloneQuery(w Writes) string {
	with, cond := afterWrites(w)
	p := func(i int) string { return "$" + strconv.Itoa(len(w.Args)+i) }
	return with + "hu AS (UPDATE audit_head SET seq = " + p(1) + ", hash = " + p(14) + " WHERE id = 1 AND seq = " + p(17) + cond + ` RETURNING 1),
	ins AS (INSERT INTO audit_log (` + rowCols + `)
		SELECT ` + p(1) + `::bigint, ` + p(2) + `::timestamptz, ` + p(3) + `, ` + p(4) + `, ` + p(5) + `, ` + p(6) + `, ` + p(7) + `, ` +
		p(8) + `, ` + p(9) + `, ` + p(10) + `, ` + p(11) + `::jsonb, ` + p(12) + `, ` + p(13) + `, ` + p(14) + `, ` + p(15) + `::smallint, ` + p(16) + `
		WHERE EXISTS (SELECT 1 FROM hu) ON CONFLICT (dedup_key) DO NOTHING RETURNING 1)
	SELECT audit_appended(EXISTS (SELECT 1 FROM ins))`
}

// headAlone locks the head and reads it (Append without writes).
var headAlone = headQuery(Writes{})

// headSQL reads the locked head h with the row's time and whether the dedup key ($key) was
// appended before.
func headSQL(key int) string {
	k := "$" + strconv.Itoa(key)
	return `SELECT h.seq, h.hash, date_trunc('microseconds', clock_timestamp()) AS at,
	(` + k + ` <> '' AND EXISTS (SELECT 1 FROM audit_log WHERE dedup_key = ` + k + `)) AS dup FROM h`
}

func canonicalize(b []byte) json.RawMessage { return json.RawMessage(canonicalJSON(b)) }

// Result is the outcome of Verify.
type Result struct {
	OK      bool   `json:"ok"`
	Checked int64  `json:"checked"`
	LastSeq int64  `json:"last_seq"`
	Broken  int64  `json:"broken_seq,omitempty"`
	Reason  string `json:"reason,omitempty"`
	// Formats counts the rows checked in each row format ("1": written before schema 0015).
	Formats map[string]int64 `json:"formats"`
	// Anchor is what the checkpoints kept outside the database showed; absent when Verify
	// was given none to read.
	Anchor *AnchorResult `json:"anchor,omitempty"`
}

// AnchorResult is the part of a Result the checkpoints prove.
type AnchorResult struct {
	// File is where the checkpoints were read.
	File string `json:"file"`
	// Checkpoints is how many signed checkpoints the file holds.
	Checkpoints int `json:"checkpoints"`
	// LastSeq and LastAt are the newest checkpoint's head (LastSeq 0: none).
	LastSeq int64      `json:"last_seq"`
	LastAt  *time.Time `json:"last_at,omitempty"`
	// Unanchored counts the rows after the newest checkpoint: deleting those and moving the
	// head back is the one truncation Verify cannot see (docs/AUDIT.md).
	Unanchored int64 `json:"unanchored"`
}

// Verify walks the chain from the first row and reports the first broken link: a row whose
// hash does not match its content in its format (altered), a gap in seq or a prev_hash that
// does not match the row before (a row deleted), or a chain that ends before the recorded
// head (the tail deleted). It proves nothing about a tail deleted with the head moved back:
// VerifyAnchored does.
func (c *Chain) Verify(ctx context.Context, db *sqlx.DB) (Result, error) {
	return c.VerifyAnchored(ctx, db, nil)
}

// VerifyAnchored is Verify that also checks the chain against the signed checkpoints of a (nil:
// none): each checkpoint's signature, each checkpointed row's hash, and that the chain
// reaches the newest checkpoint (a tail deleted and the head moved back to match is then
// reported at the first missing row). The rows and the head are read in one read-only
// REPEATABLE READ transaction, taken after the checkpoints are read: on a live system rows
// appended meanwhile are not seen, rather than a head newer than the rows read looking like
// a deleted tail.
func (c *Chain) VerifyAnchored(ctx context.Context, dbh *sqlx.DB, a *Anchor) (Result, error) {
	const q = `SELECT ` + rowCols + ` FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT 1000`
	res := Result{OK: true, Formats: map[string]int64{}}
	cps, ok, err := c.readCheckpoints(a, &res)
	if err != nil || !ok {
		return res, err
	}
	db, err := dbh.BeginTxx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return res, fmt.Errorf("audit verify: %w", err)
	}
	defer func() { _ = db.Rollback() }()
	next := 0 // the first checkpoint not yet met in the walk
	prev, last := Genesis, int64(0)
	for {
		var rows []Row
		if err := db.SelectContext(ctx, &rows, q, last); err != nil {
			return res, fmt.Errorf("audit verify: %w", err)
		}
		for i := range rows {
			r := &rows[i]
			h, known := c.hash(r.PrevHash, r)
			switch {
			case r.Seq != last+1:
				return broken(res, last+1, fmt.Sprintf("第 %d 条记录缺失（被删除）", last+1)), nil
			case r.PrevHash != prev:
				return broken(res, r.Seq, fmt.Sprintf("第 %d 条记录的前序哈希不符（前一条被改动或删除）", r.Seq)), nil
			case !known:
				return broken(res, r.Seq, fmt.Sprintf("第 %d 条记录的格式 %d 无法校验（未知格式：被改动，或由更新的版本写入）", r.Seq, r.Format)), nil
			case h != r.Hash:
				return broken(res, r.Seq, fmt.Sprintf("第 %d 条记录内容与哈希不符（被篡改）", r.Seq)), nil
			}
			for ; next < len(cps) && cps[next].Seq <= r.Seq; next++ {
				if cp := cps[next]; cp.Seq == r.Seq && cp.Hash != r.Hash {
					return broken(res, r.Seq, fmt.Sprintf("第 %d 条记录与 %s 签名的检查点不符（该条或此前的记录被改写，链被重建）",
						r.Seq, cp.At.Format(time.RFC3339))), nil
				}
			}
			prev, last = r.Hash, r.Seq
			res.Checked++
			res.LastSeq = r.Seq
			res.Formats[strconv.Itoa(int(r.Format))]++
		}
		if len(rows) < 1000 {
			break
		}
	}
	if len(cps) > 0 {
		newest := cps[len(cps)-1]
		res.Anchor.LastSeq, res.Anchor.LastAt = newest.Seq, &newest.At
		res.Anchor.Unanchored = max(0, last-newest.Seq)
		if newest.Seq > last {
			return broken(res, last+1, fmt.Sprintf("记录在第 %d 条之后中断，而 %s 签名的检查点记录链头为第 %d 条（末尾记录被删除、链头被回退）",
				last, newest.At.Format(time.RFC3339), newest.Seq)), nil
		}
	} else if res.Anchor != nil {
		res.Anchor.Unanchored = last
	}
	var head struct {
		Seq  int64  `db:"seq"`
		Hash string `db:"hash"`
	}
	if err := db.GetContext(ctx, &head, `SELECT seq, hash FROM audit_head WHERE id = 1`); err != nil {
		return res, fmt.Errorf("audit head: %w", err)
	}
	if head.Seq != last || head.Hash != prev {
		return broken(res, last+1, fmt.Sprintf("记录在第 %d 条之后中断，链头为第 %d 条（末尾记录被删除或改动）", last, head.Seq)), nil
	}
	return res, nil
}

// readCheckpoints reads the checkpoints of a (none when a is nil) sorted by seq, and checks
// their signatures: ok is false, with res broken, when the file is altered.
func (c *Chain) readCheckpoints(a *Anchor, res *Result) (cps []Checkpoint, ok bool, err error) {
	if a == nil {
		return nil, true, nil
	}
	cps, bad, err := a.Read()
	if err != nil {
		return nil, false, err
	}
	res.Anchor = &AnchorResult{File: a.Path(), Checkpoints: len(cps)}
	if bad > 0 {
		*res = broken(*res, 0, fmt.Sprintf("检查点文件 %s 第 %d 行无法读取（检查点文件被改动）", a.Path(), bad))
		return nil, false, nil
	}
	for i, cp := range cps {
		if !c.checkpointValid(cp) {
			*res = broken(*res, cp.Seq, fmt.Sprintf("检查点文件第 %d 行（第 %d 条，%s）签名不符（检查点文件被改动或密钥不同）",
				i+1, cp.Seq, cp.At.Format(time.RFC3339)))
			return nil, false, nil
		}
	}
	slices.SortStableFunc(cps, func(x, y Checkpoint) int { return cmp.Compare(x.Seq, y.Seq) })
	return cps, true, nil
}

func broken(r Result, seq int64, reason string) Result {
	r.OK, r.Broken, r.Reason = false, seq, reason
	return r
}
