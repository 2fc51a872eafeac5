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

// IncidentCounts counts, per bucket of bucketMS since since, the
// inquiries about an incident and those answered automatically: what
// IncidentVolume gives without the distinct customers, which cost a sort
// per bucket (Customers is left zero).
func (s *Storage) IncidentCounts(ctx context.Context, incidentID string, bucketMS, since int64) ([]VolumeBucket, error) {
	var out []VolumeBucket
	err := s.db.SelectContext(ctx, &out, s.db.Rebind(`SELECT (received_at / ?) * ? AS bucket,
			COUNT(*) AS inquiries,
			SUM(CASE WHEN state = 'answered' THEN 1 ELSE 0 END) AS answered,
			0 AS customers
		FROM `+aboutIncidentSince("received_at, state")+` about
		GROUP BY 1
		ORDER BY 1`), bucketMS, bucketMS, incidentID, since, since, incidentID, incidentID)
	if err != nil {
		return nil, fmt.Errorf("storage: unable to count the inquiries of incident %s: %w", incidentID, err)
	}
	return out, nil
}

// IncidentReach is who an incident reached: counted from its clusters and
// its deliveries, never from its inquiries one by one, so that reading it
// costs the same however many inquiries arrived.
type IncidentReach struct {
	// Customers are the distinct customers in the clusters linked to the
	// incident (an inquiry answered about it has its cluster linked).
	Customers int64 `db:"customers"`
	// InReplied counts the inquiries in linked clusters an agent replied to.
	InReplied int64 `db:"in_replied"`
	// Follow-ups about its status updates, by delivery status.
	FollowupsSent, FollowupsFailed, FollowupsPending int64
}

// IncidentReach reads an incident's reach.
func (s *Storage) IncidentReach(ctx context.Context, incidentID string) (IncidentReach, error) {
	var r IncidentReach
	err := s.db.GetContext(ctx, &r, s.db.Rebind(`SELECT
			(SELECT COUNT(DISTINCT customer_key) FROM cluster_customers
				WHERE cluster_id IN (SELECT id FROM clusters WHERE incident_id = ?)) AS customers,
			(SELECT COALESCE(SUM(inquiries), 0) FROM clusters
				WHERE incident_id = ? AND replied_at IS NOT NULL) AS in_replied`), incidentID, incidentID)
	if err != nil {
		return IncidentReach{}, fmt.Errorf("storage: unable to count the customers of incident %s: %w", incidentID, err)
	}
	rows, err := s.db.QueryContext(ctx, s.db.Rebind(`SELECT status, COUNT(*) FROM deliveries
		WHERE incident_id = ? AND kind = ? GROUP BY status`), incidentID, KindFollowup)
	if err != nil {
		return IncidentReach{}, fmt.Errorf("storage: unable to count the follow-ups of incident %s: %w", incidentID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var status string
		var n int64
		if err := rows.Scan(&status, &n); err != nil {
			return IncidentReach{}, fmt.Errorf("storage: unable to count the follow-ups of incident %s: %w", incidentID, err)
		}
		switch status {
		case DeliveryDelivered:
			r.FollowupsSent = n
		case DeliveryFailed:
			r.FollowupsFailed = n
		default:
			r.FollowupsPending += n
		}
	}
	return r, rows.Err()
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
