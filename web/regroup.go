package web

import (
	"net/http"
	"time"

	"github.com/surgedesk/surgedesk/storage"
)

// mergeCluster moves every member of cluster {id} into cluster "into";
// {id} ends merged. The clusterers remember it (triage.Clusterer.Merge).
func (s *Server) mergeCluster(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Into string `json:"into"`
	}
	if aerr := decodeJSON(w, r, &body); aerr != nil {
		s.writeError(w, aerr)
		return
	}
	c, err := s.Desk.Merge(r.Context(), actor(r), r.PathValue("id"), body.Into)
	if s.queueError(w, err) {
		return
	}
	s.writeCluster(w, r, http.StatusOK, c)
}

// splitCluster moves the listed members of cluster {id} to a new cluster,
// which the clusterers keep apart from {id} from now on.
func (s *Server) splitCluster(w http.ResponseWriter, r *http.Request) {
	var body struct {
		InquiryIDs []string `json:"inquiry_ids"`
		Filter     *struct {
			Q        string    `json:"q"`
			Customer string    `json:"customer"`
			Since    time.Time `json:"since"`
			Until    time.Time `json:"until"`
		} `json:"filter"`
	}
	if aerr := decodeJSON(w, r, &body); aerr != nil {
		s.writeError(w, aerr)
		return
	}
	var (
		c   storage.Cluster
		err error
	)
	switch {
	case body.Filter != nil && len(body.InquiryIDs) > 0:
		s.writeError(w, newError(http.StatusBadRequest, "invalid_field", "give inquiry_ids or filter, not both"))
		return
	case body.Filter != nil:
		f := storage.MemberFilter{Q: body.Filter.Q, Customer: body.Filter.Customer}
		if !body.Filter.Since.IsZero() {
			f.Since = body.Filter.Since.UnixMilli()
		}
		if !body.Filter.Until.IsZero() {
			f.Until = body.Filter.Until.UnixMilli()
		}
		c, err = s.Desk.SplitMatching(r.Context(), actor(r), r.PathValue("id"), f)
	default:
		c, err = s.Desk.Split(r.Context(), actor(r), r.PathValue("id"), body.InquiryIDs)
	}
	if s.queueError(w, err) {
		return
	}
	s.writeCluster(w, r, http.StatusCreated, c)
}
