package desk

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/surgedesk/surgedesk/storage"
	"github.com/surgedesk/surgedesk/workers"
)

// ProblemStore is the part of storage the problem actions change.
type ProblemStore interface {
	MoveCluster(ctx context.Context, actor, clusterID, problemID string, now int64) error
	MergeProblems(ctx context.Context, actor, from, into string, now int64) error
	Problems(ctx context.Context, since int64, limit int) ([]storage.Problem, error)
	Problem(ctx context.Context, id string) (storage.Problem, error)
	ProblemClusters(ctx context.Context, problemID string) ([]storage.Cluster, error)
	ClaimProblem(ctx context.Context, agent, problemID string, now, until int64) ([]string, error)
	TakeOverProblem(ctx context.Context, manager, problemID string, now, until int64) ([]string, error)
	NameProblem(ctx context.Context, actor, id, title, titleLang, other, otherLang string, now int64) error
}

// Problems is this instance's problem grouper (triage.Grouper), which
// moves and merges change at once (the other instances learn them over
// NATS).
type Problems interface {
	NewID() string
	Move(clusterID, problemID string) string
	Merge(from, into string)
	Forget(clusterID string) string
}

// ErrNoProblems is a problem action on a desk serving no problems.
var ErrNoProblems = errors.New("desk: problems are not served here")

// MoveCluster moves an open cluster to problem problemID, or, with an
// empty problemID, out into a new problem of its own; it returns the
// problem the cluster is in now. Every instance's grouping keeps the
// cluster there from now on, and after a restart.
func (d *Desk) MoveCluster(ctx context.Context, actor, clusterID, problemID string) (string, error) {
	if d.ProblemStore == nil || d.Problems == nil {
		return "", ErrNoProblems
	}
	if problemID == "" {
		problemID = d.Problems.NewID()
	}
	if err := d.ProblemStore.MoveCluster(ctx, actor, clusterID, problemID, d.Now().UnixMilli()); err != nil {
		return "", err
	}
	d.Problems.Move(clusterID, problemID)
	if d.Conn != nil {
		if err := workers.AnnounceProblemMove(d.Conn, d.Instance, clusterID, problemID); err != nil {
			d.Log.Warn("cluster move not announced; other instances learn it on restart", "cluster", clusterID, "into", problemID, "err", err)
		}
	}
	return problemID, nil
}

// heldByOther is the ClaimedError of the first of clusters another
// agent's live claim holds, or nil: a problem's reply and resolve act on
// all of its clusters or, while someone else works on one, on none.
func (d *Desk) heldByOther(clusters []storage.Cluster, agent string) error {
	now := d.Now().UnixMilli()
	for _, c := range clusters {
		if c.ClaimedBy != "" && c.ClaimedBy != agent && c.ClaimedUntil >= now {
			return &storage.ClaimedError{ClusterID: c.ID, Holder: c.ClaimedBy, Until: c.ClaimedUntil}
		}
	}
	return nil
}

// ClaimProblem gives agent every open cluster of a problem for ClaimLease,
// all or none, so that another agent's reply, resolve, link, merge, split
// or move on the problem or any of its clusters is refused (409 claimed)
// until it expires or a manager takes it over. It returns the clusters
// claimed and until when.
func (d *Desk) ClaimProblem(ctx context.Context, agent, problemID string) ([]string, time.Time, error) {
	if d.ProblemStore == nil {
		return nil, time.Time{}, ErrNoProblems
	}
	now := d.Now()
	until := now.Add(ClaimLease)
	ids, err := d.ProblemStore.ClaimProblem(ctx, agent, problemID, now.UnixMilli(), until.UnixMilli())
	if err != nil {
		return nil, time.Time{}, err
	}
	return ids, until, nil
}

// TakeOverProblem is a manager's ClaimProblem, whoever holds its clusters
// (audited, naming the previous holders).
func (d *Desk) TakeOverProblem(ctx context.Context, manager, problemID string) ([]string, time.Time, error) {
	if d.ProblemStore == nil {
		return nil, time.Time{}, ErrNoProblems
	}
	now := d.Now()
	until := now.Add(ClaimLease)
	ids, err := d.ProblemStore.TakeOverProblem(ctx, manager, problemID, now.UnixMilli(), until.UnixMilli())
	if err != nil {
		return nil, time.Time{}, err
	}
	return ids, until, nil
}

// MergeProblems merges problem from into problem into: all of from's
// clusters move, and from points at into on every instance from now on.
func (d *Desk) MergeProblems(ctx context.Context, actor, from, into string) error {
	switch {
	case d.ProblemStore == nil || d.Problems == nil:
		return ErrNoProblems
	case into == "":
		return missing("into is required")
	case into == from:
		return invalid("a problem cannot be merged into itself")
	}
	if err := d.ProblemStore.MergeProblems(ctx, actor, from, into, d.Now().UnixMilli()); err != nil {
		return err
	}
	d.Problems.Merge(from, into)
	if d.Conn != nil {
		if err := workers.AnnounceProblemMerge(d.Conn, d.Instance, from, into); err != nil {
			d.Log.Warn("problem merge not announced; other instances learn it on restart", "from", from, "into", into, "err", err)
		}
	}
	return nil
}

// ProblemItem is a problem as the agents' queue shows it: its open
// clusters, ranked, with the problem's counts. A cluster not placed in any
// problem yet is an item of its own.
type ProblemItem struct {
	ProblemID  string
	Title      string
	TitleLang  string
	OtherTitle string
	OtherLang  string
	Inquiries  int64
	Customers  int64 // distinct over all its clusters
	Priority   float64
	Urgent     bool
	Clusters   []QueueItem
}

// FirstSeen is when the first of the problem's clusters in the queue began
// (unix ms).
func (p ProblemItem) FirstSeen() int64 {
	var first int64
	for i, c := range p.Clusters {
		if i == 0 || c.FirstSeen < first {
			first = c.FirstSeen
		}
	}
	return first
}

// Holders lists who holds a live claim on its clusters at now, each once,
// and how many of its clusters are claimed.
func (p ProblemItem) Holders(now time.Time) (holders []string, claimed int) {
	for _, c := range p.Clusters {
		if c.ClaimedBy != "" && c.ClaimedUntil > now.UnixMilli() {
			claimed++
			if !slices.Contains(holders, c.ClaimedBy) {
				holders = append(holders, c.ClaimedBy)
			}
		}
	}
	return holders, claimed
}

// IncidentIDs lists the incidents its clusters are linked to, each once.
func (p ProblemItem) IncidentIDs() []string {
	var ids []string
	for _, c := range p.Clusters {
		if c.IncidentID != "" && !slices.Contains(ids, c.IncidentID) {
			ids = append(ids, c.IncidentID)
		}
	}
	return ids
}

// ProblemQueue groups the queue by problem: one item per problem, ranked
// by its most pressing cluster, each with its clusters.
func (d *Desk) ProblemQueue(ctx context.Context) ([]ProblemItem, error) {
	clusters, err := d.Queue(ctx)
	if err != nil {
		return nil, err
	}
	return d.ByProblem(ctx, clusters)
}

// ByProblem groups a queue read by Queue by problem, as ProblemQueue does.
func (d *Desk) ByProblem(ctx context.Context, clusters []QueueItem) ([]ProblemItem, error) {
	if len(clusters) == 0 {
		return nil, nil
	}
	var problems map[string]storage.Problem
	if d.ProblemStore != nil {
		list, err := d.ProblemStore.Problems(ctx, d.Now().Add(-d.IdleWindow).UnixMilli(), maxQueue)
		if err != nil {
			return nil, err
		}
		problems = make(map[string]storage.Problem, len(list))
		for _, p := range list {
			problems[p.ID] = p
		}
	}
	var out []ProblemItem
	index := map[string]int{}
	for _, c := range clusters { // already in priority order
		key := c.ProblemID
		if key == "" {
			key = "cluster:" + c.ID
		}
		i, ok := index[key]
		if !ok {
			i = len(out)
			index[key] = i
			it := ProblemItem{ProblemID: c.ProblemID, Title: c.Representative, Priority: c.Priority}
			if p, ok := problems[c.ProblemID]; ok {
				it.Title, it.TitleLang, it.OtherTitle, it.OtherLang = p.Title, p.TitleLang, p.OtherTitle, p.OtherLang
				it.Customers = p.Customers
			}
			out = append(out, it)
		}
		it := &out[i]
		it.Clusters = append(it.Clusters, c)
		it.Inquiries += c.Inquiries
		it.Urgent = it.Urgent || c.Urgent
		if _, ok := problems[c.ProblemID]; !ok {
			it.Customers += c.Customers
		}
	}
	return out, nil
}

// problemClusters lists a problem's open clusters for an action on all.
func (d *Desk) problemClusters(ctx context.Context, problemID string) ([]storage.Cluster, error) {
	if d.ProblemStore == nil {
		return nil, ErrNoProblems
	}
	if _, err := d.ProblemStore.Problem(ctx, problemID); err != nil {
		return nil, err
	}
	return d.ProblemStore.ProblemClusters(ctx, problemID)
}

// ReplyToProblem sends one reply to every member of every open cluster of
// a problem (Reply on each); clusters already replied to keep their reply.
// It returns the deliveries queued and the clusters replied to now.
func (d *Desk) ReplyToProblem(ctx context.Context, agent, problemID, text string) (queued, replied int, err error) {
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return 0, 0, missing("text is required")
	case len(text) > MaxReply:
		return 0, 0, invalid("text is longer than " + strconv.Itoa(MaxReply) + " bytes")
	}
	clusters, err := d.problemClusters(ctx, problemID)
	if err != nil {
		return 0, 0, err
	}
	if err := d.heldByOther(clusters, agent); err != nil {
		return 0, 0, err
	}
	for _, c := range clusters {
		n, err := d.Store.ReplyToCluster(ctx, agent, c.ID, text)
		if errors.Is(err, storage.ErrExists) {
			continue
		}
		if err != nil {
			return queued, replied, err
		}
		queued += n
		replied++
	}
	d.Kick()
	return queued, replied, nil
}

// LinkProblem links every open cluster of a problem to an incident (Link
// on each), so that all of its customers get the incident's updates.
// While another agent's claim holds one of them nothing is done
// (ErrClaimed); a cluster claimed meanwhile is left as it was. It returns
// the clusters linked now (those linked already are not counted).
func (d *Desk) LinkProblem(ctx context.Context, actor, problemID, incidentID string) (linked int, err error) {
	if incidentID == "" {
		return 0, missing("incident_id is required")
	}
	if _, err := d.incident(ctx, incidentID); err != nil {
		return 0, err
	}
	clusters, err := d.problemClusters(ctx, problemID)
	if err != nil {
		return 0, err
	}
	if err := d.heldByOther(clusters, actor); err != nil {
		return 0, err
	}
	for _, c := range clusters {
		if c.IncidentID == incidentID {
			continue
		}
		switch err := d.Store.LinkCluster(ctx, actor, c.ID, incidentID); {
		case errors.Is(err, storage.ErrClaimed) || errors.Is(err, storage.ErrNotFound):
			continue // claimed or closed meanwhile
		case err != nil:
			return linked, err
		}
		linked++
	}
	return linked, nil
}

// ResolveProblem resolves every open cluster of a problem (Resolve on
// each). While another agent's claim holds one of them nothing is done
// (ErrClaimed); a cluster claimed meanwhile is left open and counted in
// skipped.
func (d *Desk) ResolveProblem(ctx context.Context, agent, problemID string) (resolved, skipped int, err error) {
	clusters, err := d.problemClusters(ctx, problemID)
	if err != nil {
		return 0, 0, err
	}
	if err := d.heldByOther(clusters, agent); err != nil {
		return 0, 0, err
	}
	var closed []string
	for _, c := range clusters {
		err := d.Store.ResolveCluster(ctx, agent, c.ID)
		if errors.Is(err, storage.ErrClaimed) {
			skipped++
			continue
		}
		if err != nil {
			d.closed(closed)
			return len(closed), skipped, err
		}
		closed = append(closed, c.ID)
	}
	d.closed(closed)
	for _, id := range closed {
		if d.Problems != nil {
			d.Problems.Forget(id)
		}
	}
	return len(closed), skipped, nil
}
