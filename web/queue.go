package web

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/surgedesk/surgedesk/config"
	"github.com/surgedesk/surgedesk/desk"
	"github.com/surgedesk/surgedesk/storage"
)

type queueItem struct {
	clusterResponse
	Priority   float64    `json:"priority"`
	Urgent     bool       `json:"urgent"`
	Answered   bool       `json:"answered_automatically"`
	ClaimedBy  string     `json:"claimed_by,omitempty"`
	ClaimedTil *time.Time `json:"claimed_until,omitempty"`
}

// getQueue lists the open clusters as the agents' queue, one item per
// cluster, ordered by triage.Priority, each with three sample texts.
// The queue is ranked whole in memory on every read (its order changes as
// clusters grow), so its cursor is a position in the ranking of the moment:
// a walk while the queue moves may see an item twice or miss one.
func (s *Server) getQueue(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	queue, err := s.Desk.Queue(r.Context())
	if err != nil {
		s.Log.Error("queue", "err", err)
		s.writeError(w, newError(http.StatusInternalServerError, "internal", "unable to read the queue"))
		return
	}
	page, next, aerr := pageOf(r, queue, 50, 500)
	if aerr != nil {
		s.writeError(w, aerr)
		return
	}
	if err := s.Desk.Samples(r.Context(), page, 3); err != nil {
		s.Log.Error("queue samples", "err", err)
		s.writeError(w, newError(http.StatusInternalServerError, "internal", "unable to read the queue"))
		return
	}
	items := make([]queueItem, 0, len(page))
	for _, q := range page {
		items = append(items, s.queueItem(q, now))
	}
	body := listBody("items", items, next, int64(len(queue)))
	// The same queue grouped by problem: its most urgent problems, as many
	// as the page has items (the ranking of problems is not paged).
	grouped, err := s.Desk.ByProblem(r.Context(), queue)
	if err != nil {
		s.Log.Error("queue by problem", "err", err)
		s.writeError(w, newError(http.StatusInternalServerError, "internal", "unable to read the queue"))
		return
	}
	problems, err := s.problemQueueItems(r.Context(), grouped, max(len(items), 1))
	if err != nil {
		s.Log.Error("queue by problem", "err", err)
		s.writeError(w, newError(http.StatusInternalServerError, "internal", "unable to read the queue"))
		return
	}
	body["problems"] = problems
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) queueItem(q desk.QueueItem, now time.Time) queueItem {
	item := queueItem{clusterResponse: s.toClusterResponse(q.Cluster, now), Answered: q.IncidentID != "",
		Priority: q.Priority, Urgent: q.Urgent}
	// The counts the priority was computed from: SQL's, the same on every
	// instance.
	item.Last5m, item.Last15m = q.Last5m, q.Last15m
	item.Samples = toSamples(q.Samples)
	if q.ClaimedBy != "" && q.ClaimedUntil > now.UnixMilli() {
		until := time.UnixMilli(q.ClaimedUntil).UTC()
		item.ClaimedBy, item.ClaimedTil = q.ClaimedBy, &until
	}
	return item
}

// claimBody reads a claim's optional {"takeover": bool}; a takeover needs
// the manager role. It answers the error itself and reports whether to go
// on.
func (s *Server) claimBody(w http.ResponseWriter, r *http.Request) (takeover, ok bool) {
	var body struct {
		Takeover bool `json:"takeover"`
	}
	if r.ContentLength != 0 {
		if aerr := decodeJSON(w, r, &body); aerr != nil {
			s.writeError(w, aerr)
			return false, false
		}
	}
	if p, _ := r.Context().Value(principalKey{}).(principal); body.Takeover && !p.has(config.RoleManager) {
		s.writeError(w, newError(http.StatusForbidden, "forbidden", "only a manager can take a claim over"))
		return false, false
	}
	return body.Takeover, true
}

// claimQueueItem claims a cluster for the agent, or with {"takeover": true}
// takes a manager's claim over whoever holds it (audited).
func (s *Server) claimQueueItem(w http.ResponseWriter, r *http.Request) {
	takeover, ok := s.claimBody(w, r)
	if !ok {
		return
	}
	id := r.PathValue("cluster")
	if !takeover {
		until, err := s.Desk.Claim(r.Context(), actor(r), id)
		if s.queueError(w, err) {
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"cluster_id": id, "claimed_by": actor(r), "claimed_until": until.UTC()})
		return
	}
	until, previous, err := s.Desk.TakeOver(r.Context(), actor(r), id)
	if s.queueError(w, err) {
		return
	}
	resp := map[string]any{"cluster_id": id, "claimed_by": actor(r), "claimed_until": until.UTC()}
	if previous != "" {
		resp["taken_from"] = previous
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) resolveQueueItem(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("cluster")
	if s.queueError(w, s.Desk.Resolve(r.Context(), actor(r), id)) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"cluster_id": id, "status": storage.ClusterClosed})
}

func (s *Server) linkCluster(w http.ResponseWriter, r *http.Request) {
	var body struct {
		IncidentID string `json:"incident_id"`
	}
	if aerr := decodeJSON(w, r, &body); aerr != nil {
		s.writeError(w, aerr)
		return
	}
	id := r.PathValue("id")
	if s.queueError(w, s.Desk.Link(r.Context(), actor(r), id, body.IncidentID)) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"cluster_id": id, "incident_id": body.IncidentID})
}

// replyToQueueItem sends one reply to every member of a cluster through
// the channel each came from, once each; members joining later while the
// cluster is open get it at once.
func (s *Server) replyToQueueItem(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Text string `json:"text"`
	}
	if aerr := decodeJSON(w, r, &body); aerr != nil {
		s.writeError(w, aerr)
		return
	}
	id := r.PathValue("cluster")
	queued, err := s.Desk.Reply(r.Context(), actor(r), id, body.Text)
	if errors.Is(err, storage.ErrExists) {
		s.writeError(w, newError(http.StatusConflict, "exists", "this cluster was already replied to"))
		return
	}
	if s.queueError(w, err) {
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"cluster_id": id, "queued": queued})
}

type replyResponse struct {
	Text       string                 `json:"text"`
	By         string                 `json:"by"`
	At         time.Time              `json:"at"`
	Deliveries []notificationResponse `json:"deliveries"`
}

func (s *Server) getQueueItemReply(w http.ResponseWriter, r *http.Request) {
	reply, ds, err := s.Store.ClusterReply(r.Context(), r.PathValue("cluster"))
	if s.queueError(w, err) {
		return
	}
	out := replyResponse{Text: reply.Text, By: reply.By, At: time.UnixMilli(reply.At).UTC(), Deliveries: []notificationResponse{}}
	for _, d := range ds {
		out.Deliveries = append(out.Deliveries, toNotification(d))
	}
	writeJSON(w, http.StatusOK, out)
}

// queueError writes err as the API's error and reports whether there was one.
func (s *Server) queueError(w http.ResponseWriter, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, desk.ErrMissing):
		s.writeError(w, newError(http.StatusBadRequest, "missing_field", err.Error()))
	case errors.Is(err, desk.ErrInvalid):
		s.writeError(w, newError(http.StatusBadRequest, "invalid_field", err.Error()))
	case errors.Is(err, desk.ErrNoIncident):
		s.writeError(w, newError(http.StatusNotFound, "not_found", "no such incident"))
	case errors.Is(err, storage.ErrClaimed):
		s.writeError(w, newError(http.StatusConflict, "claimed", trimPrefixes(err.Error())))
	case errors.Is(err, storage.ErrNotFound):
		s.writeError(w, newError(http.StatusNotFound, "not_found", "no such open cluster"))
	case errors.Is(err, storage.ErrInvalid):
		s.writeError(w, newError(http.StatusBadRequest, "invalid_field", trimPrefixes(strings.TrimSuffix(err.Error(), ": "+storage.ErrInvalid.Error()))))
	default:
		s.Log.Error("queue action", "err", err)
		s.writeError(w, newError(http.StatusInternalServerError, "internal", "unable to change the queue item"))
	}
	return true
}
