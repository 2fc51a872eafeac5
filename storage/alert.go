package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
)

// Alert is a possible incident: a cluster growing fast with no incident
// linked, raised so that the support signal can declare one before the
// status page does.
type Alert struct {
	ClusterID      string   `db:"cluster_id"`
	RaisedAt       int64    `db:"raised_at"` // unix milliseconds
	PerMinute      float64  `db:"per_minute"`
	Inquiries      int64    `db:"inquiries"`
	Customers      int64    `db:"customers"`
	Label          []string `db:"-"`
	LabelJSON      string   `db:"label"`
	Representative string   `db:"representative"`
	Samples        []string `db:"-"`
	SamplesJSON    string   `db:"samples"`
	Status         string   `db:"status"`
	// Set once an agent declares or dismisses it (the Slack buttons).
	DecidedBy  string `db:"decided_by"`
	DecidedAt  int64  `db:"decided_at"` // unix milliseconds, 0 while open
	IncidentID string `db:"incident_id"`
}

// RaiseAlert records a possible incident for a.ClusterID, once per cluster,
// unless the cluster is already linked to an incident. It reports whether
// the alert was raised now.
func (s *Storage) RaiseAlert(ctx context.Context, a Alert) (bool, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("storage: unable to begin transaction: %w", err)
	}
	defer tx.Rollback()
	var incident sql.NullString
	// Only an active incident counts: a recurrence after a resolve alerts.
	err = tx.GetContext(ctx, &incident, tx.Rebind(`SELECT c.incident_id FROM clusters c
		JOIN incidents i ON i.id = c.incident_id AND i.status <> 'resolved' WHERE c.id = ?`), a.ClusterID)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("storage: unable to read cluster %s: %w", a.ClusterID, err)
	}
	if incident.Valid && incident.String != "" {
		return false, nil
	}
	label, _ := json.Marshal(nonNilStrings(a.Label))
	samples, _ := json.Marshal(nonNilStrings(a.Samples))
	res, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO alerts (cluster_id, raised_at, per_minute, inquiries, customers, label, representative, samples, status)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open') ON CONFLICT DO NOTHING`),
		a.ClusterID, a.RaisedAt, a.PerMinute, a.Inquiries, a.Customers, string(label), a.Representative, string(samples))
	if err != nil {
		return false, fmt.Errorf("storage: unable to raise alert for cluster %s: %w", a.ClusterID, err)
	}
	n, _ := res.RowsAffected()
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("storage: unable to commit alert: %w", err)
	}
	return n == 1, nil
}

// Alerts returns alerts with status (all when empty), newest first.
func (s *Storage) Alerts(ctx context.Context, status string, limit int) ([]Alert, error) {
	q := `SELECT ` + alertColumns + ` FROM alerts`
	var args []any
	if status != "" {
		q += ` WHERE status = ?`
		args = append(args, status)
	}
	q += ` ORDER BY raised_at DESC, cluster_id LIMIT ?`
	args = append(args, limit)
	var out []Alert
	if err := s.db.SelectContext(ctx, &out, s.db.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("storage: unable to list alerts: %w", err)
	}
	for i := range out {
		out[i].decode()
	}
	return out, nil
}

// Alert returns the alert of a cluster, or ErrNotFound: the board follows
// an alert it posted until it is decided, however many came after it.
func (s *Storage) Alert(ctx context.Context, clusterID string) (Alert, error) {
	var a Alert
	err := s.db.GetContext(ctx, &a, s.db.Rebind(`SELECT `+alertColumns+` FROM alerts WHERE cluster_id = ?`), clusterID)
	if errors.Is(err, sql.ErrNoRows) {
		return Alert{}, fmt.Errorf("storage: alert %s: %w", clusterID, ErrNotFound)
	}
	if err != nil {
		return Alert{}, fmt.Errorf("storage: unable to read alert %s: %w", clusterID, err)
	}
	a.decode()
	return a, nil
}

const alertColumns = `cluster_id, raised_at, per_minute, inquiries, customers, label, representative, samples, status,
	COALESCE(decided_by, '') AS decided_by, COALESCE(decided_at, 0) AS decided_at, COALESCE(incident_id, '') AS incident_id`

// decode fills the lists stored as JSON.
func (a *Alert) decode() {
	_ = json.Unmarshal([]byte(a.LabelJSON), &a.Label)
	_ = json.Unmarshal([]byte(a.SamplesJSON), &a.Samples)
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
