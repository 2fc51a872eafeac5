package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"
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

// systemActor names surgedesk itself in the audit trail.
const systemActor = "surgedesk"

// resolveAlerts resolves the open alerts of clusterIDs in tx, for actor,
// audited with the reason (and the incident, when linked).
func resolveAlerts(ctx context.Context, tx *sqlx.Tx, actor, reason, incidentID string, now int64, clusterIDs ...string) error {
	for _, id := range clusterIDs {
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE alerts SET status = ?, decided_by = ?, decided_at = ?,
			incident_id = COALESCE(NULLIF(?, ''), incident_id) WHERE cluster_id = ? AND status = ?`),
			AlertResolved, actor, now, incidentID, id, AlertOpen)
		if err != nil {
			return fmt.Errorf("storage: unable to resolve the alert of cluster %s: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			continue
		}
		detail := map[string]string{"reason": reason}
		if incidentID != "" {
			detail["incident_id"] = incidentID
		}
		if err := addAudit(ctx, tx, actor, "alert."+AlertResolved, "alert:"+id, detail); err != nil {
			return err
		}
	}
	return nil
}

// ResolveIdleAlerts resolves the open alerts whose cluster is no longer
// open or saw no inquiry since before (unix ms): the surge is over. It
// returns the clusters whose alert it resolved.
func (s *Storage) ResolveIdleAlerts(ctx context.Context, before, now int64) ([]string, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("storage: unable to begin transaction: %w", err)
	}
	defer tx.Rollback()
	var ids []string
	if err := tx.SelectContext(ctx, &ids, tx.Rebind(`SELECT a.cluster_id FROM alerts a LEFT JOIN clusters c ON c.id = a.cluster_id
		WHERE a.status = 'open' AND (c.id IS NULL OR c.status <> 'open' OR c.last_seen < ?) ORDER BY a.cluster_id`), before); err != nil {
		return nil, fmt.Errorf("storage: unable to list idle alerts: %w", err)
	}
	if err := resolveAlerts(ctx, tx, systemActor, "idle", "", now, ids...); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("storage: unable to commit idle alerts: %w", err)
	}
	return ids, nil
}
