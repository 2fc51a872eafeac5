package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/surgedesk/surgedesk/assist"
	"github.com/surgedesk/surgedesk/storage"
)

// suggester drafts a problem title and a reply to all (package assist).
type suggester interface {
	Suggest(ctx context.Context, key string, samples []string) (assist.Suggestion, error)
}

// suggestionSamples is how many of a cluster's newest members the model
// sees.
const suggestionSamples = 12

type suggestionResponse struct {
	ClusterID string `json:"cluster_id"`
	assist.Suggestion
	Samples int `json:"samples"`
}

// getClusterSuggestion drafts a title (ko, en) and a reply to all for a
// cluster with the configured chat model. It only drafts: the agent edits
// the text and sends it with POST /v1/queue/{cluster}/reply.
func (s *Server) getClusterSuggestion(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if s.Suggester == nil {
		s.writeError(w, newError(http.StatusNotFound, "assist_disabled",
			"suggestions need assist.base_url and assist.chat_model (see docs/assist.md)"))
		return
	}
	if _, err := s.Store.Cluster(r.Context(), id); errors.Is(err, storage.ErrNotFound) {
		s.writeError(w, newError(http.StatusNotFound, "not_found", "no cluster "+strconv.Quote(id)))
		return
	} else if err != nil {
		s.Log.Error("read cluster", "err", err)
		s.writeError(w, newError(http.StatusInternalServerError, "internal", "unable to read the cluster"))
		return
	}
	members, err := s.Store.InquiriesByCluster(r.Context(), id, suggestionSamples)
	if err != nil {
		s.Log.Error("read cluster members", "err", err)
		s.writeError(w, newError(http.StatusInternalServerError, "internal", "unable to read the cluster"))
		return
	}
	samples := make([]string, 0, len(members))
	for _, m := range members {
		samples = append(samples, m.Text) // redacted at intake
	}
	sug, err := s.Suggester.Suggest(r.Context(), "cluster:"+id, samples)
	if err != nil {
		s.Log.Warn("suggestion not drafted", "cluster", id, "err", err)
		s.writeError(w, newError(http.StatusServiceUnavailable, "assist_unavailable",
			"the chat model did not answer; write the reply yourself or try again later"))
		return
	}
	writeJSON(w, http.StatusOK, suggestionResponse{ClusterID: id, Suggestion: sug, Samples: len(samples)})
}
