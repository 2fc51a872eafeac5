// Package assisttest is a fake OpenAI-compatible server for tests:
// /embeddings and /chat/completions, with failures, slowness and 429s on
// demand, recording every text it receives.
package assisttest

import (
	"encoding/json"
	"hash/fnv"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/surgedesk/surgedesk/assist"
	"github.com/surgedesk/surgedesk/config"
)

// Mode is how the fake answers.
type Mode int

// The modes.
const (
	Up          Mode = iota // answers
	Down                    // 500 on every call
	RateLimited             // 429 on every call
	Slow                    // answers after Delay
)

// Server is a running fake; URL is its base URL ending in /v1.
type Server struct {
	URL string
	srv *httptest.Server

	mu       sync.Mutex
	mode     Mode
	delay    time.Duration
	vectors  map[string][]float32
	reply    string
	received []string // every embedded text and chat message, in order
	calls    map[string]int
}

// Dims is the length of the fake's default vectors.
const Dims = 64

// New starts a fake that is Up; it stops when the test ends (call Close).
func New() *Server {
	s := &Server{vectors: map[string][]float32{}, calls: map[string]int{},
		reply: `{"title_ko":"로그인 오류","title_en":"Login failures","reply_ko":"불편을 드려 죄송합니다. 확인 중입니다.","reply_en":"Sorry for the trouble; we are looking into it."}`}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/embeddings", s.embeddings)
	mux.HandleFunc("POST /v1/chat/completions", s.chat)
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL + "/v1"
	return s
}

// Suggester drafts with the fake's chat model ("fake-chat"), keeping
// drafts for ttl; its breaker stays closed through a test's failures.
func (s *Server) Suggester(ttl time.Duration) *assist.Suggester {
	cfg := config.Default().Assist
	cfg.BaseURL, cfg.ChatModel, cfg.ChatTimeout = s.URL, "fake-chat", 2*time.Second
	cfg.BreakerFailures = 100
	return assist.NewSuggester(assist.NewClient(cfg, "", nil), ttl)
}

// Close stops the fake; a slow call in flight is cut off.
func (s *Server) Close() {
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// SetMode switches how the fake answers; delay is for Slow.
func (s *Server) SetMode(m Mode, delay time.Duration) {
	s.mu.Lock()
	s.mode, s.delay = m, delay
	s.mu.Unlock()
}

// SetVector fixes the vector returned for text (as received).
func (s *Server) SetVector(text string, v []float32) {
	s.mu.Lock()
	s.vectors[text] = v
	s.mu.Unlock()
}

// SetReply fixes the chat completion's content.
func (s *Server) SetReply(content string) {
	s.mu.Lock()
	s.reply = content
	s.mu.Unlock()
}

// Received returns every text the fake was sent: embedding inputs and
// chat messages' contents.
func (s *Server) Received() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.received...)
}

// Calls returns how many requests reached path ("embeddings" or "chat").
func (s *Server) Calls(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[path]
}

// gate applies the mode; false means the request was answered with an
// error.
func (s *Server) gate(w http.ResponseWriter, r *http.Request, path string) bool {
	s.mu.Lock()
	s.calls[path]++
	mode, delay := s.mode, s.delay
	s.mu.Unlock()
	switch mode {
	case Down:
		writeError(w, http.StatusInternalServerError, "server_error", "the fake is down")
		return false
	case RateLimited:
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusTooManyRequests, "rate_limit_exceeded", "slow down")
		return false
	case Slow:
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return false
		}
	}
	return true
}

func (s *Server) embeddings(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Input []string `json:"input"`
		Model string   `json:"model"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", err.Error())
		return
	}
	s.mu.Lock()
	s.received = append(s.received, req.Input...)
	s.mu.Unlock()
	if !s.gate(w, r, "embeddings") {
		return
	}
	type datum struct {
		Object    string    `json:"object"`
		Index     int       `json:"index"`
		Embedding []float32 `json:"embedding"`
	}
	data := make([]datum, len(req.Input))
	for i, text := range req.Input {
		s.mu.Lock()
		v, ok := s.vectors[text]
		s.mu.Unlock()
		if !ok {
			v = BagOfWords(text)
		}
		data[i] = datum{Object: "embedding", Index: i, Embedding: v}
	}
	writeJSON(w, map[string]any{"object": "list", "model": req.Model, "data": data,
		"usage": map[string]int{"prompt_tokens": 1, "total_tokens": 1}})
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Model    string `json:"model"`
		Messages []struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		} `json:"messages"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", err.Error())
		return
	}
	s.mu.Lock()
	for _, m := range req.Messages {
		s.received = append(s.received, m.Content)
	}
	reply := s.reply
	s.mu.Unlock()
	if !s.gate(w, r, "chat") {
		return
	}
	writeJSON(w, map[string]any{"id": "chatcmpl-fake", "object": "chat.completion", "model": req.Model,
		"choices": []map[string]any{{"index": 0, "finish_reason": "stop",
			"message": map[string]string{"role": "assistant", "content": reply}}}})
}

// BagOfWords is the fake's default embedding: hashed words, so texts that
// share words are close and texts that share none are orthogonal.
func BagOfWords(text string) []float32 {
	v := make([]float32, Dims)
	for _, w := range strings.Fields(strings.ToLower(text)) {
		h := fnv.New32a()
		h.Write([]byte(w))
		v[h.Sum32()%Dims]++
	}
	v[Dims-1] += 0.01 // never the zero vector
	return v
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": msg, "type": typ, "code": typ}})
}
