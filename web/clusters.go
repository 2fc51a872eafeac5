package web

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/surgedesk/surgedesk/storage"
	"github.com/surgedesk/surgedesk/triage"
)

type clusterResponse struct {
	ID             string     `json:"id"`
	Status         string     `json:"status"`
	Title          string     `json:"title"`      // a member text, cut down (triage.TitleOf)
	TitleLang      string     `json:"title_lang"` // ko or en
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

// toSamples shows stored members as samples (never nil: an empty list).
func toSamples(members []storage.Inquiry) []sampleIn {
	out := make([]sampleIn, 0, len(members))
	for _, m := range members {
		out = append(out, sampleIn{ID: m.ID, CustomerID: m.CustomerID, Source: m.Source, Text: m.Text,
			ReceivedAt: time.UnixMilli(m.ReceivedAt).UTC()})
	}
	return out
}

// toClusterResponse merges SQL's exact counts with the in-memory rates. A
// cluster idle past the window is closed, whatever its row says.
func (s *Server) toClusterResponse(c storage.Cluster, now time.Time) clusterResponse {
	r := clusterResponse{
		ID: c.ID, Status: c.Status, Label: c.Label, Representative: c.Representative,
		Title: triage.TitleOf(c.Representative).Text, TitleLang: triage.Lang(c.Representative),
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

// Paging limits of the cluster lists (documented in openapi.yaml).
const (
	maxClustersPage = 1000
	maxMembersPage  = 1000
	maxAlertsPage   = 1000
)

func (s *Server) getClusters(w http.ResponseWriter, r *http.Request) {
	var after storage.ClusterKey
	limit, resumed, aerr := pageParams(r, 50, maxClustersPage, &after)
	if aerr != nil {
		s.writeError(w, aerr)
		return
	}
	var from *storage.ClusterKey
	if resumed {
		from = &after
	}
	now := time.Now()
	list, total, err := s.Store.OpenClustersPage(r.Context(), now.Add(-s.Config.Triage.IdleWindow).UnixMilli(), from, limit+1)
	if err != nil {
		s.Log.Error("list clusters", "err", err)
		s.writeError(w, newError(http.StatusInternalServerError, "internal", "unable to list clusters"))
		return
	}
	next := ""
	if len(list) > limit {
		list = list[:limit]
		next = cursor(list[limit-1].Key())
	}
	out := make([]clusterResponse, 0, len(list))
	for _, c := range list {
		out = append(out, s.toClusterResponse(c, now))
	}
	writeJSON(w, http.StatusOK, listBody("clusters", out, next, total))
}

// getClusterMembers pages through a cluster's members, newest first,
// filtered by text (q), customer and time range: what an agent selects to
// split off.
func (s *Server) getClusterMembers(w http.ResponseWriter, r *http.Request) {
	var after storage.MemberKey
	limit, resumed, aerr := pageParams(r, 50, maxMembersPage, &after)
	if aerr != nil {
		s.writeError(w, aerr)
		return
	}
	f, aerr := memberFilter(r)
	if aerr != nil {
		s.writeError(w, aerr)
		return
	}
	id := r.PathValue("id")
	if _, err := s.Store.Cluster(r.Context(), id); errors.Is(err, storage.ErrNotFound) {
		s.writeError(w, newError(http.StatusNotFound, "not_found", "no cluster "+strconv.Quote(id)))
		return
	}
	var from *storage.MemberKey
	if resumed {
		from = &after
	}
	list, total, err := s.Store.ClusterMembers(r.Context(), id, f, from, limit+1)
	if err != nil {
		s.Log.Error("list cluster members", "err", err)
		s.writeError(w, newError(http.StatusInternalServerError, "internal", "unable to list the cluster's members"))
		return
	}
	next := ""
	if len(list) > limit {
		list = list[:limit]
		next = cursor(list[limit-1].Key())
	}
	out := toSamples(list)
	writeJSON(w, http.StatusOK, listBody("members", out, next, total))
}

// memberFilter reads q, customer, since and until.
func memberFilter(r *http.Request) (storage.MemberFilter, *apiError) {
	q := r.URL.Query()
	f := storage.MemberFilter{Q: q.Get("q"), Customer: q.Get("customer")}
	for _, p := range []struct {
		name string
		to   *int64
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if v := q.Get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return f, newError(http.StatusBadRequest, "invalid_parameter", p.name+" must be an RFC 3339 time")
			}
			*p.to = t.UnixMilli()
		}
	}
	if len(f.Q) > 200 {
		return f, newError(http.StatusBadRequest, "invalid_parameter", "q is longer than 200 bytes")
	}
	return f, nil
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
	resp.Samples = toSamples(members)
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
	Title          string     `json:"title"`      // a member text, cut down (triage.TitleOf)
	TitleLang      string     `json:"title_lang"` // ko or en
	Label          []string   `json:"label"`
	Representative string     `json:"representative"`
	Samples        []string   `json:"samples"`
	DecidedBy      string     `json:"decided_by,omitempty"`
	DecidedAt      *time.Time `json:"decided_at,omitempty"`
	IncidentID     string     `json:"incident_id,omitempty"`
}

func (s *Server) getAlerts(w http.ResponseWriter, r *http.Request) {
	var after storage.AlertKey
	limit, resumed, aerr := pageParams(r, 50, maxAlertsPage, &after)
	if aerr != nil {
		s.writeError(w, aerr)
		return
	}
	status := r.URL.Query().Get("status")
	switch status {
	case "", storage.AlertOpen, storage.AlertDeclared, storage.AlertDismissed, storage.AlertResolved:
	default:
		s.writeError(w, newError(http.StatusBadRequest, "invalid_parameter", "status must be open, declared, dismissed or resolved"))
		return
	}
	var from *storage.AlertKey
	if resumed {
		from = &after
	}
	list, err := s.Store.AlertsPage(r.Context(), status, from, limit+1)
	if err != nil {
		s.Log.Error("list alerts", "err", err)
		s.writeError(w, newError(http.StatusInternalServerError, "internal", "unable to list alerts"))
		return
	}
	next := ""
	if len(list) > limit {
		list = list[:limit]
		next = cursor(list[limit-1].Key())
	}
	out := make([]alertResponse, 0, len(list))
	for _, a := range list {
		out = append(out, toAlert(a))
	}
	writeJSON(w, http.StatusOK, listBody("alerts", out, next, -1))
}

func toAlert(a storage.Alert) alertResponse {
	out := alertResponse{ClusterID: a.ClusterID, Status: a.Status, RaisedAt: time.UnixMilli(a.RaisedAt).UTC(),
		PerMinute: a.PerMinute, Inquiries: a.Inquiries, Customers: a.Customers, Label: nonNil(a.Label),
		Title: triage.TitleOf(a.Representative).Text, TitleLang: triage.Lang(a.Representative),
		Representative: a.Representative, Samples: nonNil(a.Samples), DecidedBy: a.DecidedBy, IncidentID: a.IncidentID}
	if a.DecidedAt > 0 {
		at := time.UnixMilli(a.DecidedAt).UTC()
		out.DecidedAt = &at
	}
	return out
}

// declareAlert declares an incident from a surge alert and links its
// cluster, as the Slack button does (desk.DeclareAlert).
func (s *Server) declareAlert(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	inc, err := s.Desk.DeclareAlert(r.Context(), actor(r), id)
	if s.alertError(w, err) {
		return
	}
	s.writeAlert(w, r, http.StatusCreated, id, map[string]any{"incident": inc})
}

// dismissAlert dismisses a surge alert (desk.DismissAlert).
func (s *Server) dismissAlert(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if s.alertError(w, s.Desk.DismissAlert(r.Context(), actor(r), id)) {
		return
	}
	s.writeAlert(w, r, http.StatusOK, id, nil)
}

func (s *Server) writeAlert(w http.ResponseWriter, r *http.Request, status int, id string, extra map[string]any) {
	a, err := s.Store.Alert(r.Context(), id)
	if s.alertError(w, err) {
		return
	}
	body := map[string]any{"alert": toAlert(a)}
	for k, v := range extra {
		body[k] = v
	}
	writeJSON(w, status, body)
}

// alertError writes err as the API's error and reports whether there was one.
func (s *Server) alertError(w http.ResponseWriter, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, storage.ErrNotFound):
		s.writeError(w, newError(http.StatusNotFound, "not_found", "no such alert"))
	case errors.Is(err, storage.ErrExists):
		s.writeError(w, newError(http.StatusConflict, "decided", trimPrefixes(err.Error())))
	default:
		s.Log.Error("alert action", "err", err)
		s.writeError(w, newError(http.StatusInternalServerError, "internal", "unable to change the alert"))
	}
	return true
}
