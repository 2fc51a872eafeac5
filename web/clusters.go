package web

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/surgedesk/surgedesk/storage"
)

type clusterResponse struct {
	ID             string     `json:"id"`
	Status         string     `json:"status"`
	Label          []string   `json:"label"`
	Representative string     `json:"representative"`
	Inquiries      int64      `json:"inquiries"`
	Customers      int64      `json:"customers"`
	FirstSeen      time.Time  `json:"first_seen"`
	LastSeen       time.Time  `json:"last_seen"`
	PerMinute      float64    `json:"per_minute"`
	Last5m         int        `json:"last_5m"`
	Last15m        int        `json:"last_15m"`
	IncidentID     string     `json:"incident_id,omitempty"`
	MergedInto     string     `json:"merged_into,omitempty"`
	ProblemID      string     `json:"problem_id,omitempty"`
	Samples        []sampleIn `json:"samples,omitempty"`
}

type sampleIn struct {
	ID         string    `json:"id"`
	CustomerID string    `json:"customer_id"`
	Source     string    `json:"source"`
	Text       string    `json:"text"`
	ReceivedAt time.Time `json:"received_at"`
}

// toClusterResponse merges SQL's exact counts with the in-memory rates. A
// cluster idle past the window is closed, whatever its row says.
func (s *Server) toClusterResponse(c storage.Cluster, now time.Time) clusterResponse {
	r := clusterResponse{
		ID: c.ID, Status: c.Status, Label: c.Label, Representative: c.Representative,
		Inquiries: c.Inquiries, Customers: c.Customers, IncidentID: c.IncidentID, MergedInto: c.MergedInto, ProblemID: c.ProblemID,
		FirstSeen: time.UnixMilli(c.FirstSeen).UTC(), LastSeen: time.UnixMilli(c.LastSeen).UTC(),
	}
	if r.Status == storage.ClusterOpen && now.Sub(time.UnixMilli(c.LastSeen)) > s.Config.Triage.IdleWindow {
		r.Status = storage.ClusterClosed
	}
	if live, ok := s.Clusters.Cluster(c.ID); ok && r.Status == storage.ClusterOpen {
		r.PerMinute, r.Last5m, r.Last15m = live.PerMinute, live.Last5m, live.Last15m
		if len(r.Label) == 0 {
			// A split leaves the label to the clusterer until the next member.
			r.Label = live.Label
		}
	}
	if r.Label == nil {
		r.Label = []string{}
	}
	return r
}

func (s *Server) getClusters(w http.ResponseWriter, r *http.Request) {
	limit, aerr := limitParam(r, 50, 1000)
	if aerr != nil {
		s.writeError(w, aerr)
		return
	}
	now := time.Now()
	list, err := s.Store.OpenClusters(r.Context(), now.Add(-s.Config.Triage.IdleWindow).UnixMilli(), limit)
	if err != nil {
		s.Log.Error("list clusters", "err", err)
		s.writeError(w, newError(http.StatusInternalServerError, "internal", "unable to list clusters"))
		return
	}
	out := make([]clusterResponse, 0, len(list))
	for _, c := range list {
		out = append(out, s.toClusterResponse(c, now))
	}
	writeJSON(w, http.StatusOK, map[string]any{"clusters": out})
}

func (s *Server) getCluster(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	c, err := s.Store.Cluster(r.Context(), id)
	if errors.Is(err, storage.ErrNotFound) {
		s.writeError(w, newError(http.StatusNotFound, "not_found", "no cluster "+strconv.Quote(id)))
		return
	}
	if err != nil {
		s.Log.Error("read cluster", "err", err)
		s.writeError(w, newError(http.StatusInternalServerError, "internal", "unable to read the cluster"))
		return
	}
	s.writeCluster(w, r, http.StatusOK, c)
}

// writeCluster responds with c and its ten newest members.
func (s *Server) writeCluster(w http.ResponseWriter, r *http.Request, status int, c storage.Cluster) {
	members, err := s.Store.InquiriesByCluster(r.Context(), c.ID, 10)
	if err != nil {
		s.Log.Error("read cluster members", "err", err)
		s.writeError(w, newError(http.StatusInternalServerError, "internal", "unable to read the cluster"))
		return
	}
	resp := s.toClusterResponse(c, time.Now())
	resp.Samples = []sampleIn{}
	for _, m := range members {
		resp.Samples = append(resp.Samples, sampleIn{ID: m.ID, CustomerID: m.CustomerID, Source: m.Source, Text: m.Text,
			ReceivedAt: time.UnixMilli(m.ReceivedAt).UTC()})
	}
	writeJSON(w, status, resp)
}

// limitParam reads ?limit=, def when absent, 1..max otherwise.
func limitParam(r *http.Request, def, max int) (int, *apiError) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		return 0, newError(http.StatusBadRequest, "invalid_parameter", "limit must be between 1 and "+strconv.Itoa(max))
	}
	return n, nil
}

type alertResponse struct {
	ClusterID      string     `json:"cluster_id"`
	Status         string     `json:"status"`
	RaisedAt       time.Time  `json:"raised_at"`
	PerMinute      float64    `json:"per_minute"`
	Inquiries      int64      `json:"inquiries"`
	Customers      int64      `json:"customers"`
	Label          []string   `json:"label"`
	Representative string     `json:"representative"`
	Samples        []string   `json:"samples"`
	DecidedBy      string     `json:"decided_by,omitempty"`
	DecidedAt      *time.Time `json:"decided_at,omitempty"`
	IncidentID     string     `json:"incident_id,omitempty"`
}

func (s *Server) getAlerts(w http.ResponseWriter, r *http.Request) {
	limit, aerr := limitParam(r, 50, 1000)
	if aerr != nil {
		s.writeError(w, aerr)
		return
	}
	status := r.URL.Query().Get("status")
	if status != "" && status != "open" && status != "declared" && status != "dismissed" {
		s.writeError(w, newError(http.StatusBadRequest, "invalid_parameter", "status must be open, declared or dismissed"))
		return
	}
	list, err := s.Store.Alerts(r.Context(), status, limit)
	if err != nil {
		s.Log.Error("list alerts", "err", err)
		s.writeError(w, newError(http.StatusInternalServerError, "internal", "unable to list alerts"))
		return
	}
	out := make([]alertResponse, 0, len(list))
	for _, a := range list {
		out = append(out, alertResponse{ClusterID: a.ClusterID, Status: a.Status, RaisedAt: time.UnixMilli(a.RaisedAt).UTC(),
			PerMinute: a.PerMinute, Inquiries: a.Inquiries, Customers: a.Customers, Label: a.Label,
			Representative: a.Representative, Samples: a.Samples, DecidedBy: a.DecidedBy, IncidentID: a.IncidentID})
		if a.DecidedAt > 0 {
			at := time.UnixMilli(a.DecidedAt).UTC()
			out[len(out)-1].DecidedAt = &at
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"alerts": out})
}
