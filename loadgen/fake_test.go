package loadgen_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

const testToken = "test-token"

// fakeServer follows the server contract closely enough to count what the
// load generator sends and to answer duplicates with the original's id.
type fakeServer struct {
	mu sync.Mutex

	failEvery   int  // every n-th request gets 503 with Retry-After
	brokenDedup bool // answer a repeated key with a new id, like a buggy server
	storeOnPoll int  // inquiries stored per /v1/stats read; 0 never stores
	onRequest   func(n int)

	requests    int // inquiries, alone or in batches
	batches     int
	unavailable int
	badRequests int
	keyUses     map[string]int
	bodies      map[string]string // first body per key
	bodyChanged int               // repeated keys whose body differed
	ids         map[string]string // key -> id
	issued      int
	stored      int64
}

func newFakeServer(t *testing.T, f *fakeServer) (*fakeServer, string) {
	t.Helper()
	f.keyUses = map[string]int{}
	f.bodies = map[string]string{}
	f.ids = map[string]string{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/inquiries", f.inquiry)
	mux.HandleFunc("POST /v1/inquiries:batch", f.batch)
	mux.HandleFunc("GET /v1/stats", f.stats)
	srv := httptest.NewServer(mux) // listens on 127.0.0.1
	t.Cleanup(srv.Close)
	return f, srv.URL
}

func writeError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"error":{"code":%q,"message":"fake"}}`, code)
}

func (f *fakeServer) inquiry(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+testToken {
		writeError(w, http.StatusUnauthorized, "unauthorized")
		return
	}
	raw, _ := io.ReadAll(r.Body)
	status, code, id := f.item(raw)
	if status != http.StatusAccepted {
		if status == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "1")
		}
		writeError(w, status, code)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	fmt.Fprintf(w, `{"id":%q,"status":"accepted"}`, id)
}

// batch answers POST /v1/inquiries:batch item by item, as the server does.
func (f *fakeServer) batch(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+testToken {
		writeError(w, http.StatusUnauthorized, "unauthorized")
		return
	}
	var req struct {
		Inquiries []json.RawMessage `json:"inquiries"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Inquiries) == 0 {
		writeError(w, http.StatusBadRequest, "invalid_json")
		return
	}
	f.mu.Lock()
	f.batches++
	f.mu.Unlock()
	type result struct {
		ID     string `json:"id,omitempty"`
		Status string `json:"status"`
		Error  *struct {
			Code string `json:"code"`
		} `json:"error,omitempty"`
	}
	var resp struct {
		Results []result `json:"results"`
	}
	for _, raw := range req.Inquiries {
		status, code, id := f.item(raw)
		res := result{ID: id, Status: "accepted"}
		switch status {
		case http.StatusAccepted:
		case http.StatusServiceUnavailable:
			res.Status = "unavailable"
			w.Header().Set("Retry-After", "1")
		default:
			res.Status = "rejected"
		}
		if status != http.StatusAccepted {
			res.Error = &struct {
				Code string `json:"code"`
			}{code}
		}
		resp.Results = append(resp.Results, res)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}

// item handles one inquiry, alone or in a batch.
func (f *fakeServer) item(raw []byte) (status int, code, id string) {
	var in struct {
		Source         string `json:"source"`
		CustomerID     string `json:"customer_id"`
		Text           string `json:"text"`
		IdempotencyKey string `json:"idempotency_key"`
	}
	f.mu.Lock()
	f.requests++
	n := f.requests
	hook := f.onRequest
	f.mu.Unlock()
	if hook != nil {
		hook(n)
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	if err := json.Unmarshal(raw, &in); err != nil || in.Source == "" || in.CustomerID == "" || in.Text == "" || in.IdempotencyKey == "" {
		f.badRequests++
		return http.StatusBadRequest, "invalid_request", ""
	}
	key := in.Source + "\x00" + in.IdempotencyKey
	f.keyUses[key]++
	if first, ok := f.bodies[key]; !ok {
		f.bodies[key] = string(raw)
	} else if first != string(raw) {
		f.bodyChanged++
	}
	if f.failEvery > 0 && n%f.failEvery == 0 {
		f.unavailable++
		return http.StatusServiceUnavailable, "stream_unavailable", ""
	}
	id, ok := f.ids[key]
	if !ok || f.brokenDedup {
		f.issued++
		id = fmt.Sprintf("inq-%d", f.issued)
		f.ids[key] = id
	}
	return http.StatusAccepted, "", id
}

// stats stores a batch per read, so Verify has to poll more than once.
func (f *fakeServer) stats(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+testToken {
		writeError(w, http.StatusUnauthorized, "unauthorized")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	accepted := int64(f.issued)
	f.stored = min(f.stored+int64(f.storeOnPoll), accepted)
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"accepted":%d,"stored":%d,"dead_lettered":0,"pending":%d,"streams":1}`,
		accepted, f.stored, accepted-f.stored)
}

// repeatedKeys is how many requests reused a key the server saw from another request.
func (f *fakeServer) repeatedKeys() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, uses := range f.keyUses {
		n += uses - 1
	}
	return n
}

func (f *fakeServer) count() (requests, unavailable, bad, bodyChanged, issued int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests, f.unavailable, f.badRequests, f.bodyChanged, f.issued
}

func (f *fakeServer) batchCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.batches
}
