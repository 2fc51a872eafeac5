package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/surgedesk/surgedesk/kb"
)

// ImportKB writes a whole knowledge-base document in one transaction:
// incidents, their updates and the answers are inserted, or updated when
// their id (or incident and version) is already stored, so importing the
// same file twice changes nothing the second time. An incident may only
// move forward (kb.Status.CanMoveTo) and may not lose updates it already
// has; on any problem nothing is written.
func (s *Storage) ImportKB(ctx context.Context, actor string, d kb.Document) error {
	if err := d.Validate(); err != nil {
		return err
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("storage: unable to begin transaction: %w", err)
	}
	defer tx.Rollback()
	var incidents, answers []string
	for _, inc := range d.Incidents {
		var cur struct {
			Status  string `db:"status"`
			Updates int    `db:"updates"`
		}
		// The row is locked on PostgreSQL (SQLite's immediate transaction
		// already is), so a concurrent update cannot slip in between the
		// check and the write and be undone by it.
		lock := ""
		if s.postgres {
			lock = " FOR UPDATE"
		}
		err := tx.GetContext(ctx, &cur, tx.Rebind(`SELECT status,
			(SELECT COUNT(*) FROM incident_updates WHERE incident_id = incidents.id) AS updates
			FROM incidents WHERE id = ?`+lock), inc.ID)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return fmt.Errorf("storage: unable to load incident %s: %w", inc.ID, err)
		default:
			if st := kb.Status(cur.Status); st != inc.Status {
				if err := st.CanMoveTo(inc.Status); err != nil {
					return fmt.Errorf("storage: import of incident %s: %w", inc.ID, err)
				}
			}
			if cur.Updates > len(inc.Updates) {
				return fmt.Errorf("storage: import of incident %s: %w: it has %d updates stored but %d in the document; export it first",
					inc.ID, kb.ErrInvalid, cur.Updates, len(inc.Updates))
			}
		}
		if inc.Status == kb.Resolved && inc.ResolvedAt.IsZero() {
			inc.ResolvedAt = now
			if len(inc.Updates) > 0 {
				inc.ResolvedAt = inc.Latest().CreatedAt
			}
		}
		inc.CreatedAt, inc.UpdatedAt = now, now
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO incidents (`+incidentColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET title_ko = excluded.title_ko, title_en = excluded.title_en,
				status = excluded.status, components = excluded.components, severity = excluded.severity,
				started_at = excluded.started_at, resolved_at = excluded.resolved_at, updated_at = excluded.updated_at`),
			incidentArgs(inc)...); err != nil {
			return fmt.Errorf("storage: unable to import incident %s: %w", inc.ID, err)
		}
		for _, u := range inc.Updates {
			if err := upsertUpdate(ctx, tx, inc.ID, u); err != nil {
				return err
			}
		}
		// Each incident's own trail shows the import too, not only "kb".
		if err := addAudit(ctx, tx, actor, "incident.import", "incident:"+inc.ID,
			map[string]any{"status": inc.Status, "updates": len(inc.Updates)}); err != nil {
			return err
		}
		incidents = append(incidents, inc.ID)
	}
	for _, a := range d.Answers {
		a.CreatedAt, a.UpdatedAt = now, now
		if err := upsertAnswer(ctx, tx, a); err != nil {
			return err
		}
		if err := addAudit(ctx, tx, actor, "answer.import", "answer:"+a.ID, map[string]any{"incident_id": a.IncidentID}); err != nil {
			return err
		}
		answers = append(answers, a.ID)
	}
	if err := addAudit(ctx, tx, actor, "kb.import", "kb", map[string][]string{"incidents": incidents, "answers": answers}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("storage: unable to commit the import: %w", err)
	}
	return nil
}

// ExportKB reads the whole knowledge base back, as one snapshot, as a
// document that ImportKB takes.
func (s *Storage) ExportKB(ctx context.Context) (kb.Document, error) {
	tx, err := s.snapshot(ctx)
	if err != nil {
		return kb.Document{}, err
	}
	defer tx.Rollback()
	incs, err := s.incidents(ctx, tx, false)
	if err != nil {
		return kb.Document{}, err
	}
	var d kb.Document
	for _, inc := range incs {
		if inc.Updates, err = s.updates(ctx, tx, inc.ID); err != nil {
			return kb.Document{}, err
		}
		d.Incidents = append(d.Incidents, inc)
	}
	if d.Answers, err = s.answers(ctx, tx); err != nil {
		return kb.Document{}, err
	}
	return d, nil
}
