package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/surgedesk/surgedesk/kb"
	"github.com/surgedesk/surgedesk/storage"
)

// maxKBPage is the default and the most of one page of the knowledge
// base's lists (incidents, updates, answers): they are small, and a
// client that never pages still gets them whole.
const maxKBPage = 1000

// maxKBBody bounds a knowledge-base request: a whole YAML import included.
const maxKBBody = 4 << 20

// kbError maps the knowledge base's errors onto the API's.
func (s *Server) kbError(w http.ResponseWriter, err error, what string) {
	switch {
	case errors.Is(err, kb.ErrInvalid):
		s.writeError(w, newError(http.StatusBadRequest, "invalid_field", trimPrefixes(err.Error())))
	case errors.Is(err, storage.ErrNotFound):
		s.writeError(w, newError(http.StatusNotFound, "not_found", "no such "+what))
	case errors.Is(err, storage.ErrExists):
		s.writeError(w, newError(http.StatusConflict, "exists", what+" already exists"))
	default:
		s.Log.Error("knowledge base", "what", what, "err", err)
		s.writeError(w, newError(http.StatusInternalServerError, "internal", "unable to change or read the "+what))
	}
}

// trimPrefixes drops the "storage: " and "kb: " prefixes meant for logs.
func trimPrefixes(msg string) string {
	for _, p := range []string{"storage: ", "kb: invalid: ", "kb: "} {
		msg = strings.ReplaceAll(msg, p, "")
	}
	return msg
}

// decodeJSON decodes a bounded body strictly into v.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) *apiError {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxKBBody))
	if err != nil {
		return bodyTooLarge(maxKBBody)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return newError(http.StatusBadRequest, "invalid_json", "the body is not a valid JSON object: "+err.Error())
	}
	if len(bytes.TrimSpace(body[dec.InputOffset():])) > 0 {
		return newError(http.StatusBadRequest, "invalid_json", "unexpected data after the JSON object")
	}
	if hasNUL(v) {
		return errNUL()
	}
	return nil
}

func (s *Server) getIncidents(w http.ResponseWriter, r *http.Request) {
	list, err := s.Knowledge.Incidents(r.Context(), r.URL.Query().Get("active") == "true")
	if err != nil {
		s.kbError(w, err, "incidents")
		return
	}
	page, next, aerr := pageOf(r, nonNil(list), maxKBPage, maxKBPage)
	if aerr != nil {
		s.writeError(w, aerr)
		return
	}
	writeJSON(w, http.StatusOK, listBody("incidents", page, next, int64(len(list))))
}

func (s *Server) postIncident(w http.ResponseWriter, r *http.Request) {
	var inc kb.Incident
	if aerr := decodeJSON(w, r, &inc); aerr != nil {
		s.writeError(w, aerr)
		return
	}
	created, err := s.Desk.DeclareIncident(r.Context(), actor(r), inc)
	if err != nil {
		s.kbError(w, err, "incident")
		return
	}
	writeJSON(w, http.StatusCreated, created)
}

func (s *Server) getIncident(w http.ResponseWriter, r *http.Request) {
	inc, err := s.Knowledge.Incident(r.Context(), r.PathValue("id"))
	if err != nil {
		s.kbError(w, err, "incident")
		return
	}
	writeJSON(w, http.StatusOK, inc)
}

func (s *Server) getIncidentUpdates(w http.ResponseWriter, r *http.Request) {
	ups, err := s.Knowledge.IncidentUpdates(r.Context(), r.PathValue("id"))
	if err != nil {
		s.kbError(w, err, "incident")
		return
	}
	page, next, aerr := pageOf(r, nonNil(ups), maxKBPage, maxKBPage)
	if aerr != nil {
		s.writeError(w, aerr)
		return
	}
	writeJSON(w, http.StatusOK, listBody("updates", page, next, int64(len(ups))))
}

func (s *Server) postIncidentUpdate(w http.ResponseWriter, r *http.Request) {
	var u kb.Update
	if aerr := decodeJSON(w, r, &u); aerr != nil {
		s.writeError(w, aerr)
		return
	}
	id := r.PathValue("id")
	added, err := s.Desk.UpdateIncident(r.Context(), actor(r), id, u)
	if err != nil {
		s.kbError(w, err, "incident")
		return
	}
	writeJSON(w, http.StatusCreated, added.Update)
}

type volumeBucket struct {
	Start     time.Time `json:"start"`
	Inquiries int64     `json:"inquiries"`
	Answered  int64     `json:"answered"`
	Queued    int64     `json:"queued"`
	Customers int64     `json:"customers"`
}

func (s *Server) getIncidentVolume(w http.ResponseWriter, r *http.Request) {
	bucket := time.Minute
	if v := r.URL.Query().Get("bucket"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Minute || d > 24*time.Hour || d%time.Minute != 0 {
			s.writeError(w, newError(http.StatusBadRequest, "invalid_parameter", "bucket must be whole minutes from 1m to 24h, such as 1m, 5m or 1h"))
			return
		}
		bucket = d
	}
	id := r.PathValue("id")
	inc, err := s.Knowledge.Incident(r.Context(), id)
	if err != nil {
		s.kbError(w, err, "incident")
		return
	}
	since := inc.StartedAt.Add(-time.Hour) // the support signal often comes first
	if v := r.URL.Query().Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			s.writeError(w, newError(http.StatusBadRequest, "invalid_parameter", "since must be an RFC 3339 time"))
			return
		}
		since = t
	}
	list, err := s.Knowledge.IncidentVolume(r.Context(), id, bucket.Milliseconds(), since.UnixMilli())
	if err != nil {
		s.kbError(w, err, "incident volume")
		return
	}
	out := make([]volumeBucket, 0, len(list))
	for _, b := range list {
		out = append(out, volumeBucket{Start: time.UnixMilli(b.Start).UTC(), Inquiries: b.Inquiries,
			Answered: b.Answered, Queued: b.Queued(), Customers: b.Customers})
	}
	writeJSON(w, http.StatusOK, map[string]any{"incident_id": id, "bucket": bucket.String(), "buckets": out})
}

func (s *Server) getAnswers(w http.ResponseWriter, r *http.Request) {
	list, err := s.Knowledge.Answers(r.Context())
	if err != nil {
		s.kbError(w, err, "answers")
		return
	}
	page, next, aerr := pageOf(r, nonNil(list), maxKBPage, maxKBPage)
	if aerr != nil {
		s.writeError(w, aerr)
		return
	}
	writeJSON(w, http.StatusOK, listBody("answers", page, next, int64(len(list))))
}

func (s *Server) postAnswer(w http.ResponseWriter, r *http.Request) {
	var a kb.Answer
	if aerr := decodeJSON(w, r, &a); aerr != nil {
		s.writeError(w, aerr)
		return
	}
	created, err := s.Desk.CreateAnswer(r.Context(), actor(r), a)
	if err != nil {
		s.kbError(w, err, "answer")
		return
	}
	writeJSON(w, http.StatusCreated, created)
}

func (s *Server) getAnswer(w http.ResponseWriter, r *http.Request) {
	a, err := s.Knowledge.Answer(r.Context(), r.PathValue("id"))
	if err != nil {
		s.kbError(w, err, "answer")
		return
	}
	writeJSON(w, http.StatusOK, a)
}

func (s *Server) putAnswer(w http.ResponseWriter, r *http.Request) {
	var a kb.Answer
	if aerr := decodeJSON(w, r, &a); aerr != nil {
		s.writeError(w, aerr)
		return
	}
	id := r.PathValue("id")
	if a.ID != "" && a.ID != id {
		s.writeError(w, newError(http.StatusBadRequest, "invalid_field", "id in the body ("+a.ID+") differs from the path ("+id+")"))
		return
	}
	a.ID = id
	updated, err := s.Desk.UpdateAnswer(r.Context(), actor(r), a)
	if err != nil {
		s.kbError(w, err, "answer")
		return
	}
	writeJSON(w, http.StatusOK, updated)
}

func (s *Server) exportKB(w http.ResponseWriter, r *http.Request) {
	d, err := s.Knowledge.ExportKB(r.Context())
	if err != nil {
		s.kbError(w, err, "knowledge base")
		return
	}
	var buf bytes.Buffer
	if err := kb.Encode(&buf, d); err != nil {
		s.kbError(w, err, "knowledge base")
		return
	}
	w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}

func (s *Server) importKB(w http.ResponseWriter, r *http.Request) {
	d, err := kb.Decode(http.MaxBytesReader(w, r.Body, maxKBBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			s.writeError(w, bodyTooLarge(maxKBBody))
			return
		}
		s.writeError(w, newError(http.StatusBadRequest, "invalid_yaml", trimPrefixes(err.Error())))
		return
	}
	if hasNUL(d) {
		s.writeError(w, errNUL())
		return
	}
	if err := s.Desk.ImportKB(r.Context(), actor(r), d); err != nil {
		s.kbError(w, err, "knowledge base")
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"incidents": len(d.Incidents), "answers": len(d.Answers)})
}

type auditResponse struct {
	ID      int64           `json:"id"`
	At      string          `json:"at"`
	Actor   string          `json:"actor"`
	Action  string          `json:"action"`
	Subject string          `json:"subject"`
	Detail  json.RawMessage `json:"detail"`
}

func (s *Server) getAudit(w http.ResponseWriter, r *http.Request) {
	var after struct {
		ID int64 `json:"id"`
	}
	limit, _, aerr := pageParams(r, 100, 1000, &after)
	if aerr != nil {
		s.writeError(w, aerr)
		return
	}
	entries, err := s.Knowledge.AuditPage(r.Context(), r.URL.Query().Get("subject"), after.ID, limit+1)
	if err != nil {
		s.kbError(w, err, "audit trail")
		return
	}
	next := ""
	if len(entries) > limit {
		entries = entries[:limit]
		next = cursor(map[string]int64{"id": entries[limit-1].ID})
	}
	out := make([]auditResponse, 0, len(entries))
	for _, e := range entries {
		out = append(out, auditResponse{ID: e.ID, At: e.At.UTC().Format("2006-01-02T15:04:05.000Z07:00"), Actor: e.Actor,
			Action: e.Action, Subject: e.Subject, Detail: json.RawMessage(e.Detail)})
	}
	writeJSON(w, http.StatusOK, listBody("audit", out, next, -1))
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

type notificationResponse struct {
	ID            string     `json:"id"`
	Kind          string     `json:"kind"`
	InquiryID     string     `json:"inquiry_id"`
	CustomerKey   string     `json:"customer"`
	UpdateVersion int        `json:"update_version"`
	Locale        string     `json:"locale"`
	Text          string     `json:"text"`
	Status        string     `json:"status"`
	Attempts      int        `json:"attempts"`
	LastError     string     `json:"last_error,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	DeliveredAt   *time.Time `json:"delivered_at,omitempty"`
}

func (s *Server) getIncidentNotifications(w http.ResponseWriter, r *http.Request) {
	var after storage.DeliveryKey
	limit, resumed, aerr := pageParams(r, 100, 1000, &after)
	if aerr != nil {
		s.writeError(w, aerr)
		return
	}
	id := r.PathValue("id")
	if _, err := s.Knowledge.Incident(r.Context(), id); err != nil {
		s.kbError(w, err, "incident")
		return
	}
	var from *storage.DeliveryKey
	if resumed {
		from = &after
	}
	list, err := s.Knowledge.DeliveriesByIncidentPage(r.Context(), id, from, limit+1)
	if err != nil {
		s.kbError(w, err, "notifications")
		return
	}
	next := ""
	if len(list) > limit {
		list = list[:limit]
		next = cursor(list[limit-1].Key())
	}
	out := make([]notificationResponse, 0, len(list))
	for _, d := range list {
		out = append(out, toNotification(d))
	}
	writeJSON(w, http.StatusOK, listBody("notifications", out, next, -1))
}

func toNotification(d storage.Delivery) notificationResponse {
	n := notificationResponse{ID: d.ID, Kind: d.Kind, InquiryID: d.InquiryID, CustomerKey: d.CustomerKey,
		UpdateVersion: d.UpdateVersion, Locale: d.Locale, Text: d.Text, Status: d.Status, Attempts: d.Attempts,
		LastError: d.LastError, CreatedAt: time.UnixMilli(d.CreatedAt).UTC()}
	if d.DeliveredAt > 0 {
		t := time.UnixMilli(d.DeliveredAt).UTC()
		n.DeliveredAt = &t
	}
	return n
}
