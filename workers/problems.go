package workers

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/surgedesk/surgedesk/storage"
	"github.com/surgedesk/surgedesk/triage"
)

// Grouper is the part of triage.Grouper the workers need.
type Grouper interface {
	ObserveAssigned(a triage.Assignment, text, incidentID string) triage.Placement
	ProblemTitle(problemID string) (triage.Title, bool)
	Place(clusterID, problemID, text string, pinned bool)
	Anchor(problemID, incidentID string)
	Move(clusterID, problemID string) string
	Merge(from, into string)
	Forget(clusterID string) string
	Clusters(problemID string) []string
	Incident(problemID string) string
}

// GroupProblems makes the ingest worker place every cluster it assigns in
// a problem (triage.Grouper), written with the batch and announced with
// the members. Without it clusters have no problem.
func (s *Ingest) GroupProblems(g Grouper) { s.problems = g }

// place runs the grouper on the assigned rows and returns each touched
// cluster's problem, titled, for storage.
func (s *Ingest) place(rows []storage.Inquiry, assigned []triage.Assignment, clusters []storage.Cluster) {
	if s.problems == nil {
		return
	}
	problemOf := map[string]string{}
	for i, r := range rows {
		problemOf[r.ClusterID] = s.problems.ObserveAssigned(assigned[i], r.Text, r.IncidentID).ProblemID
	}
	titled := map[string]*storage.Problem{} // each problem's title, once per batch
	for i := range clusters {
		id, ok := problemOf[clusters[i].ID]
		if !ok || id == "" {
			continue
		}
		p := titled[id]
		if p == nil {
			p = &storage.Problem{ID: id, IncidentID: s.problems.Incident(id)}
			if t, ok := s.problems.ProblemTitle(id); ok {
				p.Title, p.TitleLang, p.OtherTitle, p.OtherLang = t.Text, t.Lang, t.Other, t.OtherLang
			}
			titled[id] = p
		}
		if !s.written.changed(clusters[i].ID, p) {
			continue // as committed before: nothing to write
		}
		clusters[i].Placement = p
	}
	for i := range rows {
		rows[i].ProblemID = problemOf[rows[i].ClusterID]
	}
}

// problemNote is an agent's move of a cluster (Cluster set) or merge of a
// problem (From set) into problem Into.
type problemNote struct {
	Cluster string `json:"cluster,omitempty"`
	From    string `json:"from,omitempty"`
	Into    string `json:"into"`
}

// AnnounceProblemMove tells the other instances that an agent moved
// cluster into problem into (SQL and origin's grouper were updated by the
// caller).
func AnnounceProblemMove(nc *nats.Conn, origin, cluster, into string) error {
	return announceProblems(nc, announcement{Origin: origin, Problems: []problemNote{{Cluster: cluster, Into: into}}})
}

// AnnounceProblemMerge tells the other instances that an agent merged
// problem from into problem into.
func AnnounceProblemMerge(nc *nats.Conn, origin, from, into string) error {
	return announceProblems(nc, announcement{Origin: origin, Problems: []problemNote{{From: from, Into: into}}})
}

func announceProblems(nc *nats.Conn, a announcement) error {
	return publishAnnouncement(nc, "problem", a)
}

// FollowProblems keeps g in step with the other instances: their
// placements (carried with the members they stored), the agents' moves and
// merges, and clusters closed or merged away. A starting instance uses
// RestoreAndFollowProblems, which leaves no window between restore and
// subscription.
func FollowProblems(nc *nats.Conn, instance string, g Grouper, log *slog.Logger) (*nats.Subscription, error) {
	sub, _, err := followProblems(nc, instance, g, log, false)
	return sub, err
}

// RestoreAndFollowProblems subscribes to the other instances' problem
// news first, holds what arrives, rebuilds g from SQL (RestoreProblems)
// and then applies what it held in order: a placement, move or merge
// announced while the restore read SQL is neither lost nor overwritten by
// the older state the restore read. It returns how many clusters it
// placed.
func RestoreAndFollowProblems(ctx context.Context, src problemSource, nc *nats.Conn, instance string, g Grouper, now time.Time, idle time.Duration, sample int, log *slog.Logger) (int, *nats.Subscription, error) {
	sub, release, err := followProblems(nc, instance, g, log, true)
	if err != nil {
		return 0, nil, err
	}
	n, err := RestoreProblems(ctx, src, g, now, idle, sample)
	if err != nil {
		_ = sub.Unsubscribe()
		return 0, nil, err
	}
	release()
	return n, sub, nil
}

// followProblems applies the announcements to the grouper
// (followAnnouncements holds them until release when hold is set).
func followProblems(nc *nats.Conn, instance string, g Grouper, log *slog.Logger, hold bool) (*nats.Subscription, func(), error) {
	apply := func(a announcement) {
		for _, id := range a.Closed {
			g.Forget(id)
		}
		if a.Origin == instance {
			return
		}
		for _, mg := range a.Merged {
			g.Forget(mg.From)
		}
		for _, n := range a.Problems {
			if n.Cluster != "" {
				g.Move(n.Cluster, n.Into)
			} else if n.From != "" {
				g.Merge(n.From, n.Into)
			}
		}
		for _, mb := range a.Members {
			if mb.ProblemID != "" {
				g.Place(mb.ClusterID, mb.ProblemID, mb.Text, false)
			}
		}
	}
	return followAnnouncements(nc, "problem", instance, apply, log, hold)
}

// problemSource is the part of storage a restart rebuilds problems from.
type problemSource interface {
	OpenClusters(ctx context.Context, since int64, limit int) ([]storage.Cluster, error)
	RecentClusterMembers(ctx context.Context, since int64, perCluster int) (map[string][]storage.Inquiry, error)
	ProblemRegroupings(ctx context.Context) (storage.ProblemRegroupings, error)
}

// RestoreProblems rebuilds g from SQL after a restart: the agents' merges
// (pointers), each open cluster's problem learnt from a sample of its
// members (pinned where an agent put it), and incidents' problems. It
// returns how many clusters it placed.
func RestoreProblems(ctx context.Context, src problemSource, g Grouper, now time.Time, idle time.Duration, sample int) (int, error) {
	rg, err := src.ProblemRegroupings(ctx)
	if err != nil {
		return 0, err
	}
	for from, into := range rg.MergedInto {
		g.Merge(from, into)
	}
	since := now.Add(-idle).UnixMilli()
	open, err := src.OpenClusters(ctx, since, 1<<30)
	if err != nil {
		return 0, err
	}
	members, err := src.RecentClusterMembers(ctx, since, sample)
	if err != nil {
		return 0, err
	}
	placed := 0
	for _, cl := range open {
		if cl.ProblemID == "" {
			continue
		}
		_, pinned := rg.Pinned[cl.ID]
		ms := members[cl.ID]
		if len(ms) == 0 {
			g.Place(cl.ID, cl.ProblemID, cl.Representative, pinned)
		}
		for _, in := range ms {
			g.Place(cl.ID, cl.ProblemID, in.Text, pinned)
		}
		placed++
	}
	for problem, incident := range rg.Incidents {
		g.Anchor(problem, incident)
	}
	return placed, nil
}

// placements remembers the placements the ingest worker committed: a
// cluster's problem and that problem's title and incident. Most batches
// place a cluster where it already is, under the same title; those are not
// written again. It is only a saving: forgetting (a restart, the bound)
// writes again, and another instance's writes are written over only when
// this instance decides differently, as without it.
type placements struct {
	mu       sync.Mutex
	clusters map[string]string          // cluster → problem
	problems map[string]storage.Problem // problem → its titles and incident
}

// maxPlacements bounds what placements remembers; beyond it, it starts
// over.
const maxPlacements = 200000

// changed says whether p for cluster differs from what was committed.
func (w *placements) changed(cluster string, p *storage.Problem) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.clusters[cluster] != p.ID {
		return true
	}
	old, ok := w.problems[p.ID]
	return !ok || old.Title != p.Title || old.TitleLang != p.TitleLang || old.OtherTitle != p.OtherTitle ||
		old.OtherLang != p.OtherLang || old.IncidentID != p.IncidentID
}

// record notes the placements of clusters, just committed.
func (w *placements) record(clusters []storage.Cluster) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.clusters == nil || len(w.clusters) > maxPlacements || len(w.problems) > maxPlacements {
		w.clusters, w.problems = map[string]string{}, map[string]storage.Problem{}
	}
	for _, c := range clusters {
		if p := c.Placement; p != nil && p.ID != "" {
			w.clusters[c.ID] = p.ID
			w.problems[p.ID] = storage.Problem{ID: p.ID, Title: p.Title, TitleLang: p.TitleLang,
				OtherTitle: p.OtherTitle, OtherLang: p.OtherLang, IncidentID: p.IncidentID}
		}
	}
}
