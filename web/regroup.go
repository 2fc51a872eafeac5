package web

import (
	"net/http"
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
	}
	if aerr := decodeJSON(w, r, &body); aerr != nil {
		s.writeError(w, aerr)
		return
	}
	c, err := s.Desk.Split(r.Context(), actor(r), r.PathValue("id"), body.InquiryIDs)
	if s.queueError(w, err) {
		return
	}
	s.writeCluster(w, r, http.StatusCreated, c)
}
