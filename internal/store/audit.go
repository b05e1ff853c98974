package store

import (
	"context"

	"egovpm/internal/audit"
)

// AppendAudit appends e to the audit chain in tx: the row commits with the writes it records.
func (s *Store) AppendAudit(ctx context.Context, tx *Tx, e audit.Entry) error {
	return s.Audit.Append(ctx, tx.tx, e)
}

// VerifyAudit walks the audit chain and checks it against the signed checkpoints of a (nil:
// none); audit.Chain.VerifyAnchored says what it proves.
func (s *Store) VerifyAudit(ctx context.Context, a *audit.Anchor) (audit.Result, error) {
	return s.Audit.VerifyAnchored(ctx, s.db, a)
}

// AuditCheckpoint signs the committed head of the audit chain (audit.Chain.Checkpoint).
func (s *Store) AuditCheckpoint(ctx context.Context) (audit.Checkpoint, error) {
	return s.Audit.Checkpoint(ctx, s.db)
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }
