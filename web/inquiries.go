package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/surgedesk/surgedesk/bot"
	"github.com/surgedesk/surgedesk/config"
	"github.com/surgedesk/surgedesk/signature"
	"github.com/surgedesk/surgedesk/storage"
)

type acceptedResponse struct {
	ID        string          `json:"id"`
	Status    string          `json:"status"`
	Duplicate bool            `json:"duplicate,omitempty"`
	Answer    *answerResponse `json:"answer,omitempty"`
}

type answerResponse struct {
	Text          string `json:"text"`
	IncidentID    string `json:"incident_id,omitempty"`
	UpdateVersion int    `json:"update_version,omitempty"`
}

func (s *Server) postInquiry(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	code := s.acceptInquiry(w, r)
	s.metrics.intake.WithLabelValues(code).Inc()
	s.metrics.duration.Observe(time.Since(start).Seconds())
}

// acceptInquiry handles POST /v1/inquiries and returns the result code.
func (s *Server) acceptInquiry(w http.ResponseWriter, r *http.Request) string {
	fail := func(e *apiError) string {
		s.writeError(w, e)
		return e.Code
	}
	p, body, aerr := s.intakeBody(w, r, s.Config.Intake.MaxBodyBytes)
	if aerr != nil {
		return fail(aerr)
	}

	// Decode.
	if !utf8.Valid(body) {
		return fail(newError(http.StatusBadRequest, "invalid_utf8", "the body is not valid UTF-8"))
	}
	sub, derr := decodeSubmission(body)
	if derr != nil {
		return fail(derr)
	}
	// Validate what only HTTP knows; the rest is Intake's.
	if p.source != "" && strings.TrimSpace(sub.Source) != p.source {
		return fail(newError(http.StatusForbidden, "source_mismatch", "the signature is for source "+strconv.Quote(p.source)+", not "+strconv.Quote(sub.Source)))
	}
	if p.source != "" && strings.TrimSpace(sub.IdempotencyKey) == "" {
		sub.IdempotencyKey = p.replayKey
	}
	if p.source == "" && s.auth.reserved(sub.Source) {
		return fail(newError(http.StatusForbidden, "source_reserved", "source "+strconv.Quote(strings.TrimSpace(sub.Source))+" is a signed source: post as it with its "+signature.Header+", not a bearer token"))
	}

	// Act.
	rc, err := s.Intake.Accept(r.Context(), sub)
	var ierr *bot.InputError
	switch {
	case errors.As(err, &ierr):
		return fail(newError(http.StatusBadRequest, ierr.Code, ierr.Message))
	case errors.Is(err, bot.ErrUnavailable):
		s.Log.Warn("intake unavailable", "err", err)
		w.Header().Set("Retry-After", "1")
		return fail(newError(http.StatusServiceUnavailable, "unavailable", "the inquiry stream did not acknowledge in time; retry later with the same idempotency_key"))
	case err != nil:
		s.Log.Error("intake failed", "err", err)
		return fail(newError(http.StatusInternalServerError, "internal", "unable to accept the inquiry"))
	}

	// Respond.
	resp := acceptedResponse{ID: rc.ID, Status: "accepted", Duplicate: rc.Duplicate}
	if a := rc.Answer; a != nil {
		resp.Answer = &answerResponse{Text: a.Text, IncidentID: a.IncidentID, UpdateVersion: a.UpdateVersion}
	}
	writeJSON(w, http.StatusAccepted, resp)
	if rc.Duplicate {
		return "duplicate"
	}
	return "accepted"
}

// intakeBody authenticates an intake request (a bearer token with the
// intake role, or a source's signature over the body) and reads its body
// of at most limit bytes. Single and batch intake share it, so both take
// exactly the same credentials.
func (s *Server) intakeBody(w http.ResponseWriter, r *http.Request, limit int64) (principal, []byte, *apiError) {
	// Refuse an announced oversized body before reading any of it.
	if r.ContentLength > limit {
		return principal{}, nil, bodyTooLarge(limit)
	}
	// A bearer token is checked before the body is read; a signature
	// needs the body.
	p, present, aerr := s.auth.bearer(r)
	if aerr != nil {
		return principal{}, nil, aerr
	}
	sig := r.Header.Get(signature.Header)
	if !present && sig == "" {
		return principal{}, nil, errUnauthorized("unauthorized", "missing Authorization: Bearer <token> or "+signature.Header)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return principal{}, nil, bodyTooLarge(limit)
		}
		return principal{}, nil, newError(http.StatusBadRequest, "unreadable_body", "unable to read the request body")
	}
	if !present {
		if p, aerr = s.auth.signed(sig, body); aerr != nil {
			return principal{}, nil, aerr
		}
	}
	if !p.has(config.RoleIntake) {
		return principal{}, nil, newError(http.StatusForbidden, "forbidden", "token "+p.name+" lacks the intake role")
	}
	return p, body, nil
}

func bodyTooLarge(limit int64) *apiError {
	return newError(http.StatusRequestEntityTooLarge, "body_too_large", "the body is larger than "+strconv.FormatInt(limit, 10)+" bytes")
}

// decodeSubmission decodes exactly one JSON object with known fields only.
func decodeSubmission(body []byte) (bot.Submission, *apiError) {
	if sub, ok := decodeFast(body); ok {
		return sub, nil
	}
	return decodeSubmissionJSON(body)
}

// decodeSubmissionJSON is decodeSubmission by encoding/json: every body the fast
// path leaves, and every error.
func decodeSubmissionJSON(body []byte) (bot.Submission, *apiError) {
	var sub bot.Submission
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sub); err != nil {
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return sub, newError(http.StatusBadRequest, "unknown_field", "unknown field "+f)
		}
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			return sub, newError(http.StatusBadRequest, "invalid_field", typeErr.Field+" must be a JSON "+jsonType(typeErr.Type.Kind().String()))
		}
		if errors.As(err, &typeErr) {
			return sub, newError(http.StatusBadRequest, "invalid_json", "the body must be a JSON object")
		}
		return sub, newError(http.StatusBadRequest, "invalid_json", "the body is not a JSON object: "+err.Error())
	}
	// Decode stops after the first value; anything but white space after
	// it (a second object, a stray brace) makes the body malformed.
	if len(bytes.TrimSpace(body[dec.InputOffset():])) > 0 {
		return sub, newError(http.StatusBadRequest, "invalid_json", "unexpected data after the JSON object")
	}
	return sub, nil
}

func jsonType(kind string) string {
	switch kind {
	case "string":
		return "string"
	case "map", "struct":
		return "object"
	case "slice":
		return "array"
	}
	return kind
}

type inquiryResponse struct {
	ID             string          `json:"id"`
	State          string          `json:"state"`
	ClusterID      string          `json:"cluster_id,omitempty"`
	Source         string          `json:"source"`
	CustomerID     string          `json:"customer_id"`
	IdempotencyKey string          `json:"idempotency_key,omitempty"`
	Text           string          `json:"text"`
	Locale         string          `json:"locale,omitempty"`
	ReplyURL       string          `json:"reply_url,omitempty"`
	Metadata       json.RawMessage `json:"metadata"`
	Redactions     []string        `json:"redactions"`
	ReceivedAt     time.Time       `json:"received_at"`
	StoredAt       time.Time       `json:"stored_at"`
	AnswerID       string          `json:"answer_id,omitempty"`
	IncidentID     string          `json:"incident_id,omitempty"`
	UpdateVersion  int64           `json:"update_version,omitempty"`
}

func (s *Server) getInquiry(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	in, err := s.Store.Inquiry(r.Context(), id)
	if errors.Is(err, storage.ErrNotFound) {
		s.writeError(w, newError(http.StatusNotFound, "not_found",
			"no stored inquiry "+strconv.Quote(id)+" (one accepted moments ago may still be on its way to storage)"))
		return
	}
	if err != nil {
		s.Log.Error("read inquiry", "err", err)
		s.writeError(w, newError(http.StatusInternalServerError, "internal", "unable to read the inquiry"))
		return
	}
	writeJSON(w, http.StatusOK, toInquiryResponse(in))
}

func toInquiryResponse(in storage.Inquiry) inquiryResponse {
	red := []string{}
	if in.Redactions != "" {
		red = strings.Split(in.Redactions, ",")
	}
	return inquiryResponse{
		ID: in.ID, State: in.State, ClusterID: in.ClusterID, Source: in.Source, CustomerID: in.CustomerID,
		IdempotencyKey: in.IdempotencyKey, Text: in.Text, Locale: in.Locale, ReplyURL: publicURL(in.ReplyURL),
		Metadata: json.RawMessage(in.Metadata), Redactions: red,
		ReceivedAt: time.UnixMilli(in.ReceivedAt).UTC(), StoredAt: time.UnixMilli(in.StoredAt).UTC(),
		AnswerID: in.AnswerID, IncidentID: in.IncidentID, UpdateVersion: in.UpdateVersion,
	}
}
