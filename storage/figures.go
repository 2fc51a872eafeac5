package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// DeskVolume counts, per bucket of bucketMS since since, every inquiry
// and those answered automatically (Customers is left zero: distinct
// customers across the whole desk are not worth a scan per refresh).
func (s *Storage) DeskVolume(ctx context.Context, bucketMS, since int64) ([]VolumeBucket, error) {
	var out []VolumeBucket
	err := s.db.SelectContext(ctx, &out, s.db.Rebind(`SELECT bucket,
			COUNT(*) AS inquiries,
			SUM(CASE WHEN state = 'answered' THEN 1 ELSE 0 END) AS answered,
			0 AS customers
		FROM (SELECT (received_at / ?) * ? AS bucket, state FROM inquiries WHERE received_at >= ?) recent
		GROUP BY bucket
		ORDER BY bucket`), bucketMS, bucketMS, since)
	if err != nil {
		return nil, fmt.Errorf("storage: unable to count the desk's volume: %w", err)
	}
	return out, nil
}

// IncidentTotals are an incident's figures since it started.
type IncidentTotals struct {
	Inquiries int64 `db:"inquiries"`
	Answered  int64 `db:"answered"`  // answered automatically at intake
	Replied   int64 `db:"replied"`   // unanswered, in a cluster an agent replied to
	Customers int64 `db:"customers"` // distinct
	// Follow-ups about its status updates, by delivery status.
	FollowupsSent, FollowupsFailed, FollowupsPending int64
}

// Queued is what went to the human queue.
func (t IncidentTotals) Queued() int64 { return t.Inquiries - t.Answered }

// IncidentTotals counts an incident's inquiries received at or after
// since and its follow-ups.
func (s *Storage) IncidentTotals(ctx context.Context, incidentID string, since int64) (IncidentTotals, error) {
	var t IncidentTotals
	err := s.db.GetContext(ctx, &t, s.db.Rebind(`SELECT COUNT(*) AS inquiries,
			COALESCE(SUM(CASE WHEN i.state = 'answered' THEN 1 ELSE 0 END), 0) AS answered,
			COALESCE(SUM(CASE WHEN i.state <> 'answered' AND c.replied_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS replied,
			COUNT(DISTINCT i.source || ':' || i.customer_id) AS customers
		FROM `+aboutIncidentSince("state, source, customer_id, cluster_id")+` i LEFT JOIN clusters c ON c.id = i.cluster_id`),
		incidentID, since, since, incidentID)
	if err != nil {
		return IncidentTotals{}, fmt.Errorf("storage: unable to count the inquiries of incident %s: %w", incidentID, err)
	}
	rows, err := s.db.QueryContext(ctx, s.db.Rebind(`SELECT status, COUNT(*) FROM deliveries
		WHERE incident_id = ? AND kind = ? GROUP BY status`), incidentID, KindFollowup)
	if err != nil {
		return IncidentTotals{}, fmt.Errorf("storage: unable to count the follow-ups of incident %s: %w", incidentID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var status string
		var n int64
		if err := rows.Scan(&status, &n); err != nil {
			return IncidentTotals{}, fmt.Errorf("storage: unable to count the follow-ups of incident %s: %w", incidentID, err)
		}
		switch status {
		case DeliveryDelivered:
			t.FollowupsSent = n
		case DeliveryFailed:
			t.FollowupsFailed = n
		default:
			t.FollowupsPending += n
		}
	}
	return t, rows.Err()
}

// OldestWaiting returns the open cluster seen at or after since that has
// waited longest for a person: no incident linked (which answers it) and
// no reply. ErrNotFound when nothing waits.
func (s *Storage) OldestWaiting(ctx context.Context, since int64) (Cluster, error) {
	var c Cluster
	err := s.db.GetContext(ctx, &c, s.db.Rebind(`SELECT `+clusterColumns+` FROM clusters
		WHERE status = 'open' AND last_seen >= ? AND incident_id IS NULL AND replied_at IS NULL
		ORDER BY first_seen, id LIMIT 1`), since)
	if errors.Is(err, sql.ErrNoRows) {
		return Cluster{}, ErrNotFound
	}
	if err != nil {
		return Cluster{}, fmt.Errorf("storage: unable to find the oldest waiting cluster: %w", err)
	}
	c.decode()
	return c, nil
}

// FirstReplyTimes returns, for each cluster an agent replied to at or
// after since, how long its first inquiry waited for that reply (ms).
func (s *Storage) FirstReplyTimes(ctx context.Context, since int64, limit int) ([]int64, error) {
	var out []int64
	err := s.db.SelectContext(ctx, &out, s.db.Rebind(`SELECT replied_at - first_seen FROM clusters
		WHERE replied_at >= ? ORDER BY replied_at DESC LIMIT ?`), since, limit)
	if err != nil {
		return nil, fmt.Errorf("storage: unable to read reply times: %w", err)
	}
	return out, nil
}
