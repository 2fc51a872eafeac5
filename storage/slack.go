package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// SlackMessage is a Slack message surgedesk keeps up to date: the board's
// message of a cluster, or a surge alert's.
type SlackMessage struct {
	Subject   string `db:"subject"` // "cluster:<id>", "alert:<cluster id>"
	Channel   string `db:"channel"`
	TS        string `db:"ts"`
	Digest    string `db:"digest"`     // of what it shows; empty forces a refresh
	Done      bool   `db:"done"`       // in its final state, no longer updated
	UpdatedAt int64  `db:"updated_at"` // unix ms of the last post or update; 0 forces a refresh
}

const slackMessageColumns = `subject, channel, ts, digest, done <> 0 AS done, updated_at`

// SlackMessages returns the messages of subjects, and every message not
// done yet, by subject.
func (s *Storage) SlackMessages(ctx context.Context, subjects []string) (map[string]SlackMessage, error) {
	q, args := `SELECT `+slackMessageColumns+` FROM slack_messages WHERE done = 0`, []any(nil)
	if len(subjects) > 0 {
		var err error
		q, args, err = sqlx.In(`SELECT `+slackMessageColumns+` FROM slack_messages WHERE done = 0 OR subject IN (?)`, subjects)
		if err != nil {
			return nil, fmt.Errorf("storage: %w", err)
		}
	}
	var ms []SlackMessage
	if err := s.db.SelectContext(ctx, &ms, s.db.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("storage: unable to read Slack messages: %w", err)
	}
	out := make(map[string]SlackMessage, len(ms))
	for _, m := range ms {
		out[m.Subject] = m
	}
	return out, nil
}

// SaveSlackMessage records a message as posted or updated.
func (s *Storage) SaveSlackMessage(ctx context.Context, m SlackMessage) error {
	done := 0
	if m.Done {
		done = 1
	}
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO slack_messages (subject, channel, ts, digest, done, updated_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (subject) DO UPDATE SET
		channel = excluded.channel, ts = excluded.ts, digest = excluded.digest, done = excluded.done, updated_at = excluded.updated_at`),
		m.Subject, m.Channel, m.TS, m.Digest, done, m.UpdatedAt)
	if err != nil {
		return fmt.Errorf("storage: unable to save Slack message %s: %w", m.Subject, err)
	}
	return nil
}

// RefreshSlackMessage makes a message due for an update at once, whatever
// its interval: someone acted on it and expects to see the result. A
// subject with no message is no error.
func (s *Storage) RefreshSlackMessage(ctx context.Context, subject string) error {
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE slack_messages SET digest = '', updated_at = 0 WHERE subject = ?`), subject); err != nil {
		return fmt.Errorf("storage: unable to refresh Slack message %s: %w", subject, err)
	}
	return nil
}

// AcquireLease takes the lease name for owner until now+ttl, or renews it
// when owner holds it already, in one atomic statement; it reports whether
// owner holds the lease now. Another owner's lease is taken only once
// expired.
func (s *Storage) AcquireLease(ctx context.Context, name, owner string, now time.Time, ttl time.Duration) (bool, error) {
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO leases (name, owner, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
		WHERE leases.owner = excluded.owner OR leases.expires_at < ?`),
		name, owner, now.Add(ttl).UnixMilli(), now.UnixMilli())
	if err != nil {
		return false, fmt.Errorf("storage: unable to acquire lease %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("storage: unable to acquire lease %s: %w", name, err)
	}
	return n == 1, nil
}

// ReleaseLease gives up owner's lease, so that another instance need not
// wait for it to expire.
func (s *Storage) ReleaseLease(ctx context.Context, name, owner string) error {
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM leases WHERE name = ? AND owner = ?`), name, owner); err != nil {
		return fmt.Errorf("storage: unable to release lease %s: %w", name, err)
	}
	return nil
}

// Alert statuses.
const (
	AlertOpen      = "open"
	AlertDeclared  = "declared"
	AlertDismissed = "dismissed"
)

// AlertDecision is who declared or dismissed an alert, and the incident
// declared.
type AlertDecision struct {
	ClusterID  string `db:"cluster_id"`
	Status     string `db:"status"`
	By         string `db:"decided_by"`
	At         int64  `db:"decided_at"` // unix ms
	IncidentID string `db:"incident_id"`
}

// DecideAlert moves the alert of a cluster from status from to status to
// for actor (declared with incidentID, dismissed, or back to open when a
// declaration failed half-way), audited. An alert not in status from is
// ErrExists (someone decided first); no alert is ErrNotFound.
func (s *Storage) DecideAlert(ctx context.Context, actor, clusterID, from, to, incidentID string, now int64) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("storage: unable to begin transaction: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE alerts SET status = ?, decided_by = ?, decided_at = ?, incident_id = ?
		WHERE cluster_id = ? AND status = ?`), to, nullString(actor), now, nullString(incidentID), clusterID, from)
	if err != nil {
		return fmt.Errorf("storage: unable to decide alert %s: %w", clusterID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		var status string
		err := tx.GetContext(ctx, &status, tx.Rebind(`SELECT status FROM alerts WHERE cluster_id = ?`), clusterID)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("storage: alert %s: %w", clusterID, ErrNotFound)
		case err != nil:
			return fmt.Errorf("storage: unable to read alert %s: %w", clusterID, err)
		}
		return fmt.Errorf("storage: alert %s is %s already: %w", clusterID, status, ErrExists)
	}
	if err := addAudit(ctx, tx, actor, "alert."+to, "alert:"+clusterID, map[string]string{"incident_id": incidentID}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("storage: unable to commit alert %s: %w", clusterID, err)
	}
	return nil
}

// AlertDecisions returns the decisions on the alerts of clusterIDs that
// have one, by cluster.
func (s *Storage) AlertDecisions(ctx context.Context, clusterIDs []string) (map[string]AlertDecision, error) {
	out := map[string]AlertDecision{}
	if len(clusterIDs) == 0 {
		return out, nil
	}
	q, args, err := sqlx.In(`SELECT cluster_id, status, COALESCE(decided_by, '') AS decided_by, COALESCE(decided_at, 0) AS decided_at,
		COALESCE(incident_id, '') AS incident_id FROM alerts WHERE cluster_id IN (?) AND status <> 'open'`, clusterIDs)
	if err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	var ds []AlertDecision
	if err := s.db.SelectContext(ctx, &ds, s.db.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("storage: unable to read alert decisions: %w", err)
	}
	for _, d := range ds {
		out[d.ClusterID] = d
	}
	return out, nil
}

// Recent counts a cluster's inquiries in the last 5 and 15 minutes.
type Recent struct {
	Last5m, Last15m int
}

// RecentCounts counts, from SQL, the inquiries of clusterIDs received in
// the 5 and 15 minutes before now (unix ms): what an instance with no
// clustering of its own (or not the one that clustered them) shows.
func (s *Storage) RecentCounts(ctx context.Context, clusterIDs []string, now int64) (map[string]Recent, error) {
	out := map[string]Recent{}
	if len(clusterIDs) == 0 {
		return out, nil
	}
	q, args, err := sqlx.In(`SELECT cluster_id, SUM(CASE WHEN received_at >= ? THEN 1 ELSE 0 END) AS last5, COUNT(*) AS last15
		FROM inquiries WHERE cluster_id IN (?) AND received_at >= ? GROUP BY cluster_id`,
		now-(5*time.Minute).Milliseconds(), clusterIDs, now-(15*time.Minute).Milliseconds())
	if err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	rows, err := s.db.QueryxContext(ctx, s.db.Rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("storage: unable to count recent inquiries: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var r Recent
		if err := rows.Scan(&id, &r.Last5m, &r.Last15m); err != nil {
			return nil, fmt.Errorf("storage: unable to count recent inquiries: %w", err)
		}
		out[id] = r
	}
	return out, rows.Err()
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }
