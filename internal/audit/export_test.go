package audit

// Formats, RowHash and Column open formats, Chain.hash and Row.column to the tests of
// package audit_test (which may import the store; this package's own tests may not).
var Formats = formats

func (c *Chain) RowHash(prev string, r *Row) (string, bool) { return c.hash(prev, r) }

func (r *Row) Column(col string) (string, bool) { return r.column(col, "") }
