package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/surgedesk/surgedesk/kb"
)

// SlackMessage is a Slack message surgedesk keeps up to date: the board's
// message of a cluster, or a surge alert's.
type SlackMessage struct {
	Subject   string `db:"subject"` // "cluster:<id>", "alert:<cluster id>"
	Channel   string `db:"channel"`
	TS        string `db:"ts"`
	Digest    string `db:"digest"`     // of what it shows; empty forces a refresh
	Done      bool   `db:"done"`       // in its final state, no longer updated
	UpdatedAt int64  `db:"updated_at"` // unix ms of the last post or update (with no ts: of the last attempt); 0 forces a refresh
	// ReservedAt is when the subject was reserved for its post (unix ms):
	// with no TS, a post is under way or its outcome unknown.
	ReservedAt int64 `db:"reserved_at"`
	// Version counts the refreshes asked for (RefreshSlackMessage); a save
	// made from an older version does not mark the message up to date.
	Version int64 `db:"version"`
}

const slackMessageColumns = `subject, channel, ts, digest, done <> 0 AS done, updated_at, reserved_at, version`

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

// SaveSlackMessage records a message as posted or updated. When a refresh
// was asked for since m was read (its Version is older), the message stays
// due at once: what was shown may predate the click.
func (s *Storage) SaveSlackMessage(ctx context.Context, m SlackMessage) error {
	done := 0
	if m.Done {
		done = 1
	}
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO slack_messages (subject, channel, ts, digest, done, updated_at, reserved_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (subject) DO UPDATE SET
		channel = excluded.channel, ts = excluded.ts,
		digest = CASE WHEN slack_messages.version = ? THEN excluded.digest ELSE '' END,
		done = CASE WHEN slack_messages.version = ? THEN excluded.done ELSE 0 END,
		updated_at = CASE WHEN slack_messages.version = ? THEN excluded.updated_at ELSE 0 END`),
		m.Subject, m.Channel, m.TS, m.Digest, done, m.UpdatedAt, m.ReservedAt, m.Version, m.Version, m.Version)
	if err != nil {
		return fmt.Errorf("storage: unable to save Slack message %s: %w", m.Subject, err)
	}
	return nil
}

// RefreshSlackMessage makes a message due for an update at once, whatever
// its interval: someone acted on it and expects to see the result. A
// subject with no message is no error. A subject whose post is under way
// keeps its attempt time (the post's backoff) but its version moves on.
func (s *Storage) RefreshSlackMessage(ctx context.Context, subject string) error {
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE slack_messages SET digest = '', version = version + 1,
		updated_at = CASE WHEN ts = '' THEN updated_at ELSE 0 END WHERE subject = ?`), subject); err != nil {
		return fmt.Errorf("storage: unable to refresh Slack message %s: %w", subject, err)
	}
	return nil
}

// ReserveSlackMessage reserves subject for a post in channel by the
// caller alone, at now (unix ms): two instances that both believe they
// drive the board never both post it. A subject with a message in another
// channel (the agents' channel changed) is taken over. It reports whether
// the caller got the reservation.
func (s *Storage) ReserveSlackMessage(ctx context.Context, subject, channel string, now int64) (bool, error) {
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO slack_messages (subject, channel, ts, digest, done, updated_at, reserved_at)
		VALUES (?, ?, '', '', 0, ?, ?) ON CONFLICT (subject) DO UPDATE SET channel = excluded.channel, ts = '', digest = '',
		done = 0, updated_at = excluded.updated_at, reserved_at = excluded.reserved_at
		WHERE slack_messages.channel <> excluded.channel`), subject, channel, now, now)
	if err != nil {
		return false, fmt.Errorf("storage: unable to reserve Slack message %s: %w", subject, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("storage: unable to reserve Slack message %s: %w", subject, err)
	}
	return n == 1, nil
}

// RetrySlackPost takes the next attempt at a reserved post whose outcome
// is unknown, last attempted at prev (unix ms): compare-and-set, so that
// one caller looks it up and posts it again. It reports whether the
// caller got it.
func (s *Storage) RetrySlackPost(ctx context.Context, subject string, prev, now int64) (bool, error) {
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE slack_messages SET updated_at = ?
		WHERE subject = ? AND ts = '' AND updated_at = ?`), now, subject, prev)
	if err != nil {
		return false, fmt.Errorf("storage: unable to retry Slack message %s: %w", subject, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("storage: unable to retry Slack message %s: %w", subject, err)
	}
	return n == 1, nil
}

// ForgetSlackMessage drops the record of m (matched on its ts and
// reservation, so that a newer one stays): its post surely failed, or the
// message is gone from Slack; the next post of its subject is a new one.
func (s *Storage) ForgetSlackMessage(ctx context.Context, m SlackMessage) error {
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM slack_messages WHERE subject = ? AND ts = ? AND reserved_at = ?`),
		m.Subject, m.TS, m.ReservedAt); err != nil {
		return fmt.Errorf("storage: unable to forget Slack message %s: %w", m.Subject, err)
	}
	return nil
}

// AcquireLease takes the lease name for owner until now+ttl, or renews it
// when owner holds it already, in one atomic statement; it reports whether
// owner holds the lease now. Another owner's lease is taken only once
// expired. On PostgreSQL, now is the database's clock, not the caller's:
// instances on several hosts agree on when a lease expires whatever their
// clocks. SQLite is one file on one host, whose clock all callers share.
func (s *Storage) AcquireLease(ctx context.Context, name, owner string, now time.Time, ttl time.Duration) (bool, error) {
	clock, args := s.leaseClock(now)
	q := `INSERT INTO leases (name, owner, expires_at) VALUES (?, ?, ` + clock + ` + ?)
		ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
		WHERE leases.owner = excluded.owner OR leases.expires_at < ` + clock
	all := append(append([]any{name, owner}, args...), ttl.Milliseconds())
	res, err := s.db.ExecContext(ctx, s.db.Rebind(q), append(all, args...)...)
	if err != nil {
		return false, fmt.Errorf("storage: unable to acquire lease %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("storage: unable to acquire lease %s: %w", name, err)
	}
	return n == 1, nil
}

// RenewLease extends owner's lease to now+ttl only while owner still holds
// it (compare-and-set on owner; now is the database's clock on PostgreSQL,
// as for AcquireLease). It reports whether owner holds it: false means
// another instance took it, and owner must stop acting on it.
func (s *Storage) RenewLease(ctx context.Context, name, owner string, now time.Time, ttl time.Duration) (bool, error) {
	clock, args := s.leaseClock(now)
	all := append(append(args, ttl.Milliseconds()), name, owner)
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE leases SET expires_at = `+clock+` + ? WHERE name = ? AND owner = ?`), all...)
	if err != nil {
		return false, fmt.Errorf("storage: unable to renew lease %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("storage: unable to renew lease %s: %w", name, err)
	}
	return n == 1, nil
}

// leaseClock is the SQL for now in unix ms, and its arguments.
func (s *Storage) leaseClock(now time.Time) (string, []any) {
	if s.postgres {
		return `CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)`, nil
	}
	return `CAST(? AS BIGINT)`, []any{now.UnixMilli()}
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
	// AlertResolved is an alert whose cluster was dealt with before anyone
	// decided it: linked to an incident, resolved, merged away or idle.
	AlertResolved = "resolved"
)

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

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// DeclareAlert declares inc from the open alert of a cluster for actor, in
// one transaction: the alert is marked declared with the incident's id,
// the incident is created (defaults as CreateIncident), the cluster, when
// it exists, is linked to it, and all three are audited. Nothing is seen
// half-done and a crash leaves nothing half-done; of two declarations at
// once, one creates the incident and the other gets ErrExists. No alert
// is ErrNotFound.
func (s *Storage) DeclareAlert(ctx context.Context, actor, clusterID string, inc kb.Incident) (kb.Incident, error) {
	if len(inc.Updates) > 0 || inc.Status == kb.Resolved {
		return kb.Incident{}, fmt.Errorf("storage: %w: a declared incident is new and open", kb.ErrInvalid)
	}
	inc, err := newIncident(inc, time.Now())
	if err != nil {
		return kb.Incident{}, err
	}
	now := inc.CreatedAt
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return kb.Incident{}, fmt.Errorf("storage: unable to begin transaction: %w", err)
	}
	defer tx.Rollback()
	// The alert first: on PostgreSQL a second declaration waits on its row
	// and then finds it declared.
	res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE alerts SET status = ?, decided_by = ?, decided_at = ?, incident_id = ?
		WHERE cluster_id = ? AND status = ?`), AlertDeclared, nullString(actor), now.UnixMilli(), inc.ID, clusterID, AlertOpen)
	if err != nil {
		return kb.Incident{}, fmt.Errorf("storage: unable to declare alert %s: %w", clusterID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		var status string
		err := tx.GetContext(ctx, &status, tx.Rebind(`SELECT status FROM alerts WHERE cluster_id = ?`), clusterID)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return kb.Incident{}, fmt.Errorf("storage: alert %s: %w", clusterID, ErrNotFound)
		case err != nil:
			return kb.Incident{}, fmt.Errorf("storage: unable to read alert %s: %w", clusterID, err)
		}
		return kb.Incident{}, fmt.Errorf("storage: alert %s is %s already: %w", clusterID, status, ErrExists)
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO incidents (`+incidentColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		incidentArgs(inc)...); err != nil {
		return kb.Incident{}, fmt.Errorf("storage: unable to create incident %s: %w", inc.ID, err)
	}
	res, err = tx.ExecContext(ctx, tx.Rebind(`UPDATE clusters SET incident_id = ? WHERE id = ? AND status <> 'merged'`), inc.ID, clusterID)
	if err != nil {
		return kb.Incident{}, fmt.Errorf("storage: unable to link cluster %s: %w", clusterID, err)
	}
	linked, _ := res.RowsAffected()
	audits := []struct {
		action, subject string
		detail          any
	}{
		{"alert." + AlertDeclared, "alert:" + clusterID, map[string]string{"incident_id": inc.ID}},
		{"incident.create", "incident:" + inc.ID, inc},
	}
	if linked > 0 {
		audits = append(audits, struct {
			action, subject string
			detail          any
		}{"cluster.link", "cluster:" + clusterID, map[string]string{"incident_id": inc.ID}})
	}
	for _, a := range audits {
		if err := addAudit(ctx, tx, actor, a.action, a.subject, a.detail); err != nil {
			return kb.Incident{}, err
		}
	}
	if err := tx.Commit(); err != nil {
		return kb.Incident{}, fmt.Errorf("storage: unable to commit the declaration of alert %s: %w", clusterID, err)
	}
	return inc, nil
}
