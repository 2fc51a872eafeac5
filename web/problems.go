package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/surgedesk/surgedesk/storage"
)

// problemStore is the part of storage the problem API needs.
type problemStore interface {
	Problems(ctx context.Context, since int64, limit int) ([]storage.Problem, error)
	Problem(ctx context.Context, id string) (storage.Problem, error)
	ProblemClusters(ctx context.Context, problemID string) ([]storage.Cluster, error)
	InquiriesByCluster(ctx context.Context, clusterID string, limit int) ([]storage.Inquiry, error)
	MoveCluster(ctx context.Context, actor, clusterID, problemID string, now int64) error
	MergeProblems(ctx context.Context, actor, from, into string, now int64) error
}

// liveProblems is the in-memory grouper, which an agent's move or merge
// changes at once on this instance (the others hear it over NATS).
type liveProblems interface {
	NewID() string
	Move(clusterID, problemID string) string
	Merge(from, into string)
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
func (s *Server) getProblems(w http.ResponseWriter, r *http.Request) {
	limit, aerr := limitParam(r, 50, 1000)
	if aerr != nil {
		s.writeError(w, aerr)
		return
	}
	list, err := s.ProblemStore.Problems(r.Context(), time.Now().Add(-s.Config.Triage.IdleWindow).UnixMilli(), limit)
	if err != nil {
		s.Log.Error("list problems", "err", err)
		s.writeError(w, newError(http.StatusInternalServerError, "internal", "unable to list problems"))
		return
	}
	out := make([]problemResponse, 0, len(list))
	for _, p := range list {
		out = append(out, toProblemResponse(p))
	}
	writeJSON(w, http.StatusOK, map[string]any{"problems": out})
}

// getProblem responds with one problem, its open clusters with their
// counts and three newest members each.
func (s *Server) getProblem(w http.ResponseWriter, r *http.Request) {
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
			IncidentID: c.IncidentID, Samples: []sampleIn{}}
		for _, m := range members {
			pc.Samples = append(pc.Samples, sampleIn{ID: m.ID, CustomerID: m.CustomerID, Source: m.Source, Text: m.Text,
				ReceivedAt: time.UnixMilli(m.ReceivedAt).UTC()})
		}
		resp.Members = append(resp.Members, pc)
	}
	writeJSON(w, status, resp)
}

// mergeProblem merges problem {id} into the problem named by "into".
// TODO(desk): the action moves into package desk with the other agents'
// actions once it is on main.
func (s *Server) mergeProblem(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Into string `json:"into"`
	}
	if aerr := decodeJSON(w, r, &body); aerr != nil {
		s.writeError(w, aerr)
		return
	}
	id := r.PathValue("id")
	switch {
	case body.Into == "":
		s.writeError(w, newError(http.StatusBadRequest, "missing_field", "into is required"))
		return
	case body.Into == id:
		s.writeError(w, newError(http.StatusBadRequest, "invalid_field", "a problem cannot be merged into itself"))
		return
	}
	err := s.ProblemStore.MergeProblems(r.Context(), actor(r), id, body.Into, time.Now().UnixMilli())
	if errors.Is(err, storage.ErrNotFound) {
		s.writeError(w, newError(http.StatusNotFound, "not_found", err.Error()))
		return
	}
	if err != nil {
		s.Log.Error("merge problems", "err", err)
		s.writeError(w, newError(http.StatusInternalServerError, "internal", "unable to merge the problems"))
		return
	}
	if s.Problems != nil {
		s.Problems.Merge(id, body.Into)
	}
	if s.ProblemsMerged != nil {
		s.ProblemsMerged(r.Context(), id, body.Into)
	}
	s.writeProblem(w, r, http.StatusOK, body.Into)
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
	id := r.PathValue("id")
	into := body.ProblemID
	if into == "" {
		if s.Problems == nil {
			s.writeError(w, newError(http.StatusBadRequest, "missing_field", "problem_id is required"))
			return
		}
		into = s.Problems.NewID()
	}
	err := s.ProblemStore.MoveCluster(r.Context(), actor(r), id, into, time.Now().UnixMilli())
	if errors.Is(err, storage.ErrNotFound) {
		s.writeError(w, newError(http.StatusNotFound, "not_found", err.Error()))
		return
	}
	if err != nil {
		s.Log.Error("move cluster", "err", err)
		s.writeError(w, newError(http.StatusInternalServerError, "internal", "unable to move the cluster"))
		return
	}
	if s.Problems != nil {
		s.Problems.Move(id, into)
	}
	if s.ClusterMoved != nil {
		s.ClusterMoved(r.Context(), id, into)
	}
	s.writeProblem(w, r, http.StatusOK, into)
}
