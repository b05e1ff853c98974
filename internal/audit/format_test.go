package audit_test

import (
	"context"
	"database/sql"
	"slices"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"egovpm/internal/audit"
	"egovpm/internal/store"
	"egovpm/internal/testdb"
	"egovpm/schema"
)

// TestR18_FormatCoversEveryColumn: the current row format's hash covers every column of
// audit_log but hash itself, so a column added later cannot go unprotected: it fails here
// until a new format covers it. Every column a format names is one the hash can read.
func TestR18_FormatCoversEveryColumn(t *testing.T) {
	st := testdb.New(t)
	var cols []string
	require.NoError(t, st.DB().Select(&cols, `SELECT column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = 'audit_log' AND column_name <> 'hash' ORDER BY column_name`))
	covered := slices.Clone(audit.Formats[audit.Format])
	slices.Sort(covered)
	require.Equal(t, cols, covered)
	for f, cs := range audit.Formats {
		for _, c := range cs {
			_, ok := (&audit.Row{}).Column(c)
			require.True(t, ok, "format %d names %s", f, c)
		}
	}
}

// TestR18_RowsWrittenBeforeStillVerify (issue 15 item 20): rows written before schema 0015
// (the format-1 hash, no format column) verify after the migration as format 1 and are never
// rewritten; rows appended after them are format 2 and the chain runs on across the change.
// Format 1 leaves dedup_key out: a changed key on such a row is not seen (docs/AUDIT.md),
// a changed outcome is.
func TestR18_RowsWrittenBeforeStillVerify(t *testing.T) {
	ctx := context.Background()
	url := testdb.URL(t) // migrated to the latest version
	db, err := store.Open(ctx, url)
	require.NoError(t, err)
	defer db.Close()
	// The database as the release before schema 0015 left it.
	_, err = db.Exec(`DROP SCHEMA public CASCADE; CREATE SCHEMA public`)
	require.NoError(t, err)
	require.NoError(t, schema.MigrateTo(ctx, db.DB, 12))

	c := audit.New(testdb.AuditKey)
	prev := audit.Genesis
	for i := int64(1); i <= 3; i++ {
		r := audit.Row{Format: 1, Seq: i, At: time.Date(2026, 5, 1, 9, 0, int(i), 123456000, time.UTC), ActorID: "u-drb1", OrgID: "drb",
			Action: "task.decide", ObjectType: "project", ObjectID: "p-1", Outcome: "approve", Detail: []byte(`{"comment":"同意"}`),
			DedupKey: sql.NullString{String: "t-" + string(rune('0'+i)), Valid: true}, PrevHash: prev}
		r.Hash, _ = c.RowHash(prev, &r)
		// The previous release's insert: no format column.
		_, err := db.Exec(`INSERT INTO audit_log (seq, at, actor_id, org_id, action, object_type, object_id, outcome, request_id,
			client_ip, detail, dedup_key, prev_hash, hash) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)`,
			r.Seq, r.At, r.ActorID, r.OrgID, r.Action, r.ObjectType, r.ObjectID, r.Outcome, r.RequestID, r.ClientIP, string(r.Detail),
			r.DedupKey, r.PrevHash, r.Hash)
		require.NoError(t, err)
		_, err = db.Exec(`UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1`, r.Seq, r.Hash)
		require.NoError(t, err)
		prev = r.Hash
	}
	var before []audit.Row
	require.NoError(t, db.Select(&before, `SELECT seq, hash, prev_hash FROM audit_log ORDER BY seq`))

	_, err = schema.Migrate(ctx, db.DB)
	require.NoError(t, err)
	st := store.New(db, c)
	for range 2 {
		tx, err := db.Beginx()
		require.NoError(t, err)
		require.NoError(t, st.Audit.Append(ctx, tx, audit.Entry{ActorID: "u-drb1", Action: "task.decide", ObjectType: "project",
			ObjectID: "p-2", Outcome: "approve", DedupKey: "later"}))
		require.NoError(t, tx.Commit())
	}
	res, err := st.Audit.Verify(ctx, db)
	require.NoError(t, err)
	require.True(t, res.OK, res.Reason)
	require.Equal(t, map[string]int64{"1": 3, "3": 1}, res.Formats, "the second append of the same key wrote nothing")

	var after []audit.Row
	require.NoError(t, db.Select(&after, `SELECT seq, hash, prev_hash, format FROM audit_log WHERE seq <= 3 ORDER BY seq`))
	for i := range before {
		require.Equal(t, before[i].Hash, after[i].Hash, "never rewritten")
		require.EqualValues(t, 1, after[i].Format)
	}

	tamperDB(t, db, `UPDATE audit_log SET dedup_key = 'forged' WHERE seq = 2`)
	res, err = st.Audit.Verify(ctx, db)
	require.NoError(t, err)
	require.True(t, res.OK, "format 1 does not cover dedup_key: %s", res.Reason)
	tamperDB(t, db, `UPDATE audit_log SET outcome = 'reject' WHERE seq = 2`)
	res, err = st.Audit.Verify(ctx, db)
	require.NoError(t, err)
	require.False(t, res.OK)
	require.EqualValues(t, 2, res.Broken)

	// A row claiming the old format to shed the dedup key's cover no longer matches its hash.
	tamperDB(t, db, `UPDATE audit_log SET outcome = 'approve' WHERE seq = 2; UPDATE audit_log SET format = 1, dedup_key = 'x' WHERE seq = 4`)
	res, err = st.Audit.Verify(ctx, db)
	require.NoError(t, err)
	require.False(t, res.OK)
	require.EqualValues(t, 4, res.Broken, res.Reason)
}

func tamperDB(t *testing.T, db *sqlx.DB, q string) {
	t.Helper()
	_, err := db.Exec(`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update`)
	require.NoError(t, err)
	_, err = db.Exec(q)
	require.NoError(t, err)
	_, err = db.Exec(`ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update`)
	require.NoError(t, err)
}

// TestR18_TraceIDFormat3 (issue 21 item 2): rows written before schema 0022 (format 2, no
// trace_id) verify after it unchanged; a row appended under a span carries its trace id in
// format 3, whose hash covers it, so a trace id changed on that row breaks the chain there,
// while one filled in on a format-2 row is not seen (docs/AUDIT.md). A row appended with no
// span has a NULL trace id and verifies too.
func TestR18_TraceIDFormat3(t *testing.T) {
	ctx := context.Background()
	url := testdb.URL(t)
	db, err := store.Open(ctx, url)
	require.NoError(t, err)
	defer db.Close()
	_, err = db.Exec(`DROP SCHEMA public CASCADE; CREATE SCHEMA public`)
	require.NoError(t, err)
	require.NoError(t, schema.MigrateTo(ctx, db.DB, 21))

	c := audit.New(testdb.AuditKey)
	prev := audit.Genesis
	for i := int64(1); i <= 2; i++ {
		r := audit.Row{Format: 2, Seq: i, At: time.Date(2026, 11, 1, 9, 0, int(i), 0, time.UTC), ActorID: "u-drb1", OrgID: "drb",
			Action: "task.decide", ObjectType: "project", ObjectID: "p-1", Outcome: "approve", Detail: []byte(`{}`), PrevHash: prev}
		r.Hash, _ = c.RowHash(prev, &r)
		// The previous release's insert: no trace_id column.
		_, err := db.Exec(`INSERT INTO audit_log (seq, at, actor_id, org_id, action, object_type, object_id, outcome, request_id,
			client_ip, detail, dedup_key, prev_hash, hash, format) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15)`,
			r.Seq, r.At, r.ActorID, r.OrgID, r.Action, r.ObjectType, r.ObjectID, r.Outcome, r.RequestID, r.ClientIP, string(r.Detail),
			r.DedupKey, r.PrevHash, r.Hash, r.Format)
		require.NoError(t, err)
		_, err = db.Exec(`UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1`, r.Seq, r.Hash)
		require.NoError(t, err)
		prev = r.Hash
	}
	_, err = schema.Migrate(ctx, db.DB)
	require.NoError(t, err)
	st := store.New(db, c)

	tp := sdktrace.NewTracerProvider()
	defer func() { _ = tp.Shutdown(ctx) }()
	spanCtx, span := tp.Tracer("test").Start(ctx, "decision")
	span.End()
	traceID := span.SpanContext().TraceID().String()
	for _, actx := range []context.Context{spanCtx, ctx} {
		tx, err := db.Beginx()
		require.NoError(t, err)
		require.NoError(t, st.Audit.Append(actx, tx, audit.Entry{ActorID: "u-drb1", Action: "task.decide", ObjectType: "project", ObjectID: "p-2", Outcome: "approve"}))
		require.NoError(t, tx.Commit())
	}
	var got []sql.NullString
	require.NoError(t, db.Select(&got, `SELECT trace_id FROM audit_log ORDER BY seq`))
	require.Equal(t, []sql.NullString{{}, {}, {String: traceID, Valid: true}, {}}, got)
	res, err := st.Audit.Verify(ctx, db)
	require.NoError(t, err)
	require.True(t, res.OK, res.Reason)
	require.Equal(t, map[string]int64{"2": 2, "3": 2}, res.Formats)

	tamperDB(t, db, `UPDATE audit_log SET trace_id = '0123456789abcdef0123456789abcdef' WHERE seq = 2`)
	res, err = st.Audit.Verify(ctx, db)
	require.NoError(t, err)
	require.True(t, res.OK, "format 2 does not cover trace_id: %s", res.Reason)

	tamperDB(t, db, `UPDATE audit_log SET trace_id = '0123456789abcdef0123456789abcdef' WHERE seq = 3`)
	res, err = st.Audit.Verify(ctx, db)
	require.NoError(t, err)
	require.False(t, res.OK)
	require.EqualValues(t, 3, res.Broken, res.Reason)

	// Nor can a trace id be planted on a format-3 row written without one.
	tamperDB(t, db, `UPDATE audit_log SET trace_id = $$`+traceID+`$$ WHERE seq = 3; UPDATE audit_log SET trace_id = $$`+traceID+`$$ WHERE seq = 4`)
	res, err = st.Audit.Verify(ctx, db)
	require.NoError(t, err)
	require.False(t, res.OK)
	require.EqualValues(t, 4, res.Broken, res.Reason)
}
