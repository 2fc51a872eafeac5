package storage

import (
	"context"
	"fmt"
)

// OwedFollowUp is an incident update whose follow-ups may not be queued
// yet.
type OwedFollowUp struct {
	IncidentID string `db:"incident_id"`
	Version    int    `db:"version"`
	CreatedAt  int64  `db:"created_at"` // unix milliseconds
}

// OwedFollowUps returns the updates, committed before `before` (unix ms),
// whose follow-ups were never recorded as queued: those of a process that
// stopped between an update's commit and queuing them. Oldest first.
func (s *Storage) OwedFollowUps(ctx context.Context, before int64, limit int) ([]OwedFollowUp, error) {
	var out []OwedFollowUp
	if err := s.db.SelectContext(ctx, &out, s.db.Rebind(`SELECT incident_id, version, created_at FROM followup_outbox
		WHERE created_at < ? ORDER BY created_at, incident_id, version LIMIT ?`), before, limit); err != nil {
		return nil, fmt.Errorf("storage: unable to list owed follow-ups: %w", err)
	}
	return out, nil
}

// FollowUpsQueued records that the follow-ups of an incident update are
// queued (in deliveries, once per customer). Unknown ones are no error.
func (s *Storage) FollowUpsQueued(ctx context.Context, incidentID string, version int) error {
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM followup_outbox WHERE incident_id = ? AND version = ?`),
		incidentID, version); err != nil {
		return fmt.Errorf("storage: unable to record the follow-ups of incident %s as queued: %w", incidentID, err)
	}
	return nil
}
