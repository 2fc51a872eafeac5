package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/surgedesk/surgedesk/bot"
	"github.com/surgedesk/surgedesk/signature"
)

// batchRequest is the body of POST /v1/inquiries:batch.
type batchRequest struct {
	Inquiries []json.RawMessage `json:"inquiries"`
}

// batchResult is one item's outcome, in the request's order: accepted
// (with id, duplicate and answer as single intake gives them), rejected
// (its input was bad; fix it) or unavailable (JetStream did not
// acknowledge it in time; send it again with the same idempotency_key).
type batchResult struct {
	ID        string          `json:"id,omitempty"`
	Status    string          `json:"status"`
	Duplicate bool            `json:"duplicate,omitempty"`
	Answer    *answerResponse `json:"answer,omitempty"`
	Error     *apiError       `json:"error,omitempty"`
}

type batchResponse struct {
	Accepted    int           `json:"accepted"`
	Rejected    int           `json:"rejected"`
	Unavailable int           `json:"unavailable"`
	Results     []batchResult `json:"results"`
}

func (s *Server) postInquiryBatch(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	s.acceptBatch(w, r)
	s.metrics.batchDuration.Observe(time.Since(start).Seconds())
}

// acceptBatch handles POST /v1/inquiries:batch: the same credentials,
// limits and idempotency as POST /v1/inquiries, for up to
// intake.max_batch_items inquiries, answered once every one is
// acknowledged or has failed. A bad item fails alone; the request as a
// whole fails only when it cannot be read as a batch.
func (s *Server) acceptBatch(w http.ResponseWriter, r *http.Request) {
	fail := func(e *apiError) {
		s.metrics.intake.WithLabelValues(e.Code).Inc()
		s.writeError(w, e)
	}
	// Decode.
	p, body, aerr := s.intakeBody(w, r, s.Config.Intake.MaxBatchBodyBytes)
	if aerr != nil {
		fail(aerr)
		return
	}
	if !utf8.Valid(body) {
		fail(newError(http.StatusBadRequest, "invalid_utf8", "the body is not valid UTF-8"))
		return
	}
	items, aerr := decodeBatch(body, s.Config.Intake.MaxBatchItems)
	if aerr != nil {
		fail(aerr)
		return
	}

	// Validate what only HTTP knows, item by item; the rest is Intake's.
	results := make([]batchResult, len(items))
	subs := make([]bot.Submission, 0, len(items))
	index := make([]int, 0, len(items)) // subs[k] is items[index[k]]
	for i, raw := range items {
		sub, derr := decodeSubmission(raw)
		switch {
		case derr != nil:
		case p.source != "" && strings.TrimSpace(sub.Source) != p.source:
			derr = newError(http.StatusForbidden, "source_mismatch", "the signature is for source "+strconv.Quote(p.source)+", not "+strconv.Quote(sub.Source))
		case p.source == "" && s.auth.reserved(sub.Source):
			derr = newError(http.StatusForbidden, "source_reserved", "source "+strconv.Quote(strings.TrimSpace(sub.Source))+" is a signed source: post as it with its "+signature.Header+", not a bearer token")
		case p.source != "" && strings.TrimSpace(sub.IdempotencyKey) == "":
			// A replayed signed batch is the same batch: each unkeyed item
			// gets the request's replay key with its position.
			sub.IdempotencyKey = p.replayKey + "." + strconv.Itoa(i)
		}
		if derr != nil {
			results[i] = batchResult{Status: "rejected", Error: derr}
			continue
		}
		subs = append(subs, sub)
		index = append(index, i)
	}

	// Act.
	var firstErr error
	for k, rc := range s.Intake.AcceptBatch(r.Context(), subs) {
		results[index[k]] = batchItem(rc)
		if firstErr == nil && rc.Err != nil && results[index[k]].Status == "unavailable" {
			firstErr = rc.Err
		}
	}

	// Respond.
	resp := batchResponse{Results: results}
	for _, res := range results {
		code := "accepted"
		switch {
		case res.Status == "accepted" && res.Duplicate:
			code = "duplicate"
			resp.Accepted++
		case res.Status == "accepted":
			resp.Accepted++
		case res.Status == "unavailable":
			code = res.Error.Code
			resp.Unavailable++
		default:
			code = res.Error.Code
			resp.Rejected++
		}
		s.metrics.intake.WithLabelValues(code).Inc()
	}
	if resp.Unavailable > 0 {
		// One line per batch, not per item: an outage would flood the log.
		s.Log.Warn("batch intake: items unavailable", "unavailable", resp.Unavailable, "of", len(results), "err", firstErr)
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, http.StatusOK, resp)
}

// batchItem turns one item's outcome into its result.
func batchItem(rc bot.Result) batchResult {
	var ierr *bot.InputError
	switch {
	case rc.Err == nil:
		res := batchResult{ID: rc.Receipt.ID, Status: "accepted", Duplicate: rc.Receipt.Duplicate}
		if a := rc.Receipt.Answer; a != nil {
			res.Answer = &answerResponse{Text: a.Text, IncidentID: a.IncidentID, UpdateVersion: a.UpdateVersion}
		}
		return res
	case errors.As(rc.Err, &ierr):
		return batchResult{Status: "rejected", Error: newError(http.StatusBadRequest, ierr.Code, ierr.Message)}
	case errors.Is(rc.Err, bot.ErrUnavailable):
		return batchResult{Status: "unavailable", Error: newError(http.StatusServiceUnavailable, "unavailable",
			"the inquiry stream did not acknowledge in time; retry later with the same idempotency_key")}
	default:
		return batchResult{Status: "unavailable", Error: newError(http.StatusInternalServerError, "internal", "unable to accept the inquiry")}
	}
}

// decodeBatch reads {"inquiries": [...]} with at least one and at most
// limit items, each kept raw so that a malformed item fails alone.
func decodeBatch(body []byte, limit int) ([]json.RawMessage, *apiError) {
	var req batchRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return nil, newError(http.StatusBadRequest, "unknown_field", "unknown field "+f+"; a batch is {\"inquiries\": [...]}")
		}
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return nil, newError(http.StatusBadRequest, "invalid_json", "a batch is {\"inquiries\": [ {inquiry}, ... ]}")
		}
		return nil, newError(http.StatusBadRequest, "invalid_json", "the body is not a JSON object: "+err.Error())
	}
	if len(bytes.TrimSpace(body[dec.InputOffset():])) > 0 {
		return nil, newError(http.StatusBadRequest, "invalid_json", "unexpected data after the JSON object")
	}
	switch {
	case len(req.Inquiries) == 0:
		return nil, newError(http.StatusBadRequest, "missing_field", "inquiries is missing or empty")
	case len(req.Inquiries) > limit:
		return nil, newError(http.StatusRequestEntityTooLarge, "too_many_inquiries",
			"the batch holds "+strconv.Itoa(len(req.Inquiries))+" inquiries; the limit is "+strconv.Itoa(limit))
	}
	return req.Inquiries, nil
}
