package storage

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/surgedesk/surgedesk/triage"
)

// QueueItem is an open cluster as the agents' queue shows it.
type QueueItem struct {
	Cluster
	Recent             // inquiries in the last 5 and 15 minutes, counted in SQL
	Samples  []Inquiry // the newest members, at most the number asked for
	Urgent   bool      // the representative or a sample mentions money, fraud, hacking or privacy
	Priority float64   // triage.Priority
}

// Queue returns the agents' queue: the clusters open and seen within idle
// before now, highest triage.Priority first, each with its newest samples.
// Every instance computes the same order: the signals all come from SQL.
// The HTTP API, the Slack board and the slash command all read it here.
func (s *Storage) Queue(ctx context.Context, now time.Time, idle time.Duration, samples int) ([]QueueItem, error) {
	since := now.Add(-idle).UnixMilli()
	open, err := s.OpenClusters(ctx, since, 1000)
	if err != nil || len(open) == 0 {
		return nil, err
	}
	members, err := s.RecentClusterMembers(ctx, since, samples)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(open))
	for i, c := range open {
		ids[i] = c.ID
	}
	recent, err := s.RecentCounts(ctx, ids, now.UnixMilli())
	if err != nil {
		return nil, err
	}
	items := make([]QueueItem, 0, len(open))
	for _, c := range open {
		it := QueueItem{Cluster: c, Recent: recent[c.ID], Samples: members[c.ID], Urgent: triage.Urgent(c.Representative)}
		for _, m := range it.Samples {
			it.Urgent = it.Urgent || triage.Urgent(m.Text)
		}
		it.Priority = triage.Priority(triage.QueueSignals{
			Inquiries: int(c.Inquiries), Customers: int(c.Customers), Last5m: it.Last5m, Last15m: it.Last15m,
			Urgent: it.Urgent, Unanswered: now.Sub(time.UnixMilli(c.FirstSeen)), Incident: c.IncidentID != "",
		})
		items = append(items, it)
	}
	slices.SortStableFunc(items, func(x, y QueueItem) int { return cmp.Compare(y.Priority, x.Priority) })
	return items, nil
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
