package workers

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"
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
	Merge(from, into string)
	Split(from, to string, moved, kept []triage.Item)
}

// assign sets each row's cluster and returns what the clusterer knows of
// the clusters involved, for storage.
func (s *Ingest) assign(rows []storage.Inquiry) []storage.Cluster {
	seen := map[string]bool{}
	var out []storage.Cluster
	assigned := make([]triage.Assignment, len(rows))
	for i := range rows {
		a := s.clusters.Assign(rows[i].Item())
		rows[i].ClusterID = a.ClusterID
		assigned[i] = a
		seen[a.ClusterID] = true
	}
	for id := range seen {
		if c, ok := s.clusters.Cluster(id); ok {
			out = append(out, storage.Cluster{ID: id, Representative: c.Representative, Label: c.Label})
		}
	}
	s.place(rows, assigned, out)
	return out
}

// announcement tells other instances which clusters stored inquiries
// joined, and which clusters agents closed, merged or split.
type announcement struct {
	Origin  string      `json:"origin"`
	Members []member    `json:"members,omitempty"`
	Closed  []string    `json:"closed,omitempty"` // clusters closed on every instance
	Merged  []mergeNote `json:"merged,omitempty"`
	Split   []splitNote `json:"split,omitempty"`
	// Problems are agents' moves of clusters and merges of problems.
	Problems []problemNote `json:"problems,omitempty"`
}

type mergeNote struct {
	From string `json:"from"`
	Into string `json:"into"`
}

// splitNote carries the texts the clusterers rebuild both centroids from:
// the moved members and a sample of those kept.
type splitNote struct {
	From  string   `json:"from"`
	To    string   `json:"to"`
	Moved []member `json:"moved"`
	Kept  []member `json:"kept"`
}

type member struct {
	ClusterID string `json:"cluster_id"`
	ID        string `json:"id"`
	Customer  string `json:"customer"`
	Text      string `json:"text"`
	At        int64  `json:"at"`
	ProblemID string `json:"problem_id,omitempty"`
}

// announce publishes the newly stored rows' clusters. It is best effort:
// an instance that misses one still has SQL to rebuild from on restart.
func (s *Ingest) announce(rows []storage.Inquiry, inserted map[string]bool) {
	a := announcement{Origin: s.opts.Instance}
	for _, r := range rows {
		if inserted[r.ID] && r.ClusterID != "" {
			a.Members = append(a.Members, member{ClusterID: r.ClusterID, ID: r.ID, Customer: r.CustomerKey(), Text: r.Text, At: r.ReceivedAt, ProblemID: r.ProblemID})
		}
	}
	if len(a.Members) == 0 {
		return
	}
	if err := publishAnnouncement(s.js.Conn(), "cluster", a); err != nil {
		s.log.Warn("cluster announcement failed", "err", err)
	}
}

// AnnounceClosed tells every instance, this one included, to close
// clusters in memory (SQL was updated by the caller).
func AnnounceClosed(nc *nats.Conn, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	return publishAnnouncement(nc, "cluster", announcement{Closed: ids})
}

// AnnounceMerge tells the other instances that an agent merged cluster
// from into cluster into (SQL was updated, and origin's own clusterer
// changed, by the caller).
func AnnounceMerge(nc *nats.Conn, origin, from, into string) error {
	return announceChange(nc, announcement{Origin: origin, Merged: []mergeNote{{From: from, Into: into}}})
}

// AnnounceSplit tells the other instances that an agent split the members
// moved off cluster from into the new cluster to; kept is a sample of the
// members left (see triage.Clusterer.Split).
func AnnounceSplit(nc *nats.Conn, origin, from, to string, moved, kept []storage.Inquiry) error {
	note := splitNote{From: from, To: to}
	for _, in := range moved {
		note.Moved = append(note.Moved, toMember(to, in))
	}
	for _, in := range kept {
		note.Kept = append(note.Kept, toMember(from, in))
	}
	return announceChange(nc, announcement{Origin: origin, Split: []splitNote{note}})
}

// noteText is the most of a member's text a split announcement carries
// when the whole texts would not fit in one message.
const noteText = 1 << 10

// shortened copies members with their texts cut to noteText bytes, at a
// rune boundary.
func shortened(ms []member) []member {
	out := slices.Clone(ms)
	for i := range out {
		if t := out[i].Text; len(t) > noteText {
			out[i].Text = strings.ToValidUTF8(t[:noteText], "") // a rune cut in two is dropped
		}
	}
	return out
}

func toMember(clusterID string, in storage.Inquiry) member {
	return member{ClusterID: clusterID, ID: in.ID, Customer: in.CustomerKey(), Text: in.Text, At: in.ReceivedAt}
}

func (m member) item() triage.Item {
	return triage.Item{ID: m.ID, CustomerID: m.Customer, Text: m.Text, At: time.UnixMilli(m.At)}
}

func items(ms []member) []triage.Item {
	out := make([]triage.Item, len(ms))
	for i, m := range ms {
		out[i] = m.item()
	}
	return out
}

func announceChange(nc *nats.Conn, a announcement) error {
	return publishAnnouncement(nc, "cluster", a)
}

// publishAnnouncement tells every instance of a change to its clusters or
// problems (one subject, one message shape for both).
// A batch's members (8 KiB of text each at most) can outgrow the server's
// max payload: they then go out in halves, each applied on its own.
func publishAnnouncement(nc *nats.Conn, what string, a announcement) error {
	data, err := json.Marshal(a)
	if err == nil && int64(len(data)) > nc.MaxPayload() && len(a.Members) > 1 {
		half := len(a.Members) / 2
		first, rest := a, announcement{Origin: a.Origin, Members: a.Members[half:]}
		first.Members = a.Members[:half]
		if err := publishAnnouncement(nc, what, first); err != nil {
			return err
		}
		return publishAnnouncement(nc, what, rest)
	}
	if err == nil && int64(len(data)) > nc.MaxPayload() && len(a.Split) > 0 {
		// A split is applied whole; its texts only rebuild centroids, for
		// which a text's first KiB is enough.
		a.Split = slices.Clone(a.Split)
		for i := range a.Split {
			a.Split[i].Moved, a.Split[i].Kept = shortened(a.Split[i].Moved), shortened(a.Split[i].Kept)
		}
		data, err = json.Marshal(a)
	}
	if err == nil {
		msg := &nats.Msg{Subject: bus.AssignedSubject, Data: data}
		if a.Origin != "" && len(a.Closed) == 0 {
			msg.Header = nats.Header{originHeader: []string{a.Origin}}
		}
		err = nc.PublishMsg(msg)
	}
	if err != nil {
		return fmt.Errorf("workers: unable to announce a %s change: %w", what, err)
	}
	return nil
}

// originHeader names the instance an announcement holds nothing for: its
// origin, which applied the change itself (only closed clusters are
// applied by every instance, the origin included). That instance skips it
// unread; a batch's announcement is its largest message.
const originHeader = "Surgedesk-Origin"

// FollowClusters applies other instances' cluster assignments to c, so
// that an inquiry arriving here joins the cluster its twins joined there.
// It returns once the NATS server has the subscription. At start-up use
// RestoreAndFollowClusters, which leaves no window between the two.
func FollowClusters(nc *nats.Conn, instance string, c clusterer, log *slog.Logger) (*nats.Subscription, error) {
	sub, _, err := followClusters(nc, instance, c, log, false)
	return sub, err
}

// RestoreAndFollowClusters subscribes to the other instances' cluster
// announcements, rebuilds c from SQL (RestoreClusters), and then applies
// what was announced meanwhile: an assignment another instance made while
// this one started is neither missed (announced before the subscription)
// nor overwritten by the restore (applied before it). An announcement
// already in the rows read is applied twice, which only weighs one member
// twice in this instance's index; SQL's counts are untouched.
func RestoreAndFollowClusters(ctx context.Context, src clusterSource, nc *nats.Conn, instance string, c interface {
	clusterer
	restorer
}, now time.Time, idle time.Duration, sample int, log *slog.Logger) (int, *nats.Subscription, error) {
	sub, release, err := followClusters(nc, instance, c, log, true)
	if err != nil {
		return 0, nil, err
	}
	n, err := RestoreClusters(ctx, src, c, now, idle, sample)
	if err != nil {
		_ = sub.Unsubscribe()
		return 0, nil, err
	}
	release()
	return n, sub, nil
}

// followClusters applies the announcements to the clusterer
// (followAnnouncements holds them until release when hold is set).
func followClusters(nc *nats.Conn, instance string, c clusterer, log *slog.Logger, hold bool) (*nats.Subscription, func(), error) {
	apply := func(a announcement) {
		for _, id := range a.Closed {
			c.Close(id)
		}
		if a.Origin == instance {
			return
		}
		for _, m := range a.Merged {
			c.Merge(m.From, m.Into)
		}
		for _, sp := range a.Split {
			c.Split(sp.From, sp.To, items(sp.Moved), items(sp.Kept))
		}
		for _, mb := range a.Members {
			c.Add(mb.ClusterID, mb.item())
		}
	}
	return followAnnouncements(nc, "cluster", instance, apply, log, hold)
}

// followAnnouncements subscribes apply to the announcements on
// bus.AssignedSubject and returns once the NATS server has the
// subscription. With hold, announcements are kept until release is called
// and then applied in order, so that a restore from SQL can run in between
// without missing or overwriting any.
func followAnnouncements(nc *nats.Conn, what, instance string, apply func(announcement), log *slog.Logger, hold bool) (*nats.Subscription, func(), error) {
	var (
		mu      sync.Mutex
		holding = hold
		held    []announcement
	)
	sub, err := nc.Subscribe(bus.AssignedSubject, func(m *nats.Msg) {
		if instance != "" && m.Header.Get(originHeader) == instance {
			return
		}
		var a announcement
		if err := json.Unmarshal(m.Data, &a); err != nil {
			log.Warn("undecodable "+what+" announcement", "err", err)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if holding {
			held = append(held, a)
			return
		}
		apply(a)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("workers: unable to follow %s announcements: %w", what, err)
	}
	// Subscribing only queues the request: until the server has it, an
	// announcement would pass this instance by.
	if err := nc.FlushTimeout(10 * time.Second); err != nil {
		_ = sub.Unsubscribe()
		return nil, nil, fmt.Errorf("workers: unable to follow %s announcements: %w", what, err)
	}
	release := func() {
		mu.Lock()
		defer mu.Unlock()
		for _, a := range held {
			apply(a)
		}
		held, holding = nil, false
	}
	return sub, release, nil
}

// clusterSource is the part of storage a restart rebuilds clusters from.
type clusterSource interface {
	OpenClusters(ctx context.Context, since int64, limit int) ([]storage.Cluster, error)
	RecentClusterMembers(ctx context.Context, since int64, perCluster int) (map[string][]storage.Inquiry, error)
	ClusterRegroupings(ctx context.Context) (storage.Regroupings, error)
}

// restorer is the part of triage.Clusterer a restart needs.
type restorer interface {
	Restore(cl triage.Cluster, members []triage.Item)
	Merge(from, into string)
	KeepApart(a, b string)
}

// RestoreClusters rebuilds c from the clusters still open at now (seen
// within idle) and a sample of each one's newest members, then replays the
// agents' merges (pointers from merged ids) and splits (cannot-links
// between open clusters), so that a restart remembers them. It returns how
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
		// Members an agent merged in from another cluster come back as a
		// facet of this one, as the merge left them (triage.Clusterer.Merge).
		var own []triage.Item
		facets := map[string][]triage.Item{}
		var order []string
		for _, in := range slices.Backward(members[cl.ID]) {
			if in.MergedFrom == "" {
				own = append(own, in.Item())
				continue
			}
			if _, ok := facets[in.MergedFrom]; !ok {
				order = append(order, in.MergedFrom)
			}
			facets[in.MergedFrom] = append(facets[in.MergedFrom], in.Item())
		}
		c.Restore(triage.Cluster{
			ID: cl.ID, Representative: cl.Representative, Label: cl.Label,
			Count: max(1, int(cl.Inquiries)-len(members[cl.ID])+len(own)), Customers: int(cl.Customers),
			FirstSeen: time.UnixMilli(cl.FirstSeen), LastSeen: time.UnixMilli(cl.LastSeen),
		}, own)
		for _, from := range order {
			f := facets[from]
			c.Restore(triage.Cluster{ID: from, Representative: f[len(f)-1].Text, Count: len(f),
				FirstSeen: f[0].At, LastSeen: f[len(f)-1].At}, f)
			c.Merge(from, cl.ID)
		}
	}
	rg, err := src.ClusterRegroupings(ctx)
	if err != nil {
		return 0, err
	}
	for from, into := range rg.MergedInto {
		c.Merge(from, into) // merged clusters are not open: only the pointer
	}
	isOpen := make(map[string]bool, len(open))
	for _, cl := range open {
		isOpen[cl.ID] = true
	}
	for _, pair := range rg.Apart {
		if isOpen[pair[0]] && isOpen[pair[1]] {
			c.KeepApart(pair[0], pair[1])
		}
	}
	return len(open), nil
}
