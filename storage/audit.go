package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// AuditEntry records one change: who made it, when, to what.
type AuditEntry struct {
	ID      int64     `db:"id"`
	At      time.Time `db:"-"`
	AtMS    int64     `db:"at"` // unix milliseconds
	Actor   string    `db:"actor"`
	Action  string    `db:"action"`  // incident.create, incident.update, incident.resolve, answer.create, answer.update, kb.import, …
	Subject string    `db:"subject"` // e.g. incident:inc-1, answer:faq-hours, kb
	Detail  string    `db:"detail"`  // a JSON object
}

// AddAudit records a change made outside the methods here (they audit
// their own changes in their own transaction). detail is marshalled to
// JSON; nil becomes {}.
func (s *Storage) AddAudit(ctx context.Context, actor, action, subject string, detail any) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("storage: unable to begin transaction: %w", err)
	}
	defer tx.Rollback()
	if err := addAudit(ctx, tx, actor, action, subject, detail); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("storage: unable to commit audit: %w", err)
	}
	return nil
}

func addAudit(ctx context.Context, tx *sqlx.Tx, actor, action, subject string, detail any) error {
	if actor == "" {
		return fmt.Errorf("storage: audit of %s %s: the actor is required", action, subject)
	}
	raw := []byte("{}")
	if detail != nil {
		var err error
		if raw, err = json.Marshal(detail); err != nil {
			return fmt.Errorf("storage: unable to encode audit detail: %w", err)
		}
	}
	_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO audit (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)`),
		time.Now().UnixMilli(), actor, action, subject, string(raw))
	if err != nil {
		return fmt.Errorf("storage: unable to audit %s %s: %w", action, subject, err)
	}
	return nil
}

// AuditEntries returns the newest entries about subject (every subject when
// empty), newest first, at most limit.
func (s *Storage) AuditEntries(ctx context.Context, subject string, limit int) ([]AuditEntry, error) {
	q := `SELECT id, at, actor, action, subject, detail FROM audit`
	var args []any
	if subject != "" {
		q += ` WHERE subject = ?`
		args = append(args, subject)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit)
	var entries []AuditEntry
	if err := s.db.SelectContext(ctx, &entries, s.db.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("storage: unable to load audit entries: %w", err)
	}
	for i := range entries {
		entries[i].At = time.UnixMilli(entries[i].AtMS).UTC()
	}
	return entries, nil
}
