package storage

import (
	"context"
	"fmt"
	"time"
)

// VolumeBucket counts an incident's inquiries in one time bucket.
type VolumeBucket struct {
	Start     int64 `db:"bucket"` // unix milliseconds
	Inquiries int64 `db:"inquiries"`
	Answered  int64 `db:"answered"` // answered automatically at intake
	Customers int64 `db:"customers"`
}

// Queued is what went to the human queue.
func (b VolumeBucket) Queued() int64 { return b.Inquiries - b.Answered }

// IncidentVolume counts, per bucket of bucketMS since since, the inquiries
// about an incident: answered about it, or in a cluster linked to it or
// grouped in the incident's problem (every wording of the outage).
func (s *Storage) IncidentVolume(ctx context.Context, incidentID string, bucketMS, since int64) ([]VolumeBucket, error) {
	var out []VolumeBucket
	// The bucket is computed once, in the inner query: PostgreSQL would see
	// the same expression with other parameters in GROUP BY as another one.
	err := s.db.SelectContext(ctx, &out, s.db.Rebind(`SELECT bucket,
			COUNT(*) AS inquiries,
			SUM(CASE WHEN state = 'answered' THEN 1 ELSE 0 END) AS answered,
			COUNT(DISTINCT customer_key) AS customers
		FROM (SELECT (received_at / ?) * ? AS bucket, state, source || ':' || customer_id AS customer_key
			FROM `+aboutIncidentSince("received_at, state, source, customer_id")+` about_rows
		) about
		GROUP BY bucket
		ORDER BY bucket`), bucketMS, bucketMS, incidentID, since, since, incidentID, incidentID)
	if err != nil {
		return nil, fmt.Errorf("storage: unable to count the volume of incident %s: %w", incidentID, err)
	}
	return out, nil
}

// CloseClustersOfIncident closes the open clusters linked to an incident
// (it was resolved: later inquiries start afresh) and returns their ids.
func (s *Storage) CloseClustersOfIncident(ctx context.Context, incidentID string) ([]string, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("storage: unable to begin transaction: %w", err)
	}
	defer tx.Rollback()
	var ids []string
	if err := tx.SelectContext(ctx, &ids, tx.Rebind(`SELECT id FROM clusters WHERE incident_id = ? AND status = 'open' ORDER BY id`), incidentID); err != nil {
		return nil, fmt.Errorf("storage: unable to list clusters of incident %s: %w", incidentID, err)
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE clusters SET status = 'closed' WHERE incident_id = ? AND status = 'open'`), incidentID); err != nil {
		return nil, fmt.Errorf("storage: unable to close clusters of incident %s: %w", incidentID, err)
	}
	if err := resolveAlerts(ctx, tx, systemActor, "incident resolved", incidentID, time.Now().UnixMilli(), ids...); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("storage: unable to commit: %w", err)
	}
	return ids, nil
}

// Recipient is a customer to tell about an incident, on the channel and
// in the language of their latest inquiry about it.
type Recipient struct {
	CustomerKey string `db:"customer_key"`
	InquiryID   string `db:"id"`
	Source      string `db:"source"`
	ReplyURL    string `db:"reply_url"`
	Locale      string `db:"locale"`
}

// aboutIncident selects the inquiries about an incident (two parameters,
// both its id): answered about it, or unanswered in a cluster linked to
// it. An inquiry answered about another incident is that one's, even in
// a cluster linked to this one.
const aboutIncident = `(incident_id = ? OR (incident_id IS NULL AND cluster_id IN (SELECT id FROM clusters WHERE incident_id = ?)))`

// aboutIncidentSince selects, for counting, cols of the inquiries received
// at or after a time that are about an incident or in the clusters of its
// problem (storage/problem.go: every wording of the outage; follow-ups keep
// to aboutIncident), as a union of two index lookups (parameters: the id,
// the time, the time, the id, the id): SQLite answers aboutIncident's OR with a scan
// of every inquiry, which the dashboard would pay per incident per refresh.
// The second lookup goes by cluster: written as "IS NULL", SQLite would
// walk every unanswered inquiry in the incident_id index instead.
func aboutIncidentSince(cols string) string {
	return `(SELECT ` + cols + ` FROM inquiries WHERE incident_id = ? AND received_at >= ?
		UNION ALL
		SELECT ` + cols + ` FROM inquiries WHERE COALESCE(incident_id, '') = '' AND received_at >= ?
			AND cluster_id IN (SELECT id FROM clusters WHERE incident_id = ?
				OR problem_id IN (SELECT id FROM problems WHERE incident_id = ? AND status = 'open')))`
}

// IncidentRecipients returns every customer answered about an incident or
// whose unanswered inquiry is in a cluster linked to it, received at or
// after since, once each, with the channel of their latest such inquiry.
// Only inquiries with a reply channel count, and a customer whose latest
// inquiry was already answered from update version (or later) is left out:
// they have that news.
func (s *Storage) IncidentRecipients(ctx context.Context, incidentID string, since int64, version int) ([]Recipient, error) {
	var out []Recipient
	err := s.db.SelectContext(ctx, &out, s.db.Rebind(`SELECT customer_key, id, source, reply_url, locale FROM (
		SELECT source || ':' || customer_id AS customer_key, id, source, reply_url, locale,
			COALESCE(update_version, 0) AS answered_version, COALESCE(incident_id, '') AS answered_about,
			ROW_NUMBER() OVER (PARTITION BY source, customer_id ORDER BY received_at DESC, id) AS rank
		FROM inquiries
		WHERE reply_url <> '' AND received_at >= ? AND `+aboutIncident+`
	) latest WHERE rank = 1 AND NOT (answered_about = ? AND answered_version >= ?) ORDER BY customer_key`),
		since, incidentID, incidentID, incidentID, version)
	if err != nil {
		return nil, fmt.Errorf("storage: unable to list the customers of incident %s: %w", incidentID, err)
	}
	return out, nil
}
