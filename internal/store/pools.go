package store

import "database/sql"

// Pools returns the store's connection pools by name, for the pool metrics: "main", and
// "inbox" once UseInboxPool has given the inbox query its own.
func (s *Store) Pools() map[string]*sql.DB {
	p := map[string]*sql.DB{"main": s.db.DB}
	if s.inboxStmts != nil {
		p["inbox"] = s.inboxStmts.db.DB
	}
	return p
}
