package desk

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/surgedesk/surgedesk/storage"
	"github.com/surgedesk/surgedesk/triage"
)

// maxQueue bounds the open clusters one queue read ranks: far more than a
// surge opens (the queue ranks every open cluster, then pages).
const maxQueue = 10000

// QueueItem is an open cluster as the agents' queue shows it.
type QueueItem struct {
	storage.Cluster
	storage.Recent                   // inquiries in the last 5 and 15 minutes, counted in SQL
	Samples        []storage.Inquiry // the newest members, at most the number asked for
	Urgent         bool              // the representative or a sample mentions money, fraud, hacking or privacy
	Priority       float64           // triage.Priority
}

// Queue returns the agents' queue: the clusters open and seen within the
// idle window, highest triage.Priority first, each with up to samples of
// its newest members. Every instance computes the same order: the signals
// all come from SQL. The HTTP API, the Slack board and the slash command
// all read it here.
func (d *Desk) Queue(ctx context.Context, samples int) ([]QueueItem, error) {
	now := d.Now()
	since := now.Add(-d.IdleWindow).UnixMilli()
	open, err := d.Store.OpenClusters(ctx, since, maxQueue)
	if err != nil || len(open) == 0 {
		return nil, err
	}
	members, err := d.Store.ClusterSamples(ctx, since, samples)
	if err != nil {
		return nil, err
	}
	recent, err := d.Store.OpenRecentCounts(ctx, since, now.UnixMilli())
	if err != nil {
		return nil, err
	}
	items := make([]QueueItem, 0, len(open))
	for _, c := range open {
		items = append(items, rank(QueueItem{Cluster: c, Recent: recent[c.ID], Samples: members[c.ID]}, now))
	}
	slices.SortStableFunc(items, func(x, y QueueItem) int { return cmp.Compare(y.Priority, x.Priority) })
	return items, nil
}

// rank sets an item's urgency and priority from its signals.
func rank(it QueueItem, now time.Time) QueueItem {
	it.Urgent = triage.Urgent(it.Representative)
	for _, m := range it.Samples {
		it.Urgent = it.Urgent || triage.Urgent(m.Text)
	}
	it.Priority = triage.Priority(triage.QueueSignals{
		Inquiries: int(it.Inquiries), Customers: int(it.Customers), Last5m: it.Last5m, Last15m: it.Last15m,
		Urgent: it.Urgent, Unanswered: now.Sub(time.UnixMilli(it.FirstSeen)), Incident: it.IncidentID != "",
	})
	return it
}
