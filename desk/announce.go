package desk

import (
	"context"

	"github.com/surgedesk/surgedesk/kb"
	"github.com/surgedesk/surgedesk/storage"
	"github.com/surgedesk/surgedesk/workers"
)

// What follows an action, announced to every instance. Announcements are
// best effort: SQL is already changed, and an instance that misses one
// catches up at the next announcement or on restart.

func (d *Desk) changed(what string) {
	if d.Conn == nil {
		return
	}
	if err := kb.AnnounceChange(d.Conn, what); err != nil {
		d.Log.Warn("knowledge-base change not announced", "err", err)
	}
}

// closed closes clusters in this instance's clusterer and announces it.
func (d *Desk) closed(ids []string) {
	if d.Clusters != nil {
		for _, id := range ids {
			d.Clusters.Close(id)
		}
	}
	if d.Conn == nil {
		return
	}
	if err := workers.AnnounceClosed(d.Conn, ids); err != nil {
		d.Log.Warn("closed clusters not announced", "err", err)
	}
}

func (d *Desk) merged(from, into string) {
	if d.Clusters != nil {
		d.Clusters.Merge(from, into)
	}
	if d.Problems != nil {
		d.Problems.Forget(from) // its members count in into, and so in into's problem
	}
	if d.Conn == nil {
		return
	}
	if err := workers.AnnounceMerge(d.Conn, d.Instance, from, into); err != nil {
		d.Log.Warn("merge not announced; other instances learn it on restart", "from", from, "into", into, "err", err)
	}
}

func (d *Desk) split(ctx context.Context, from, to string) {
	// Committed: the texts for the clusterers are best effort, and a
	// restart rebuilds both clusters from SQL whatever happens here.
	moved, err := d.Store.InquiriesByCluster(ctx, to, MaxSplit)
	var kept []storage.Inquiry
	if err == nil {
		kept, err = d.Store.InquiriesByCluster(ctx, from, splitKeptSample)
	}
	if err != nil {
		d.Log.Error("split committed but not applied in memory", "cluster", from, "new", to, "err", err)
		return
	}
	if d.Clusters != nil {
		d.Clusters.Split(from, to, items(moved), items(kept))
	}
	if d.Conn == nil {
		return
	}
	if err := workers.AnnounceSplit(d.Conn, d.Instance, from, to, moved, kept); err != nil {
		d.Log.Warn("split not announced; other instances learn it on restart", "from", from, "to", to, "err", err)
	}
}
