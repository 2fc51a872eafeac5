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
	Samples        []storage.Inquiry // the newest members, once Samples filled them in
	Urgent         bool              // a member or the representative mentions money, fraud, hacking or privacy
	Priority       float64           // triage.Priority
}

// Queue returns the agents' queue: the clusters open and seen within the
// idle window, highest triage.Priority first. Every instance computes the
// same order: the signals all come from SQL, kept there as inquiries are
// stored, so a read costs what the open clusters cost, not what the surge
// stored. The HTTP API, the Slack board and the slash command all read it
// here, then fill in the samples of the items they show (Samples).
func (d *Desk) Queue(ctx context.Context) ([]QueueItem, error) {
	now := d.Now()
	since := now.Add(-d.IdleWindow).UnixMilli()
	open, err := d.Store.OpenClusters(ctx, since, maxQueue)
	if err != nil || len(open) == 0 {
		return nil, err
	}
	recent, err := d.Store.OpenRecentCounts(ctx, since, now.UnixMilli())
	if err != nil {
		return nil, err
	}
	items := make([]QueueItem, 0, len(open))
	for _, c := range open {
		it := QueueItem{Cluster: c, Recent: recent[c.ID]}
		// Members are marked as they are stored; the representative is
		// checked too for clusters stored before that was kept.
		it.Urgent = c.Urgent || d.urgent(c.Representative)
		items = append(items, rank(it, now))
	}
	slices.SortStableFunc(items, func(x, y QueueItem) int { return cmp.Compare(y.Priority, x.Priority) })
	return items, nil
}

// Samples sets the Samples of items to up to n of each one's newest
// members, in one read.
func (d *Desk) Samples(ctx context.Context, items []QueueItem, n int) error {
	ids := make([]string, 0, len(items))
	for _, it := range items {
		ids = append(ids, it.ID)
	}
	samples, err := d.Store.ClusterSamples(ctx, ids, n)
	if err != nil {
		return err
	}
	for i := range items {
		items[i].Samples = samples[items[i].ID]
	}
	return nil
}

// urgent is triage.Urgent(text), remembered.
func (d *Desk) urgent(text string) bool {
	d.urgentTexts.Lock()
	defer d.urgentTexts.Unlock()
	if u, ok := d.urgentTexts.m[text]; ok {
		return u
	}
	if d.urgentTexts.m == nil || len(d.urgentTexts.m) >= 2*maxQueue {
		d.urgentTexts.m = map[string]bool{}
	}
	u := triage.Urgent(text)
	d.urgentTexts.m[text] = u
	return u
}

// rank sets an item's priority from its signals.
func rank(it QueueItem, now time.Time) QueueItem {
	it.Priority = triage.Priority(triage.QueueSignals{
		Inquiries: int(it.Inquiries), Customers: int(it.Customers), Last5m: it.Last5m, Last15m: it.Last15m,
		Urgent: it.Urgent, Unanswered: now.Sub(time.UnixMilli(it.FirstSeen)), Incident: it.IncidentID != "",
	})
	return it
}
