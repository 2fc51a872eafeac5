package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/surgedesk/surgedesk/desk"
	"github.com/surgedesk/surgedesk/storage"
)

// problemStore is the part of storage the problem API needs.
type problemStore interface {
	Problems(ctx context.Context, since int64, limit int) ([]storage.Problem, error)
	OpenProblems(ctx context.Context, since int64) (int, error)
	Problem(ctx context.Context, id string) (storage.Problem, error)
	ProblemClusters(ctx context.Context, problemID string) ([]storage.Cluster, error)
	InquiriesByCluster(ctx context.Context, clusterID string, limit int) ([]storage.Inquiry, error)
}

type problemResponse struct {
	storage.Problem
	FirstSeen time.Time        `json:"first_seen"`
	LastSeen  time.Time        `json:"last_seen"`
	Members   []problemCluster `json:"cluster_list,omitempty"`
}

type problemCluster struct {
	ID             string     `json:"id"`
	Representative string     `json:"representative"`
	Inquiries      int64      `json:"inquiries"`
	Customers      int64      `json:"customers"`
	IncidentID     string     `json:"incident_id,omitempty"`
	Samples        []sampleIn `json:"samples"`
}

func toProblemResponse(p storage.Problem) problemResponse {
	return problemResponse{Problem: p, FirstSeen: time.UnixMilli(p.FirstSeen).UTC(), LastSeen: time.UnixMilli(p.LastSeen).UTC()}
}

// getProblems lists the problems with open clusters, most inquiries first.
// Their order changes as they grow, so, as the queue's, its cursor is a
// position in the order of the moment; a page reads the problems up to
// its end, no further.
func (s *Server) getProblems(w http.ResponseWriter, r *http.Request) {
	var at offsetKey
	limit, _, aerr := pageParams(r, 50, 1000, &at)
	if aerr == nil && at.Offset < 0 {
		aerr = newError(http.StatusBadRequest, "invalid_parameter", "cursor is not one this API returned (pass next_cursor as it is)")
	}
	if aerr != nil {
		s.writeError(w, aerr)
		return
	}
	if s.ProblemStore == nil {
		writeJSON(w, http.StatusOK, listBody("problems", []problemResponse{}, "", 0))
		return
	}
	since := time.Now().Add(-s.Config.Triage.IdleWindow).UnixMilli()
	list, err := s.ProblemStore.Problems(r.Context(), since, at.Offset+limit+1)
	var total int
	if err == nil {
		total, err = s.ProblemStore.OpenProblems(r.Context(), since)
	}
	if err != nil {
		s.Log.Error("list problems", "err", err)
		s.writeError(w, newError(http.StatusInternalServerError, "internal", "unable to list problems"))
		return
	}
	next := ""
	if len(list) > at.Offset+limit {
		next = cursor(offsetKey{at.Offset + limit})
	}
	list = list[min(at.Offset, len(list)):min(at.Offset+limit, len(list))]
	out := make([]problemResponse, 0, len(list))
	for _, p := range list {
		out = append(out, toProblemResponse(p))
	}
	writeJSON(w, http.StatusOK, listBody("problems", out, next, int64(total)))
}

// getProblem responds with one problem, its open clusters with their
// counts and three newest members each.
func (s *Server) getProblem(w http.ResponseWriter, r *http.Request) {
	if s.ProblemStore == nil {
		s.writeError(w, newError(http.StatusNotFound, "not_found", "problems are not served here"))
		return
	}
	s.writeProblem(w, r, http.StatusOK, r.PathValue("id"))
}

func (s *Server) writeProblem(w http.ResponseWriter, r *http.Request, status int, id string) {
	p, err := s.ProblemStore.Problem(r.Context(), id)
	if errors.Is(err, storage.ErrNotFound) {
		s.writeError(w, newError(http.StatusNotFound, "not_found", "no problem "+strconv.Quote(id)))
		return
	}
	if err != nil {
		s.Log.Error("read problem", "err", err)
		s.writeError(w, newError(http.StatusInternalServerError, "internal", "unable to read the problem"))
		return
	}
	clusters, err := s.ProblemStore.ProblemClusters(r.Context(), id)
	if err != nil {
		s.Log.Error("read problem clusters", "err", err)
		s.writeError(w, newError(http.StatusInternalServerError, "internal", "unable to read the problem"))
		return
	}
	resp := toProblemResponse(p)
	resp.Members = []problemCluster{}
	for _, c := range clusters {
		members, err := s.ProblemStore.InquiriesByCluster(r.Context(), c.ID, 3)
		if err != nil {
			s.Log.Error("read cluster members", "err", err)
			s.writeError(w, newError(http.StatusInternalServerError, "internal", "unable to read the problem"))
			return
		}
		pc := problemCluster{ID: c.ID, Representative: c.Representative, Inquiries: c.Inquiries, Customers: c.Customers,
			IncidentID: c.IncidentID, Samples: toSamples(members)}
		resp.Members = append(resp.Members, pc)
	}
	writeJSON(w, status, resp)
}

// mergeProblem merges problem {id} into the problem named by "into".
func (s *Server) mergeProblem(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Into string `json:"into"`
	}
	if aerr := decodeJSON(w, r, &body); aerr != nil {
		s.writeError(w, aerr)
		return
	}
	if s.problemError(w, s.Desk.MergeProblems(r.Context(), actor(r), r.PathValue("id"), body.Into)) {
		return
	}
	s.writeProblem(w, r, http.StatusOK, body.Into)
}

// nameProblem names problem {id} with "title_ko", "title_en" or both.
func (s *Server) nameProblem(w http.ResponseWriter, r *http.Request) {
	var body struct {
		TitleKO string `json:"title_ko"`
		TitleEN string `json:"title_en"`
	}
	if aerr := decodeJSON(w, r, &body); aerr != nil {
		s.writeError(w, aerr)
		return
	}
	id := r.PathValue("id")
	if s.problemError(w, s.Desk.NameProblem(r.Context(), actor(r), id, body.TitleKO, body.TitleEN)) {
		return
	}
	s.writeProblem(w, r, http.StatusOK, id)
}

// claimProblem claims every open cluster of problem {id} for the agent, or
// with {"takeover": true} takes a manager's claim over whoever holds them
// (audited).
func (s *Server) claimProblem(w http.ResponseWriter, r *http.Request) {
	takeover, ok := s.claimBody(w, r)
	if !ok {
		return
	}
	claim := s.Desk.ClaimProblem
	if takeover {
		claim = s.Desk.TakeOverProblem
	}
	id := r.PathValue("id")
	ids, until, err := claim(r.Context(), actor(r), id)
	if s.problemError(w, err) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"problem_id": id, "claimed_by": actor(r), "claimed_until": until.UTC(), "cluster_ids": ids})
}

// moveCluster moves cluster {id} to the problem named by "problem_id", or,
// without one, out into a problem of its own.
func (s *Server) moveCluster(w http.ResponseWriter, r *http.Request) {
	var body struct {
		ProblemID string `json:"problem_id"`
	}
	if aerr := decodeJSON(w, r, &body); aerr != nil {
		s.writeError(w, aerr)
		return
	}
	into, err := s.Desk.MoveCluster(r.Context(), actor(r), r.PathValue("id"), body.ProblemID)
	if s.problemError(w, err) {
		return
	}
	s.writeProblem(w, r, http.StatusOK, into)
}

func (s *Server) problemError(w http.ResponseWriter, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, desk.ErrNoProblems):
		s.writeError(w, newError(http.StatusNotFound, "not_found", "problems are not served here"))
	case errors.Is(err, storage.ErrNotFound):
		s.writeError(w, newError(http.StatusNotFound, "not_found", trimPrefixes(err.Error())))
	default:
		return s.queueError(w, err)
	}
	return true
}

// problemQueueItem is one problem of the agents' queue.
type problemQueueItem struct {
	ProblemID  string   `json:"problem_id,omitempty"`
	Title      string   `json:"title"`
	TitleLang  string   `json:"title_lang,omitempty"`
	OtherTitle string   `json:"other_title,omitempty"`
	OtherLang  string   `json:"other_lang,omitempty"`
	Inquiries  int64    `json:"inquiries"`
	Customers  int64    `json:"customers"`
	Priority   float64  `json:"priority"`
	Urgent     bool     `json:"urgent"`
	ClusterIDs []string `json:"cluster_ids"`
	// Clusters shows the first queueProblemClusters of them.
	Clusters []problemQueueCluster `json:"clusters"`
}

// problemQueueCluster is one cluster of a problem in the queue.
type problemQueueCluster struct {
	ID             string     `json:"id"`
	Representative string     `json:"representative"`
	Inquiries      int64      `json:"inquiries"`
	Customers      int64      `json:"customers"`
	Samples        []sampleIn `json:"samples"`
}

// queueProblemClusters is how many clusters of each problem the queue
// shows with their counts and samples (all are in cluster_ids).
const queueProblemClusters = 5

// problemQueueItems shows at most limit of the queue grouped by problem,
// each with its first clusters' counts and two samples of each.
func (s *Server) problemQueueItems(ctx context.Context, items []desk.ProblemItem, limit int) ([]problemQueueItem, error) {
	items = items[:min(limit, len(items))]
	var shown []desk.QueueItem
	for _, it := range items {
		shown = append(shown, it.Clusters[:min(queueProblemClusters, len(it.Clusters))]...)
	}
	if err := s.Desk.Samples(ctx, shown, 2); err != nil {
		return nil, err
	}
	out := make([]problemQueueItem, 0, len(items))
	for _, it := range items {
		q := problemQueueItem{ProblemID: it.ProblemID, Title: it.Title, TitleLang: it.TitleLang, OtherTitle: it.OtherTitle,
			OtherLang: it.OtherLang, Inquiries: it.Inquiries, Customers: it.Customers, Priority: it.Priority, Urgent: it.Urgent,
			ClusterIDs: []string{}, Clusters: []problemQueueCluster{}}
		for _, c := range it.Clusters {
			q.ClusterIDs = append(q.ClusterIDs, c.ID)
		}
		for _, c := range shown[:min(queueProblemClusters, len(it.Clusters))] {
			q.Clusters = append(q.Clusters, problemQueueCluster{ID: c.ID, Representative: c.Representative,
				Inquiries: c.Inquiries, Customers: c.Customers, Samples: toSamples(c.Samples)})
		}
		shown = shown[min(queueProblemClusters, len(it.Clusters)):]
		out = append(out, q)
	}
	return out, nil
}

// replyToProblem sends one reply to every member of every open cluster of
// problem {id}.
func (s *Server) replyToProblem(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Text string `json:"text"`
	}
	if aerr := decodeJSON(w, r, &body); aerr != nil {
		s.writeError(w, aerr)
		return
	}
	id := r.PathValue("id")
	queued, replied, err := s.Desk.ReplyToProblem(r.Context(), actor(r), id, body.Text)
	if s.problemError(w, err) {
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"problem_id": id, "clusters_replied": replied, "queued": queued})
}

// linkProblem links every open cluster of problem {id} to the incident
// "incident_id": its customers get the incident's updates.
func (s *Server) linkProblem(w http.ResponseWriter, r *http.Request) {
	var body struct {
		IncidentID string `json:"incident_id"`
	}
	if aerr := decodeJSON(w, r, &body); aerr != nil {
		s.writeError(w, aerr)
		return
	}
	id := r.PathValue("id")
	linked, err := s.Desk.LinkProblem(r.Context(), actor(r), id, body.IncidentID)
	if s.problemError(w, err) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"problem_id": id, "incident_id": body.IncidentID, "clusters_linked": linked})
}

// resolveProblem resolves every open cluster of problem {id}.
func (s *Server) resolveProblem(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	resolved, skipped, err := s.Desk.ResolveProblem(r.Context(), actor(r), id)
	if s.problemError(w, err) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"problem_id": id, "clusters_resolved": resolved, "clusters_claimed": skipped})
}
