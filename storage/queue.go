package storage

import (
	"cmp"
	"context"
	"slices"
	"time"

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
