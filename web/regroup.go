package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/surgedesk/surgedesk/storage"
	"github.com/surgedesk/surgedesk/triage"
)

const (
	// maxSplitIDs bounds one split: the moved texts travel to every
	// instance in one announcement.
	maxSplitIDs = 500
	// splitKeptSample is how many of the remaining members the clusterers
	// rebuild the original cluster's centroid from (as on a restart).
	splitKeptSample = 32
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
	id := r.PathValue("id")
	switch {
	case body.Into == "":
		s.writeError(w, newError(http.StatusBadRequest, "missing_field", "into is required"))
		return
	case body.Into == id:
		s.writeError(w, newError(http.StatusBadRequest, "invalid_field", "a cluster cannot be merged into itself"))
		return
	}
	c, queued, err := s.Store.MergeCluster(r.Context(), actor(r), id, body.Into, time.Now().UnixMilli())
	if s.queueError(w, err) {
		return
	}
	s.Clusters.Merge(id, body.Into)
	if s.ClustersMerged != nil {
		s.ClustersMerged(r.Context(), id, body.Into)
	}
	if queued > 0 && s.Kick != nil {
		s.Kick()
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
	switch {
	case len(body.InquiryIDs) == 0:
		s.writeError(w, newError(http.StatusBadRequest, "missing_field", "inquiry_ids is required: the members to split off"))
		return
	case len(body.InquiryIDs) > maxSplitIDs:
		s.writeError(w, newError(http.StatusBadRequest, "invalid_field", "at most "+strconv.Itoa(maxSplitIDs)+" inquiry_ids per split"))
		return
	}
	for _, id := range body.InquiryIDs {
		if id == "" {
			s.writeError(w, newError(http.StatusBadRequest, "invalid_field", "inquiry_ids must not contain an empty id"))
			return
		}
	}
	id := r.PathValue("id")
	newID := s.Clusters.NewID()
	c, err := s.Store.SplitCluster(r.Context(), actor(r), id, newID, body.InquiryIDs, time.Now().UnixMilli())
	if s.queueError(w, err) {
		return
	}
	// Committed: the texts for the clusterers are best effort, and a
	// restart rebuilds both clusters from SQL whatever happens here.
	moved, err := s.Store.InquiriesByCluster(r.Context(), newID, maxSplitIDs)
	var kept []storage.Inquiry
	if err == nil {
		kept, err = s.Store.InquiriesByCluster(r.Context(), id, splitKeptSample)
	}
	if err != nil {
		s.Log.Error("split committed but not applied in memory", "cluster", id, "new", newID, "err", err)
	} else {
		s.Clusters.Split(id, newID, toItems(moved), toItems(kept))
		if s.ClusterSplit != nil {
			s.ClusterSplit(r.Context(), id, newID, moved, kept)
		}
	}
	s.writeCluster(w, r, http.StatusCreated, c)
}

func toItems(rows []storage.Inquiry) []triage.Item {
	out := make([]triage.Item, len(rows))
	for i, in := range rows {
		out[i] = in.Item()
	}
	return out
}
