package store_test

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
