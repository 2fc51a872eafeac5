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
	"math"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack/slacktest"
)

// Call is one Web API request as received.
type Call struct {
	Method string
	Form   url.Values     // form-encoded calls (chat.*): every field
	JSON   map[string]any // JSON calls (views.*)
	At     time.Time
	Status int    // what the fake answered
	Error  string // the error of an ok:false answer
}

// Text is the call's text field.
func (c Call) Text() string { return c.Form.Get("text") }

// Failure is an injected answer for the next call of a method.
type Failure struct {
	Status     int    // HTTP status: 429, 500…; 200 with Error set answers ok:false
	RetryAfter int    // seconds, for 429
	Error      string // Slack error code, e.g. "channel_not_found"
	// Match, when set, limits the failure to the calls it matches; the
	// others pass it by.
	Match func(Call) bool
}

// Server is the fake Slack.
type Server struct {
	*slacktest.Server

	mu       sync.Mutex
	calls    []Call
	failures map[string][]Failure
	seq      int64
	notify   chan struct{}
	slow     map[string]time.Duration
	history  map[string][]posted // by channel, oldest first
}

// Methods the fake answers itself; the rest are slacktest's.
var methods = []string{"chat.postMessage", "chat.update", "chat.postEphemeral", "views.open", "views.update", "auth.test",
	"conversations.history"}

// New starts a fake Slack and stops it when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{failures: map[string][]Failure{}, seq: time.Now().Unix() * 1000, notify: make(chan struct{}),
		slow: map[string]time.Duration{}, history: map[string][]posted{}}
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
		invalid := checkLimits(method, c)
		s.mu.Lock()
		var f *Failure
		q := s.failures[method]
		for i := range q {
			if q[i].Match == nil || q[i].Match(c) {
				f = &q[i]
				s.failures[method] = append(q[:i:i], q[i+1:]...)
				break
			}
		}
		if f == nil && invalid != "" {
			f = &Failure{Status: http.StatusOK, Error: "invalid_blocks"}
		}
		s.seq++
		ts := fmt.Sprintf("%d.%06d", s.seq/1000, s.seq%1000)
		if f != nil && f.Status != http.StatusOK {
			c.Status = f.Status
		}
		if f != nil && f.Status == http.StatusOK {
			c.Status = 0 // answered ok:false
			c.Error = f.Error
			if f.Error == "invalid_blocks" {
				c.Error += invalid
			}
		}
		if f == nil {
			s.record(c, ts)
		}
		delay := s.slow[method]
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
			resp["view"] = map[string]any{"id": "V" + strconv.FormatInt(s.seq, 10), "hash": "H" + strconv.FormatInt(s.seq, 10)}
		case "auth.test":
			resp["user_id"], resp["bot_id"], resp["team_id"] = "UBOT", "BBOT", "TTEST"
		case "conversations.history":
			s.answerHistory(resp, c.Form)
		}
		if delay > 0 {
			// Done already; the answer is late, or lost when the
			// client gives up first.
			select {
			case <-r.Context().Done():
				return
			case <-time.After(delay):
			}
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

// ---- Socket Mode ----------------------------------------------------------

// SocketServer is Slack's side of Socket Mode for tests: apps.connections.open
// hands out a ws:// URL to a websocket that greets the client with hello,
// sends it what the test queues (events_api, interactive, slash_commands
// envelopes) and records the acknowledgements. Every other Web API call is
// passed on to the fake Slack, so one URL serves both.
type SocketServer struct {
	srv *httptest.Server

	mu     sync.Mutex
	opens  []string // the bearer token of each apps.connections.open
	conns  int
	acks   []Ack
	notify chan struct{}
	out    chan []byte
	done   chan struct{}
}

// Ack is a Socket Mode acknowledgement as received.
type Ack struct {
	EnvelopeID string          `json:"envelope_id"`
	Payload    json.RawMessage `json:"payload"`
}

// Socket starts a Socket Mode endpoint in front of s; configure its URL as
// slack.api_url.
func (s *Server) Socket(t testing.TB) *SocketServer { return NewSocket(t, s.URL()) }

// NewSocket starts a Socket Mode endpoint that passes Web API calls on to
// the Slack at api (a fake's URL).
func NewSocket(t testing.TB, api string) *SocketServer {
	t.Helper()
	target, err := url.Parse(api)
	if err != nil {
		t.Fatalf("slackfake: %v", err)
	}
	ss := &SocketServer{notify: make(chan struct{}), out: make(chan []byte, 64), done: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("/apps.connections.open", ss.open)
	mux.HandleFunc("/socket", ss.socket)
	mux.Handle("/", httputil.NewSingleHostReverseProxy(target))
	ss.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		close(ss.done)
		ss.srv.CloseClientConnections()
		ss.srv.Close()
	})
	return ss
}

// URL is the Web API base to configure as slack.api_url.
func (ss *SocketServer) URL() string { return ss.srv.URL + "/" }

// Opens returns the token each apps.connections.open call carried.
func (ss *SocketServer) Opens() []string {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return append([]string(nil), ss.opens...)
}

// Send queues one request for the client, sent on the current connection
// or the next one.
func (ss *SocketServer) Send(t testing.TB, request any) {
	t.Helper()
	b, err := json.Marshal(request)
	if err != nil {
		t.Fatalf("slackfake: %v", err)
	}
	ss.out <- b
}

// Envelope sends payload in an envelope of type (events_api, interactive,
// slash_commands) as Slack does, retry being Slack's retry_attempt.
func (ss *SocketServer) Envelope(t testing.TB, typ, envelopeID string, payload any, retry int) {
	t.Helper()
	ss.Send(t, map[string]any{"type": typ, "envelope_id": envelopeID, "payload": payload,
		"accepts_response_payload": typ != "events_api", "retry_attempt": retry, "retry_reason": ""})
}

// Disconnect asks the connected client to reconnect, as Slack does every
// few hours.
func (ss *SocketServer) Disconnect(t testing.TB) {
	t.Helper()
	ss.Send(t, map[string]any{"type": "disconnect", "reason": "refresh_requested"})
}

// Acks returns the acknowledgements received so far.
func (ss *SocketServer) Acks() []Ack {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return append([]Ack(nil), ss.acks...)
}

// WaitAck waits for the acknowledgement of envelopeID and returns it; it
// fails the test after timeout.
func (ss *SocketServer) WaitAck(t testing.TB, envelopeID string, timeout time.Duration) Ack {
	t.Helper()
	deadline := time.After(timeout)
	for {
		ss.mu.Lock()
		ch := ss.notify
		for _, a := range ss.acks {
			if a.EnvelopeID == envelopeID {
				ss.mu.Unlock()
				return a
			}
		}
		ss.mu.Unlock()
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("slackfake: no acknowledgement of envelope %s within %s; got %v", envelopeID, timeout, ss.Acks())
			return Ack{}
		}
	}
}

// Connections is how many websocket connections the client has opened.
func (ss *SocketServer) Connections() int {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.conns
}

func (ss *SocketServer) open(w http.ResponseWriter, r *http.Request) {
	ss.mu.Lock()
	ss.opens = append(ss.opens, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	ss.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "url": "ws://" + r.Host + "/socket"})
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

func (ss *SocketServer) socket(w http.ResponseWriter, r *http.Request) {
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer conn.Close()
	ss.mu.Lock()
	ss.conns++
	n := ss.conns
	ss.mu.Unlock()
	if conn.WriteJSON(map[string]any{"type": "hello", "num_connections": n,
		"connection_info": map[string]any{"app_id": "AFAKE"}, "debug_info": map[string]any{"host": "slackfake"}}) != nil {
		return
	}
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		for {
			var a Ack
			if err := conn.ReadJSON(&a); err != nil {
				return
			}
			ss.mu.Lock()
			ss.acks = append(ss.acks, a)
			close(ss.notify)
			ss.notify = make(chan struct{})
			ss.mu.Unlock()
		}
	}()
	// Slack pings; the client takes a silent connection for a dead one.
	ping := time.NewTicker(time.Second)
	defer ping.Stop()
	for {
		select {
		case <-closed:
			return
		case <-ss.done:
			return
		case <-ping.C:
			_ = conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(time.Second))
		case b := <-ss.out:
			if conn.WriteMessage(websocket.TextMessage, b) != nil {
				return
			}
			if strings.Contains(string(b), `"type":"disconnect"`) {
				return
			}
		}
	}
}

// ---- Slow answers, channel history and Block Kit's limits ---------------

// Slow makes every later call of method take effect at once but answer
// only after d, as Slack does under load; a client that gives up first
// never learns the outcome (chat.postMessage: the message is posted all
// the same). Zero answers at once again.
func (s *Server) Slow(method string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.slow[method] = d
}

// posted is a message in a channel's history.
type posted struct {
	ts, text, blocks string
	metadata         map[string]any
}

// Messages returns how many messages the channel holds (posts that took
// effect, whether or not their answer reached the client).
func (s *Server) Messages(channel string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.history[channel])
}

// record keeps what a successful chat.postMessage or chat.update did to
// its channel's history. Called with mu held.
func (s *Server) record(c Call, ts string) {
	channel := c.Form.Get("channel")
	switch c.Method {
	case "chat.postMessage":
		if c.Form.Get("thread_ts") != "" {
			return // replies are not in the channel's history
		}
		p := posted{ts: ts, text: c.Form.Get("text"), blocks: c.Form.Get("blocks")}
		_ = json.Unmarshal([]byte(c.Form.Get("metadata")), &p.metadata)
		s.history[channel] = append(s.history[channel], p)
	case "chat.update":
		for i, p := range s.history[channel] {
			if p.ts == c.Form.Get("ts") {
				s.history[channel][i].text, s.history[channel][i].blocks = c.Form.Get("text"), c.Form.Get("blocks")
			}
		}
	}
}

// answerHistory answers conversations.history as Slack does: newest
// first, between oldest and latest, limit a page (cursor: the offset), metadata only
// with include_all_metadata.
func (s *Server) answerHistory(resp map[string]any, form url.Values) {
	s.mu.Lock()
	defer s.mu.Unlock()
	oldest, _ := strconv.ParseFloat(form.Get("oldest"), 64)
	latest, err := strconv.ParseFloat(form.Get("latest"), 64)
	if err != nil || latest == 0 {
		latest = math.Inf(1)
	}
	var all []map[string]any
	h := s.history[form.Get("channel")]
	for i := len(h) - 1; i >= 0; i-- {
		if ts, _ := strconv.ParseFloat(h[i].ts, 64); ts < oldest || ts > latest {
			continue
		}
		m := map[string]any{"type": "message", "ts": h[i].ts, "text": h[i].text, "bot_id": "BBOT"}
		if h[i].metadata != nil && form.Get("include_all_metadata") == "1" {
			m["metadata"] = h[i].metadata
		}
		all = append(all, m)
	}
	limit, _ := strconv.Atoi(form.Get("limit"))
	if limit <= 0 || limit > 999 {
		limit = 100
	}
	from, _ := strconv.Atoi(form.Get("cursor"))
	from = min(from, len(all))
	to := min(from+limit, len(all))
	resp["messages"] = all[from:to]
	resp["has_more"] = to < len(all)
	if to < len(all) {
		resp["response_metadata"] = map[string]any{"next_cursor": strconv.Itoa(to)}
	}
}

// checkLimits says which of Block Kit's documented limits a call breaks
// ("" for none), so that every test checks what surgedesk sends as Slack
// would: Slack answers such a call invalid_blocks.
func checkLimits(method string, c Call) string {
	var blocks []any
	most := 50 // blocks in a message
	switch method {
	case "chat.postMessage", "chat.update", "chat.postEphemeral":
		if c.Form.Get("blocks") == "" {
			return ""
		}
		if err := json.Unmarshal([]byte(c.Form.Get("blocks")), &blocks); err != nil {
			return ": blocks is not JSON"
		}
	case "views.open", "views.update":
		view, _ := c.JSON["view"].(map[string]any)
		for _, f := range []string{"title", "submit", "close"} {
			if e := text(view[f], "modal "+f, 24, true); e != "" {
				return e
			}
		}
		if md, _ := view["private_metadata"].(string); len(md) > 3000 {
			return ": private_metadata over 3000 characters"
		}
		blocks, _ = view["blocks"].([]any)
		most = 100
	default:
		return ""
	}
	if len(blocks) > most {
		return fmt.Sprintf(": %d blocks, more than %d", len(blocks), most)
	}
	for i, b := range blocks {
		if e := checkBlock(b.(map[string]any)); e != "" {
			return fmt.Sprintf(": block %d%s", i, e)
		}
	}
	return ""
}

func checkBlock(b map[string]any) string {
	switch b["type"] {
	case "section":
		if e := text(b["text"], "section text", 3000, false); e != "" {
			return e
		}
		fields, _ := b["fields"].([]any)
		if len(fields) > 10 {
			return ": more than 10 fields"
		}
		for _, f := range fields {
			if e := text(f, "section field", 2000, false); e != "" {
				return e
			}
		}
	case "header":
		return text(b["text"], "header", 150, true)
	case "context":
		els, _ := b["elements"].([]any)
		if len(els) > 10 {
			return ": more than 10 context elements"
		}
		for _, e := range els {
			if m, _ := e.(map[string]any); m["type"] != "image" {
				if err := text(m, "context text", 3000, false); err != "" {
					return err
				}
			}
		}
	case "actions":
		els, _ := b["elements"].([]any)
		if len(els) > 25 {
			return ": more than 25 actions"
		}
		for _, e := range els {
			if err := checkElement(e.(map[string]any)); err != "" {
				return err
			}
		}
	case "input":
		if e := text(b["label"], "input label", 2000, true); e != "" {
			return e
		}
		el, _ := b["element"].(map[string]any)
		return checkElement(el)
	}
	return ""
}

func checkElement(e map[string]any) string {
	if id, _ := e["action_id"].(string); len(id) > 255 {
		return ": action_id over 255 characters"
	}
	switch e["type"] {
	case "button":
		if v, _ := e["value"].(string); len(v) > 2000 {
			return ": button value over 2000 characters"
		}
		return text(e["text"], "button text", 75, true)
	case "plain_text_input":
		if n, ok := e["max_length"].(float64); ok && (n < 1 || n > 3000) {
			return fmt.Sprintf(": plain_text_input max_length %v, not within 1–3000", n)
		}
	case "static_select":
		opts, _ := e["options"].([]any)
		if len(opts) > 100 {
			return fmt.Sprintf(": %d options, more than 100", len(opts))
		}
		for _, o := range opts {
			m, _ := o.(map[string]any)
			if v, _ := m["value"].(string); len(v) > 150 {
				return ": option value over 150 characters"
			}
			if err := text(m["text"], "option text", 75, true); err != "" {
				return err
			}
		}
	}
	return ""
}

// text checks a text object: at most n characters, plain_text when
// plainOnly, never empty.
func text(v any, what string, n int, plainOnly bool) string {
	m, ok := v.(map[string]any)
	if !ok {
		if v == nil {
			return "" // optional, or checked by Slack's schema
		}
		return ": " + what + " is not a text object"
	}
	if plainOnly && m["type"] != "plain_text" {
		return ": " + what + " must be plain_text"
	}
	t, _ := m["text"].(string)
	switch l := utf8.RuneCountInString(t); {
	case l == 0:
		return ": " + what + " is empty"
	case l > n:
		return fmt.Sprintf(": %s of %d characters, more than %d", what, l, n)
	}
	return ""
}
