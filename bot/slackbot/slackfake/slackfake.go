// Package slackfake is a local Slack Web API for tests, built on slack-go's
// slacktest server: it answers the methods surgedesk calls as Slack
// documents them, records every call so that a test can assert what Slack
// received, and can be told to fail calls (429 with Retry-After, 500).
package slackfake

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack/slacktest"
)

// Call is one Web API request as received.
type Call struct {
	Method string
	Form   url.Values     // form-encoded calls (chat.*): every field
	JSON   map[string]any // JSON calls (views.*)
	At     time.Time
	Status int // what the fake answered
}

// Text is the call's text field.
func (c Call) Text() string { return c.Form.Get("text") }

// Failure is an injected answer for the next call of a method.
type Failure struct {
	Status     int    // HTTP status: 429, 500…; 200 with Error set answers ok:false
	RetryAfter int    // seconds, for 429
	Error      string // Slack error code, e.g. "channel_not_found"
}

// Server is the fake Slack.
type Server struct {
	*slacktest.Server

	mu       sync.Mutex
	calls    []Call
	failures map[string][]Failure
	seq      int64
	notify   chan struct{}
}

// Methods the fake answers itself; the rest are slacktest's.
var methods = []string{"chat.postMessage", "chat.update", "chat.postEphemeral", "views.open", "views.update", "auth.test"}

// New starts a fake Slack and stops it when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{failures: map[string][]Failure{}, seq: time.Now().Unix() * 1000, notify: make(chan struct{})}
	binder := func(c slacktest.Customize) {
		for _, m := range methods {
			c.Handle("/"+m, s.handle(m))
		}
	}
	s.Server = slacktest.NewTestServer(binder)
	s.Server.Start()
	t.Cleanup(s.Server.Stop)
	return s
}

// URL is the base to configure as slack.api_url.
func (s *Server) URL() string { return s.GetAPIURL() }

// Fail makes the next calls of method answer with fs, one each, in order.
func (s *Server) Fail(method string, fs ...Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures[method] = append(s.failures[method], fs...)
}

// Calls returns the calls of method so far (every call when method is "").
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// WaitFor waits until match holds for the calls of method, and returns
// them; it fails the test after timeout.
func (s *Server) WaitFor(t testing.TB, method string, timeout time.Duration, match func([]Call) bool) []Call {
	t.Helper()
	deadline := time.After(timeout)
	for {
		s.mu.Lock()
		ch := s.notify
		s.mu.Unlock()
		if calls := s.Calls(method); match(calls) {
			return calls
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("slackfake: %s calls never matched within %s; got %d: %s", method, timeout, len(s.Calls(method)), s.describe(method))
			return nil
		}
	}
}

// WaitCalls waits for at least n successful calls of method.
func (s *Server) WaitCalls(t testing.TB, method string, n int, timeout time.Duration) []Call {
	t.Helper()
	return s.WaitFor(t, method, timeout, func(cs []Call) bool { return len(OK(cs)) >= n })
}

// OK keeps the calls the fake answered with ok:true.
func OK(cs []Call) []Call {
	var out []Call
	for _, c := range cs {
		if c.Status == http.StatusOK {
			out = append(out, c)
		}
	}
	return out
}

func (s *Server) describe(method string) string {
	var b strings.Builder
	for _, c := range s.Calls(method) {
		fmt.Fprintf(&b, "\n  %s %d form=%v json=%v", c.Method, c.Status, c.Form, c.JSON)
	}
	return b.String()
}

func (s *Server) handle(method string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		c := Call{Method: method, At: time.Now(), Status: http.StatusOK}
		if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			_ = json.Unmarshal(body, &c.JSON)
		} else {
			c.Form, _ = url.ParseQuery(string(body))
		}
		s.mu.Lock()
		var f *Failure
		if q := s.failures[method]; len(q) > 0 {
			f = &q[0]
			s.failures[method] = q[1:]
		}
		s.seq++
		ts := fmt.Sprintf("%d.%06d", s.seq/1000, s.seq%1000)
		if f != nil && f.Status != http.StatusOK {
			c.Status = f.Status
		}
		if f != nil && f.Status == http.StatusOK {
			c.Status = 0 // answered ok:false
		}
		s.calls = append(s.calls, c)
		close(s.notify)
		s.notify = make(chan struct{})
		s.mu.Unlock()

		w.Header().Set("Content-Type", "application/json")
		switch {
		case f != nil && f.Status == http.StatusTooManyRequests:
			w.Header().Set("Retry-After", strconv.Itoa(f.RetryAfter))
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"ok":false,"error":"ratelimited"}`))
			return
		case f != nil && f.Status != http.StatusOK:
			w.WriteHeader(f.Status)
			_, _ = w.Write([]byte(`{"ok":false,"error":"internal_error"}`))
			return
		case f != nil:
			_ = json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": f.Error})
			return
		}
		resp := map[string]any{"ok": true}
		switch method {
		case "chat.postMessage", "chat.update":
			resp["channel"] = c.Form.Get("channel")
			resp["ts"] = ts
			if method == "chat.update" {
				resp["ts"] = c.Form.Get("ts")
			}
			resp["message"] = map[string]any{"text": c.Form.Get("text"), "ts": resp["ts"]}
		case "chat.postEphemeral":
			resp["message_ts"] = ts
		case "views.open", "views.update":
			resp["view"] = map[string]any{"id": "V" + strconv.FormatInt(s.seq, 10)}
		case "auth.test":
			resp["user_id"], resp["bot_id"], resp["team_id"] = "UBOT", "BBOT", "TTEST"
		}
		_ = json.NewEncoder(w).Encode(resp)
	}
}

// Sign returns the headers Slack sets on a request it sends us: the
// timestamp and the v0 HMAC-SHA256 signature of "v0:<ts>:<body>".
func Sign(secret string, at time.Time, body []byte) http.Header {
	ts := strconv.FormatInt(at.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("v0:" + ts + ":"))
	m.Write(body)
	h := http.Header{}
	h.Set("X-Slack-Request-Timestamp", ts)
	h.Set("X-Slack-Signature", "v0="+hex.EncodeToString(m.Sum(nil)))
	return h
}
