// Package audit writes and verifies the tamper-evident audit log (R18).
//
// Rows are chained: hash = HMAC-SM3(key, prev_hash || canonical row). Altering or deleting
// a row breaks the chain at that row, which Verify reports.
//
// An append is written with the change it records, both or neither, in one of two ways:
// AppendAfter, in the caller's transaction, locks the head row (audit_head), reads it and
// inserts the row after it; AppendAlone (a decision's stage, task close and audit row) writes
// the change, the row and the head in one statement of its own after the head its process
// last wrote, and falls back to a transaction when another writer has moved the head. Either
// way the head row's lock makes appends one line, and is taken after the change's rows.
package audit

import (
	"context"
	"crypto/hmac"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/emmansun/gmsm/sm3"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
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
	PrevHash   string          `db:"prev_hash" json:"prev_hash"`
	Hash       string          `db:"hash" json:"hash"`
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

func (c *Chain) hash(prev string, r *Row) string {
	m := hmac.New(sm3.New, c.key)
	parts := []string{prev, strconv.FormatInt(r.Seq, 10), r.At.UTC().Format(time.RFC3339Nano), r.ActorID, r.OrgID,
		r.Action, r.ObjectType, r.ObjectID, r.Outcome, r.RequestID, r.ClientIP, canonicalJSON(r.Detail)}
	for _, p := range parts {
		// Length-prefix every field so that moving bytes between fields changes the hash.
		m.Write([]byte(strconv.Itoa(len(p))))
		m.Write([]byte{':'})
		m.Write([]byte(p))
	}
	return hex.EncodeToString(m.Sum(nil))
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
	r := c.row(e, head.Seq, head.Hash, head.At) // microsecond precision is what timestamptz keeps
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
	r := c.row(e, seq, prev, now)
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

// row is e as the row after the head (seq, hash) at time at, hashed.
func (c *Chain) row(e Entry, seq int64, prev string, at time.Time) Row {
	detail, err := json.Marshal(e.Detail)
	if err != nil || e.Detail == nil {
		detail = []byte("{}")
	}
	r := Row{Seq: seq + 1, At: at, ActorID: e.ActorID, OrgID: e.OrgID, Action: e.Action, ObjectType: e.ObjectType,
		ObjectID: e.ObjectID, Outcome: e.Outcome, RequestID: e.RequestID, ClientIP: e.ClientIP, Detail: canonicalize(detail),
		DedupKey: sql.NullString{String: e.DedupKey, Valid: e.DedupKey != ""}, PrevHash: prev}
	r.Hash = c.hash(prev, &r)
	return r
}

// rowCols are audit_log's columns in the order of Row.values.
const rowCols = `seq, at, actor_id, org_id, action, object_type, object_id, outcome, request_id, client_ip,
	detail, dedup_key, prev_hash, hash`

// values are r's columns (rowCols), $1…$14 of insertQ and aloneQuery.
func (r *Row) values() []any {
	return []any{r.Seq, r.At, r.ActorID, r.OrgID, r.Action, r.ObjectType, r.ObjectID, r.Outcome, r.RequestID, r.ClientIP,
		string(r.Detail), r.DedupKey, r.PrevHash, r.Hash}
}

// insertQ writes row values() after the head locked in the transaction; dup (AppendAfter) is
// read in the head statement's snapshot, taken before the lock was granted, so a concurrent
// append of the same key that committed meanwhile is not seen there: the insert skips a
// conflicting key itself, and the head moves only if the row went in.
const insertQ = `WITH row AS (INSERT INTO audit_log (` + rowCols + `) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)
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
	return with + "hu AS (UPDATE audit_head SET seq = " + p(1) + ", hash = " + p(14) + " WHERE id = 1 AND seq = " + p(15) + cond + ` RETURNING 1),
	ins AS (INSERT INTO audit_log (` + rowCols + `)
		SELECT ` + p(1) + `::bigint, ` + p(2) + `::timestamptz, ` + p(3) + `, ` + p(4) + `, ` + p(5) + `, ` + p(6) + `, ` + p(7) + `, ` +
		p(8) + `, ` + p(9) + `, ` + p(10) + `, ` + p(11) + `::jsonb, ` + p(12) + `, ` + p(13) + `, ` + p(14) + `
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
}

// Verify walks the chain from the first row and reports the first broken link: a row whose
// hash does not match its content (altered), a gap in seq or a prev_hash that does not match
// the row before (a row deleted), or a chain that ends before the recorded head (the tail
// deleted).
func (c *Chain) Verify(ctx context.Context, db *sqlx.DB) (Result, error) {
	const q = `SELECT ` + rowCols + ` FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT 1000`
	res := Result{OK: true}
	prev, last := Genesis, int64(0)
	for {
		var rows []Row
		if err := db.SelectContext(ctx, &rows, q, last); err != nil {
			return res, fmt.Errorf("audit verify: %w", err)
		}
		for i := range rows {
			r := &rows[i]
			switch {
			case r.Seq != last+1:
				return broken(res, last+1, fmt.Sprintf("第 %d 条记录缺失（被删除）", last+1)), nil
			case r.PrevHash != prev:
				return broken(res, r.Seq, fmt.Sprintf("第 %d 条记录的前序哈希不符（前一条被改动或删除）", r.Seq)), nil
			case c.hash(r.PrevHash, r) != r.Hash:
				return broken(res, r.Seq, fmt.Sprintf("第 %d 条记录内容与哈希不符（被篡改）", r.Seq)), nil
			}
			prev, last = r.Hash, r.Seq
			res.Checked++
			res.LastSeq = r.Seq
		}
		if len(rows) < 1000 {
			break
		}
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

func broken(r Result, seq int64, reason string) Result {
	r.OK, r.Broken, r.Reason = false, seq, reason
	return r
}
