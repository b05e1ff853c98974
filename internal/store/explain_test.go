package store_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"
)

// planNode is a node of EXPLAIN (ANALYZE, FORMAT JSON) with what a scan read, for the tests
// that count the rows a read model query touches (issue 20 item 3).
type planNode struct {
	Relation string     `json:"Relation Name"`
	Index    string     `json:"Index Name"`
	Rows     float64    `json:"Actual Rows"`
	Loops    float64    `json:"Actual Loops"`
	Removed  float64    `json:"Rows Removed by Filter"`
	Plans    []planNode `json:"Plans"`
}

// rowsOut is at least the rows that the scans of table put out, over all their loops: EXPLAIN
// shows the rows of a loop on average, rounded.
func (n planNode) rowsOut(table string) float64 {
	s := 0.0
	if n.Relation == table {
		s += max(0, n.Rows-0.5) * n.Loops
	}
	for _, c := range n.Plans {
		s += c.rowsOut(table)
	}
	return s
}

// rowsRead sums the rows that the scans of table put out or removed by filter.
func (n planNode) rowsRead(table string) float64 {
	s := 0.0
	if n.Relation == table {
		s += (n.Rows + n.Removed) * n.Loops
	}
	for _, c := range n.Plans {
		s += c.rowsRead(table)
	}
	return s
}

// explain runs q with args under EXPLAIN (ANALYZE, FORMAT JSON) on db (a database or a
// transaction) and returns the plan's root and the plan as text, for a failure's message.
func explain(t *testing.T, db sqlx.QueryerContext, q string, args ...any) (planNode, string) {
	t.Helper()
	var plan []byte
	require.NoError(t, sqlx.GetContext(context.Background(), db, &plan, "EXPLAIN (ANALYZE, FORMAT JSON) "+q, args...))
	var doc []struct{ Plan planNode }
	require.NoError(t, json.Unmarshal(plan, &doc))
	require.Len(t, doc, 1)
	return doc[0].Plan, string(plan)
}
