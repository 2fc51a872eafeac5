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

// splitBody selects members of a cluster by ids or by filter, to split
// off into a new cluster or, with into, to move into an existing one.
type splitBody struct {
	InquiryIDs []string `json:"inquiry_ids"`
	Into       string   `json:"into"`
	Filter     *struct {
		Q        string    `json:"q"`
		Customer string    `json:"customer"`
		Since    time.Time `json:"since"`
		Until    time.Time `json:"until"`
	} `json:"filter"`
}

func (b splitBody) filter() storage.MemberFilter {
	if b.Filter == nil {
		return storage.MemberFilter{}
	}
	f := storage.MemberFilter{Q: b.Filter.Q, Customer: b.Filter.Customer}
	if !b.Filter.Since.IsZero() {
		f.Since = b.Filter.Since.UnixMilli()
	}
	if !b.Filter.Until.IsZero() {
		f.Until = b.Filter.Until.UnixMilli()
	}
	return f
}

// splitCluster moves the selected members of cluster {id} to a new
// cluster, or with "into" into an existing one, which the clusterers keep
// apart from {id} from now on.
func (s *Server) splitCluster(w http.ResponseWriter, r *http.Request) {
	var body splitBody
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
	case body.Into != "":
		c, err = s.Desk.MoveMembers(r.Context(), actor(r), r.PathValue("id"), body.Into, body.InquiryIDs, body.filter())
	case body.Filter != nil:
		c, err = s.Desk.SplitMatching(r.Context(), actor(r), r.PathValue("id"), body.filter())
	default:
		c, err = s.Desk.Split(r.Context(), actor(r), r.PathValue("id"), body.InquiryIDs)
	}
	if s.queueError(w, err) {
		return
	}
	status := http.StatusCreated
	if body.Into != "" {
		status = http.StatusOK
	}
	s.writeCluster(w, r, status, c)
}
