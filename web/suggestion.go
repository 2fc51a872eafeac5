package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/surgedesk/surgedesk/assist"
	"github.com/surgedesk/surgedesk/desk"
	"github.com/surgedesk/surgedesk/storage"
)

// suggester drafts a problem title and a reply to all (package assist).
type suggester interface {
	Suggest(ctx context.Context, key string, samples []string) (assist.Suggestion, error)
}

type suggestionResponse struct {
	ClusterID string `json:"cluster_id,omitempty"`
	ProblemID string `json:"problem_id,omitempty"`
	assist.Suggestion
	Samples int `json:"samples"`
}

// getClusterSuggestion drafts a title (ko, en) and a reply to all for a
// cluster with the configured chat model. It only drafts: the agent edits
// the text and sends it with POST /v1/queue/{cluster}/reply.
func (s *Server) getClusterSuggestion(w http.ResponseWriter, r *http.Request) {
	if !s.suggesting(w) {
		return
	}
	id := r.PathValue("id")
	texts, err := s.Desk.ClusterTexts(r.Context(), id)
	if errors.Is(err, storage.ErrNotFound) { // closed clusters are drafted for too
		s.writeError(w, newError(http.StatusNotFound, "not_found", "no cluster "+strconv.Quote(id)))
		return
	}
	if s.queueError(w, err) {
		return
	}
	s.writeSuggestion(w, r, desk.ClusterDraftKey(id), texts, suggestionResponse{ClusterID: id})
}

// getProblemSuggestion drafts a title and a reply to all for a whole
// problem, from members of each of its open clusters; the agent edits it
// and sends it with POST /v1/problems/{id}/reply.
func (s *Server) getProblemSuggestion(w http.ResponseWriter, r *http.Request) {
	if !s.suggesting(w) {
		return
	}
	id := r.PathValue("id")
	texts, err := s.Desk.ProblemTexts(r.Context(), id)
	if s.problemError(w, err) {
		return
	}
	s.writeSuggestion(w, r, desk.ProblemDraftKey(id), texts, suggestionResponse{ProblemID: id})
}

// suggesting answers 404 assist_disabled when no chat model is set.
func (s *Server) suggesting(w http.ResponseWriter) bool {
	if s.Suggester == nil {
		s.writeError(w, newError(http.StatusNotFound, "assist_disabled",
			"suggestions need assist.base_url and assist.chat_model (see docs/assist.md)"))
		return false
	}
	return true
}

// writeSuggestion asks the chat model for a draft from texts (redacted at
// intake) and writes it into resp.
func (s *Server) writeSuggestion(w http.ResponseWriter, r *http.Request, key string, texts []string, resp suggestionResponse) {
	sug, err := s.Suggester.Suggest(r.Context(), key, texts)
	if err != nil {
		s.Log.Warn("suggestion not drafted", "for", key, "err", err)
		s.writeError(w, newError(http.StatusServiceUnavailable, "assist_unavailable",
			"the chat model did not answer; write the reply yourself or try again later"))
		return
	}
	resp.Suggestion, resp.Samples = sug, len(texts)
	writeJSON(w, http.StatusOK, resp)
}
