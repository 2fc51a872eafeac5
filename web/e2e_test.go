package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/surgedesk/surgedesk/bot"
	"github.com/surgedesk/surgedesk/bus"
	"github.com/surgedesk/surgedesk/bus/bustest"
	"github.com/surgedesk/surgedesk/config"
	"github.com/surgedesk/surgedesk/desk"
	"github.com/surgedesk/surgedesk/kb"
	"github.com/surgedesk/surgedesk/signature"
	"github.com/surgedesk/surgedesk/storage"
	"github.com/surgedesk/surgedesk/storage/storagetest"
	"github.com/surgedesk/surgedesk/triage"
	"github.com/surgedesk/surgedesk/workers"
)

const (
	managerToken = "manager-token-0123456789"
	agentToken   = "agent-token-0123456789"
	agent2Token  = "agent2-token-0123456789"
	adminToken   = "admin-token-0123456789"
	intakeToken  = "intake-token-0123456789"
	readToken    = "read-token-0123456789"
	leadToken    = "lead-token-0123456789" // a manager who works the queue
	formSecret   = "form-secret-0123456789"
)

// stack is the whole spine in one process: embedded JetStream, SQLite,
// the store worker and the API on an httptest server.
type stack struct {
	url       string
	bus       *bus.Bus
	db        *storage.Storage
	srv       *Server
	log       *bytes.Buffer
	knowledge *kb.Live
}

func testConfig() config.Config {
	cfg := config.Default()
	cfg.Auth = config.Auth{
		AdminToken: adminToken,
		Tokens: []config.Token{
			{Name: "gateway", Token: intakeToken, Roles: []string{config.RoleIntake}},
			{Name: "dashboard", Token: readToken, Roles: []string{config.RoleRead}},
			{Name: "kim.manager", Token: managerToken, Roles: []string{config.RoleManager, config.RoleRead}},
			{Name: "lee.agent", Token: agentToken, Roles: []string{config.RoleAgent}},
			{Name: "park.agent", Token: agent2Token, Roles: []string{config.RoleAgent}},
			{Name: "choi.lead", Token: leadToken, Roles: []string{config.RoleManager, config.RoleAgent, config.RoleRead}},
		},
		Sources: []config.Source{{Name: "webform", Secret: formSecret}},
	}
	cfg.Intake.MaxTextBytes = 200
	cfg.Intake.MaxBodyBytes = 1024
	cfg.NATS.PublishTimeout = 500 * time.Millisecond
	return cfg
}

func newStack(t *testing.T, ctx context.Context, cfg config.Config, b *bus.Bus) *stack {
	t.Helper()
	return newStackOn(t, ctx, cfg, b, storagetest.SQLite(t))
}

// newStackOn is newStack on the database at dbURL.
func newStackOn(t *testing.T, ctx context.Context, cfg config.Config, b *bus.Bus, dbURL string) *stack {
	t.Helper()
	db := storagetest.Open(t, dbURL)
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&syncWriter{w: &logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	reg := prometheus.NewRegistry()
	dead := bus.NewDeadLetters(b.JetStream)
	clusters := triage.NewClusterer(triage.DefaultOptions())
	follow, err := workers.FollowClusters(b.Conn, "test-instance", clusters, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = follow.Unsubscribe() })
	store := workers.NewIngest(b.JetStream, db, clusters, dead, workers.IngestOptions{BatchSize: 64, BatchLinger: time.Millisecond,
		MaxAttempts: 3, AckWait: 5 * time.Second, MaxBackoff: 100 * time.Millisecond,
		SurgePerMinute: cfg.Alerts.SurgePerMinute, SurgeMinCustomers: cfg.Alerts.MinCustomers}, log, reg)
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = store.Run(wctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	knowledge := kb.NewLive(db, log)
	if err := knowledge.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if err := knowledge.Follow(wctx, b.Conn); err != nil {
		t.Fatal(err)
	}
	dk := desk.New(desk.Options{Store: db, Clusters: clusters, ProblemStore: db, Problems: triage.NewGrouper(triage.DefaultProblemOptions()),
		Conn: b.Conn, Instance: "test-instance", IdleWindow: cfg.Triage.IdleWindow, Log: log})
	t.Cleanup(dk.Wait)
	s := New(Options{Config: cfg, Intake: bot.NewIntake(b, bot.Limits{MaxTextBytes: cfg.Intake.MaxTextBytes}, cfg.NATS.PublishTimeout).WithAnswers(knowledge),
		Store: db, Bus: b, JetStream: b.JetStream, DeadLetters: dead, Clusters: clusters, Knowledge: db, Log: log, Registry: reg,
		Desk: dk, ProblemStore: db})
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	return &stack{url: hs.URL, bus: b, db: db, srv: s, log: &logs, knowledge: knowledge}
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (st *stack) do(t *testing.T, method, path string, body []byte, header map[string]string) response {
	t.Helper()
	req, err := http.NewRequest(method, st.url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := response{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

func bearer(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

func (r response) errorCode() string {
	e, _ := r.body["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

// streamSeq is the inquiry stream's last sequence: it moves when anything is published.
func (st *stack) streamSeq(t *testing.T, ctx context.Context) uint64 {
	s, err := st.bus.JetStream.Stream(ctx, bus.InquiryStream)
	if err != nil {
		t.Fatal(err)
	}
	return s.CachedInfo().State.LastSeq
}

func (st *stack) waitStored(t *testing.T, ctx context.Context, n int64) {
	t.Helper()
	for {
		c, err := st.db.InquiryCount(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if c == n {
			return
		}
		if c > n {
			t.Fatalf("stored %d, want %d", c, n)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("stored %d, want %d", c, n)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func TestInquiryEndToEnd(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	st := newStack(t, ctx, testConfig(), bustest.Embedded(t))
	body := `{"source":"kakao","customer_id":"u-1","text":"앱 접속이 안 돼요ㅠㅠ","locale":"ko","reply_url":"https://gw.example/reply","metadata":{"channel":"app","n":3}}`
	r := st.do(t, "POST", "/v1/inquiries", []byte(body), bearer(intakeToken))
	if r.status != http.StatusAccepted || r.body["status"] != "accepted" {
		t.Fatalf("POST = %d %s", r.status, r.raw)
	}
	id := r.body["id"].(string)
	st.waitStored(t, ctx, 1)

	got := st.do(t, "GET", "/v1/inquiries/"+id, nil, bearer(readToken))
	if got.status != http.StatusOK {
		t.Fatalf("GET = %d %s", got.status, got.raw)
	}
	for k, want := range map[string]any{"id": id, "state": "stored", "source": "kakao", "customer_id": "u-1",
		"text": "앱 접속이 안 돼요ㅠㅠ", "locale": "ko", "reply_url": "https://gw.example/reply"} {
		if got.body[k] != want {
			t.Errorf("%s = %v, want %v", k, got.body[k], want)
		}
	}
	if m, _ := got.body["metadata"].(map[string]any); m["channel"] != "app" || m["n"] != float64(3) {
		t.Errorf("metadata = %v", got.body["metadata"])
	}

	stats := st.do(t, "GET", "/v1/stats", nil, bearer(readToken))
	if stats.body["accepted"] != float64(1) || stats.body["stored"] != float64(1) || stats.body["dead_lettered"] != float64(0) {
		t.Errorf("stats = %s", stats.raw)
	}
	if r := st.do(t, "GET", "/v1/inquiries/iq_nope", nil, bearer(readToken)); r.status != 404 || r.errorCode() != "not_found" {
		t.Errorf("unknown id = %d %s", r.status, r.raw)
	}
}

func TestIdempotency(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	st := newStack(t, ctx, testConfig(), bustest.Embedded(t))
	post := func(source, key, text string) response {
		b := fmt.Sprintf(`{"source":%q,"customer_id":"u-9","text":%q,"idempotency_key":%q}`, source, text, key)
		return st.do(t, "POST", "/v1/inquiries", []byte(b), bearer(intakeToken))
	}
	first := post("web", "order-77", "환불 언제 되나요")
	again := post("web", "order-77", "환불 언제 되나요")
	other := post("kakao", "order-77", "환불 언제 되나요")
	if first.status != 202 || again.status != 202 || other.status != 202 {
		t.Fatalf("statuses %d %d %d", first.status, again.status, other.status)
	}
	if first.body["id"] != again.body["id"] {
		t.Errorf("same key gave ids %v and %v", first.body["id"], again.body["id"])
	}
	if again.body["duplicate"] != true || first.body["duplicate"] != nil {
		t.Errorf("duplicate flags: first %v, again %v", first.body["duplicate"], again.body["duplicate"])
	}
	if other.body["id"] == first.body["id"] {
		t.Error("the same key from another source shared the id")
	}
	st.waitStored(t, ctx, 2)
	if seq := st.streamSeq(t, ctx); seq != 2 {
		t.Errorf("stream holds %d messages, want 2 (JetStream dedup)", seq)
	}
	stats := st.do(t, "GET", "/v1/stats", nil, bearer(readToken))
	if stats.body["accepted"] != float64(2) {
		t.Errorf("accepted = %v, want 2", stats.body["accepted"])
	}
}

func signed(body []byte, secret string, at time.Time) map[string]string {
	return map[string]string{signature.Header: signature.Sign([]byte(secret), at, body)}
}

func TestBadInputChangesNothing(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	cfg := testConfig()
	st := newStack(t, ctx, cfg, bustest.Embedded(t))
	good := `{"source":"webform","customer_id":"u-1","text":"결제가 두 번 됐어요"}`
	long := strings.Repeat("가", 100) // 300 bytes > 200
	cases := []struct {
		name   string
		body   string
		header map[string]string
		status int
		code   string
	}{
		{"malformed json", `{"source":"web",`, bearer(intakeToken), 400, "invalid_json"},
		{"not an object", `["web"]`, bearer(intakeToken), 400, "invalid_json"},
		{"trailing brace", good + `}`, bearer(intakeToken), 400, "invalid_json"},
		{"two values", good + good, bearer(intakeToken), 400, "invalid_json"},
		{"empty body", ``, bearer(intakeToken), 400, "invalid_json"},
		{"unknown field", `{"source":"web","customer_id":"u","text":"x","customerId":"u"}`, bearer(intakeToken), 400, "unknown_field"},
		{"wrong type", `{"source":"web","customer_id":7,"text":"x"}`, bearer(intakeToken), 400, "invalid_field"},
		{"missing source", `{"customer_id":"u","text":"x"}`, bearer(intakeToken), 400, "missing_field"},
		{"missing customer", `{"source":"web","text":"x"}`, bearer(intakeToken), 400, "missing_field"},
		{"blank text", `{"source":"web","customer_id":"u","text":"  \n "}`, bearer(intakeToken), 400, "missing_field"},
		{"text too long", `{"source":"web","customer_id":"u","text":"` + long + `"}`, bearer(intakeToken), 400, "text_too_long"},
		{"invalid utf8", "{\"source\":\"web\",\"customer_id\":\"u\",\"text\":\"\xff\xfe\"}", bearer(intakeToken), 400, "invalid_utf8"},
		{"bad reply url", `{"source":"web","customer_id":"u","text":"x","reply_url":"ftp://x"}`, bearer(intakeToken), 400, "invalid_field"},
		{"slack reply url", `{"source":"web","customer_id":"u","text":"x","reply_url":"slack:C0AGENTS/1700000000.000100"}`, bearer(intakeToken), 400, "invalid_field"},
		{"slack source", `{"source":"slack","customer_id":"U0CUSTOMER","text":"x","idempotency_key":"D0CUSTOMER/1700000000.000100"}`, bearer(intakeToken), 400, "invalid_field"},
		{"metadata not object", `{"source":"web","customer_id":"u","text":"x","metadata":[1]}`, bearer(intakeToken), 400, "invalid_field"},
		{"bad source name", `{"source":"web form!","customer_id":"u","text":"x"}`, bearer(intakeToken), 400, "invalid_field"},
		{"body too large", `{"source":"web","customer_id":"u","text":"` + strings.Repeat("a", 2000) + `"}`, bearer(intakeToken), 413, "body_too_large"},
		{"no auth", good, nil, 401, "unauthorized"},
		{"wrong token", good, bearer("not-a-token-at-all"), 401, "invalid_token"},
		{"not bearer", good, map[string]string{"Authorization": "Basic abc"}, 401, "invalid_token"},
		{"read token cannot post", good, bearer(readToken), 403, "forbidden"},
		{"wrong secret", good, signed([]byte(good), "another-secret-0123456789", time.Now()), 401, "invalid_signature"},
		{"signature over other body", good, signed([]byte(`{}`), formSecret, time.Now()), 401, "invalid_signature"},
		{"stale signature", good, signed([]byte(good), formSecret, time.Now().Add(-6*time.Minute)), 401, "stale_signature"},
		{"future signature", good, signed([]byte(good), formSecret, time.Now().Add(6*time.Minute)), 401, "stale_signature"},
		{"malformed signature", good, map[string]string{signature.Header: "v1=abc"}, 401, "invalid_signature"},
		{"nul in text", `{"source":"web","customer_id":"u","text":"a\u0000b"}`, bearer(intakeToken), 400, "invalid_field"},
		{"signature for other source", `{"source":"web","customer_id":"u","text":"x"}`,
			signed([]byte(`{"source":"web","customer_id":"u","text":"x"}`), formSecret, time.Now()), 403, "source_mismatch"},
	}
	before := st.streamSeq(t, ctx)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := st.do(t, "POST", "/v1/inquiries", []byte(tc.body), tc.header)
			if r.status != tc.status || r.errorCode() != tc.code {
				t.Errorf("got %d %s, want %d %s", r.status, r.raw, tc.status, tc.code)
			}
			if e, _ := r.body["error"].(map[string]any); e["message"] == "" || e["message"] == nil {
				t.Errorf("error without message: %s", r.raw)
			}
		})
	}
	if after := st.streamSeq(t, ctx); after != before {
		t.Errorf("bad input published %d message(s)", after-before)
	}
	// A good signed request still goes through, also with the source
	// padded (it is trimmed), and is the only thing stored.
	for _, body := range []string{good, strings.Replace(good, `"webform"`, `" webform "`, 1)} {
		r := st.do(t, "POST", "/v1/inquiries", []byte(body), signed([]byte(body), formSecret, time.Now()))
		if r.status != 202 {
			t.Fatalf("signed request = %d %s", r.status, r.raw)
		}
	}
	st.waitStored(t, ctx, 2)
}

// An oversized body is refused from its Content-Length, before it is read.
func TestOversizedBodyRefusedBeforeReading(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	st := newStack(t, ctx, testConfig(), bustest.Embedded(t))
	pr, pw := io.Pipe()
	defer pw.Close()
	req, _ := http.NewRequest("POST", st.url+"/v1/inquiries", pr)
	req.ContentLength = 10 << 20 // announced, never sent
	req.Header.Set("Authorization", "Bearer "+intakeToken)
	go func() { _, _ = pw.Write([]byte(`{"source":`)) }()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status = %d, want 413", resp.StatusCode)
	}
}

func TestAuthOnReadEndpoints(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	st := newStack(t, ctx, testConfig(), bustest.Embedded(t))
	cases := []struct {
		name, method, path, token string
		status                    int
	}{
		{"stats needs a token", "GET", "/v1/stats", "", 401},
		{"stats with read", "GET", "/v1/stats", readToken, 200},
		{"stats with intake only", "GET", "/v1/stats", intakeToken, 403},
		{"dead letters need admin", "GET", "/v1/dead-letters", readToken, 403},
		{"dead letters with admin", "GET", "/v1/dead-letters", adminToken, 200},
		{"dead letters bad limit", "GET", "/v1/dead-letters?limit=0", adminToken, 400},
		{"dead letters bad cursor", "GET", "/v1/dead-letters?cursor=not-ours", adminToken, 400},
		{"replay needs admin", "POST", "/v1/dead-letters/replay", readToken, 403},
		{"replay with admin", "POST", "/v1/dead-letters/replay", adminToken, 200},
		{"health is open", "GET", "/healthz", "", 200},
		{"ready is open", "GET", "/readyz", "", 200},
		{"metrics are open", "GET", "/metrics", "", 200},
		{"openapi is open", "GET", "/openapi.yaml", "", 200},
		{"unknown path", "GET", "/v1/nope", "", 404},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var h map[string]string
			if tc.token != "" {
				h = bearer(tc.token)
			}
			if r := st.do(t, tc.method, tc.path, nil, h); r.status != tc.status {
				t.Errorf("%s %s = %d %s, want %d", tc.method, tc.path, r.status, r.raw, tc.status)
			}
		})
	}
	m := st.do(t, "GET", "/metrics", nil, nil)
	for _, name := range []string{"surgedesk_intake_requests_total", "surgedesk_intake_duration_seconds", "surgedesk_consumer_lag",
		"surgedesk_store_batch_commit_seconds", "surgedesk_http_errors_total"} {
		if !strings.Contains(m.raw, name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
}

// When JetStream cannot take the message the answer is a prompt 503 with
// Retry-After, never a hang and never a 202.
func TestUnavailableStreamAnswers503(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats not ready")
	}
	cfg := testConfig()
	cfg.NATS.URL = ns.ClientURL()
	b, err := bus.Open(ctx, cfg.NATS, t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	st := newStack(t, ctx, cfg, b)
	body := []byte(`{"source":"web","customer_id":"u","text":"접속 안됨"}`)
	if r := st.do(t, "POST", "/v1/inquiries", body, bearer(intakeToken)); r.status != 202 {
		t.Fatalf("before the outage: %d %s", r.status, r.raw)
	}
	ns.Shutdown()
	ns.WaitForShutdown()

	start := time.Now()
	r := st.do(t, "POST", "/v1/inquiries", body, bearer(intakeToken))
	took := time.Since(start)
	if r.status != http.StatusServiceUnavailable || r.errorCode() != "unavailable" || r.header.Get("Retry-After") == "" {
		t.Fatalf("during the outage: %d %s (Retry-After %q)", r.status, r.raw, r.header.Get("Retry-After"))
	}
	// Generous bound: the point is "not a hang", the publish timeout is 500ms.
	if took > 10*time.Second {
		t.Errorf("503 took %v", took)
	}
	if r := st.do(t, "GET", "/readyz", nil, nil); r.status != http.StatusServiceUnavailable {
		t.Errorf("/readyz during the outage = %d %s", r.status, r.raw)
	}
}

// syncWriter lets the log buffer be read while handlers write to it.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// A secret typed into an inquiry reaches neither the stream, SQL, the API
// nor the log: only its typed placeholder does.
func TestSecretsNeverLeaveIntake(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	st := newStack(t, ctx, testConfig(), bustest.Embedded(t))
	secrets := []string{"qwer!234", "4111 1111 1111 1111", "010-9876-5432"}
	body := `{"source":"web","customer_id":"u-1","text":"비밀번호는 qwer!234 인데 접속이 안돼요","metadata":{"card":"4111 1111 1111 1111","tel":"010-9876-5432"}}`
	r := st.do(t, "POST", "/v1/inquiries", []byte(body), bearer(intakeToken))
	if r.status != 202 {
		t.Fatalf("POST = %d %s", r.status, r.raw)
	}
	id := r.body["id"].(string)
	st.waitStored(t, ctx, 1)

	s, err := st.bus.JetStream.Stream(ctx, bus.InquiryStream)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := s.GetMsg(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	row, err := st.db.Inquiry(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	api := st.do(t, "GET", "/v1/inquiries/"+id, nil, bearer(readToken))
	st.srv.Log.Info("inquiry stored", "text", row.Text, "metadata", row.Metadata) // what a handler would log
	places := map[string]string{"stream": string(msg.Data), "sql": row.Text + row.Metadata, "api": api.raw, "log": st.log.String()}
	for place, content := range places {
		for _, secret := range secrets {
			if strings.Contains(content, secret) {
				t.Errorf("%s holds the secret %q", place, secret)
			}
		}
	}
	if !strings.Contains(row.Text, "[비밀번호]") || api.body["text"] != row.Text {
		t.Errorf("sql text %q, api text %v", row.Text, api.body["text"])
	}
	if !strings.Contains(places["log"], "[비밀번호]") {
		t.Error("the log check saw no inquiry text at all")
	}
}
