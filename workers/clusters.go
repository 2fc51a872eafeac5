package workers

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/surgedesk/surgedesk/bus"
	"github.com/surgedesk/surgedesk/storage"
	"github.com/surgedesk/surgedesk/triage"
)

// clusterer is the part of triage.Clusterer the workers need.
type clusterer interface {
	Assign(it triage.Item) triage.Assignment
	Cluster(id string) (triage.Cluster, bool)
	Add(clusterID string, it triage.Item)
	Close(id string)
}

// Item is the clusterer's view of a stored inquiry. Customers are keyed by
// source too: the same id on two channels is two people.
func Item(in storage.Inquiry) triage.Item {
	return triage.Item{ID: in.ID, CustomerID: in.CustomerKey(), Text: in.Text, At: time.UnixMilli(in.ReceivedAt)}
}

// assign sets each row's cluster and returns what the clusterer knows of
// the clusters involved, for storage.
func (s *Store) assign(rows []storage.Inquiry) []storage.Cluster {
	seen := map[string]bool{}
	var out []storage.Cluster
	for i := range rows {
		a := s.clusters.Assign(Item(rows[i]))
		rows[i].ClusterID = a.ClusterID
		seen[a.ClusterID] = true
	}
	for id := range seen {
		if c, ok := s.clusters.Cluster(id); ok {
			out = append(out, storage.Cluster{ID: id, Representative: c.Representative, Label: c.Label})
		}
	}
	return out
}

// announcement tells other instances which clusters stored inquiries joined.
type announcement struct {
	Origin  string   `json:"origin"`
	Members []member `json:"members,omitempty"`
	Closed  []string `json:"closed,omitempty"` // clusters closed on every instance
}

type member struct {
	ClusterID string `json:"cluster_id"`
	ID        string `json:"id"`
	Customer  string `json:"customer"`
	Text      string `json:"text"`
	At        int64  `json:"at"`
}

// announce publishes the newly stored rows' clusters. It is best effort:
// an instance that misses one still has SQL to rebuild from on restart.
func (s *Store) announce(rows []storage.Inquiry, inserted map[string]bool) {
	a := announcement{Origin: s.opts.Instance}
	for _, r := range rows {
		if inserted[r.ID] && r.ClusterID != "" {
			a.Members = append(a.Members, member{ClusterID: r.ClusterID, ID: r.ID, Customer: r.CustomerKey(), Text: r.Text, At: r.ReceivedAt})
		}
	}
	if len(a.Members) == 0 {
		return
	}
	data, err := json.Marshal(a)
	if err == nil {
		err = s.js.Conn().Publish(bus.AssignedSubject, data)
	}
	if err != nil {
		s.log.Warn("cluster announcement failed", "err", err)
	}
}

// AnnounceClosed tells every instance, this one included, to close
// clusters in memory (SQL was updated by the caller).
func AnnounceClosed(nc *nats.Conn, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	data, err := json.Marshal(announcement{Closed: ids})
	if err == nil {
		err = nc.Publish(bus.AssignedSubject, data)
	}
	if err != nil {
		return fmt.Errorf("workers: unable to announce closed clusters: %w", err)
	}
	return nil
}

// FollowClusters applies other instances' cluster assignments to c, so
// that an inquiry arriving here joins the cluster its twins joined there.
func FollowClusters(nc *nats.Conn, instance string, c clusterer, log *slog.Logger) (*nats.Subscription, error) {
	sub, err := nc.Subscribe(bus.AssignedSubject, func(m *nats.Msg) {
		var a announcement
		if err := json.Unmarshal(m.Data, &a); err != nil {
			log.Warn("undecodable cluster announcement", "err", err)
			return
		}
		for _, id := range a.Closed {
			c.Close(id)
		}
		if a.Origin == instance {
			return
		}
		for _, mb := range a.Members {
			c.Add(mb.ClusterID, triage.Item{ID: mb.ID, CustomerID: mb.Customer, Text: mb.Text, At: time.UnixMilli(mb.At)})
		}
	})
	if err != nil {
		return nil, fmt.Errorf("workers: unable to follow cluster announcements: %w", err)
	}
	return sub, nil
}

// clusterSource is the part of storage a restart rebuilds clusters from.
type clusterSource interface {
	OpenClusters(ctx context.Context, since int64, limit int) ([]storage.Cluster, error)
	RecentClusterMembers(ctx context.Context, since int64, perCluster int) (map[string][]storage.Inquiry, error)
}

// restorer is the part of triage.Clusterer a restart needs.
type restorer interface {
	Restore(cl triage.Cluster, members []triage.Item)
}

// RestoreClusters rebuilds c from the clusters still open at now (seen
// within idle) and a sample of each one's newest members. It returns how
// many clusters it restored.
func RestoreClusters(ctx context.Context, src clusterSource, c restorer, now time.Time, idle time.Duration, sample int) (int, error) {
	since := now.Add(-idle).UnixMilli()
	open, err := src.OpenClusters(ctx, since, math.MaxInt32)
	if err != nil {
		return 0, err
	}
	members, err := src.RecentClusterMembers(ctx, since, sample)
	if err != nil {
		return 0, err
	}
	// Oldest first, so that the clusterer's idle ordering matches.
	slices.SortFunc(open, func(a, b storage.Cluster) int { return cmp.Compare(a.LastSeen, b.LastSeen) })
	for _, cl := range open {
		items := make([]triage.Item, 0, len(members[cl.ID]))
		for _, in := range slices.Backward(members[cl.ID]) {
			items = append(items, Item(in))
		}
		c.Restore(triage.Cluster{
			ID: cl.ID, Representative: cl.Representative, Label: cl.Label,
			Count: int(cl.Inquiries), Customers: int(cl.Customers),
			FirstSeen: time.UnixMilli(cl.FirstSeen), LastSeen: time.UnixMilli(cl.LastSeen),
		}, items)
	}
	return len(open), nil
}
