package web

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/surgedesk/surgedesk/bus"
	"github.com/surgedesk/surgedesk/bus/bustest"
	"github.com/surgedesk/surgedesk/storage/storagetest"
)

// A bearer token cannot post as a signed source: it would take the
// source's idempotency keys and its follow-ups, signed with its secret.
func TestSignedSourceNameIsReserved(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	st := newStack(t, ctx, testConfig(), bustest.Embedded(t))
	for _, source := range []string{"webform", " webform ", "WebForm"} {
		b := fmt.Sprintf(`{"source":%q,"customer_id":"u-1","text":"환불 언제 되나요","idempotency_key":"order-1","reply_url":"https://evil.example/x"}`, source)
		r := st.do(t, "POST", "/v1/inquiries", []byte(b), bearer(intakeToken))
		if r.status != http.StatusForbidden || r.errorCode() != "source_reserved" {
			t.Errorf("bearer token as source %q = %d %s, want 403 source_reserved", source, r.status, r.raw)
		}
	}
	if seq := st.streamSeq(t, ctx); seq != 0 {
		t.Fatalf("refused posts published %d message(s)", seq)
	}
	// The genuine, signed inquiry keeps its key: new, not a duplicate.
	body := []byte(`{"source":"webform","customer_id":"u-1","text":"환불 언제 되나요","idempotency_key":"order-1"}`)
	r := st.do(t, "POST", "/v1/inquiries", body, signed(body, formSecret, time.Now()))
	if r.status != http.StatusAccepted || r.body["duplicate"] != nil {
		t.Fatalf("signed post = %d %s, want a new 202", r.status, r.raw)
	}
	// Any other source is still open to the token.
	r = st.do(t, "POST", "/v1/inquiries", []byte(`{"source":"web","customer_id":"u-1","text":"hi"}`), bearer(intakeToken))
	if r.status != http.StatusAccepted {
		t.Fatalf("token post as an unsigned source = %d %s", r.status, r.raw)
	}
}

// A reply URL's user info and query (a receiver's credentials) never
// leave through the API, also not in a dead letter.
func TestAPIHidesURLSecrets(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, want string }{
		{"https://user:pa55@gw.example/reply/7?token=s3cret#frag", "https://gw.example/reply/7"},
		{"https://gw.example/reply?", "https://gw.example/reply"},
		{"http://gw.example:8443/a/b", "http://gw.example:8443/a/b"},
		{"slack:C123/1700000000.000100", "slack:C123/1700000000.000100"},
		{"", ""},
	} {
		if got := publicURL(c.in); got != c.want {
			t.Errorf("publicURL(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	dl := string(publicInquiryJSON([]byte(`{"id":"iq_1","reply_url":"https://u:p@gw.example/r?k=v"}`)))
	if strings.Contains(dl, "k=v") || strings.Contains(dl, "u:p") || !strings.Contains(dl, "https://gw.example/r") {
		t.Errorf("dead letter shown as %s", dl)
	}

	ctx := testContext(t)
	st := newStack(t, ctx, testConfig(), bustest.Embedded(t))
	body := `{"source":"web","customer_id":"u-1","text":"접속이 안 돼요","reply_url":"https://bot:hunter2@gw.example/reply/1?sig=tok3n"}`
	r := st.do(t, "POST", "/v1/inquiries", []byte(body), bearer(intakeToken))
	if r.status != http.StatusAccepted {
		t.Fatalf("POST = %d %s", r.status, r.raw)
	}
	st.waitStored(t, ctx, 1)
	got := st.do(t, "GET", "/v1/inquiries/"+r.body["id"].(string), nil, bearer(readToken))
	if got.body["reply_url"] != "https://gw.example/reply/1" || strings.Contains(got.raw, "hunter2") || strings.Contains(got.raw, "tok3n") {
		t.Errorf("GET shows %s", got.raw)
	}
}

// An inquiry answered 503 while NATS is away is never stored later: the
// intake connection keeps nothing to send on reconnect. Against a NATS
// server that is stopped and restarted on the same port and store.
func TestTimedOutPublishIsNeverStoredLater(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	dir := t.TempDir()
	start := func(port int) *server.Server {
		ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: port, JetStream: true, StoreDir: dir, NoSigs: true, NoLog: true})
		if err != nil {
			t.Fatal(err)
		}
		ns.Start()
		if !ns.ReadyForConnections(10 * time.Second) {
			t.Fatal("nats not ready")
		}
		return ns
	}
	ns := start(-1)
	port := ns.Addr().(*net.TCPAddr).Port
	cfg := testConfig()
	cfg.NATS.URL = ns.ClientURL()
	b, err := bus.Open(ctx, cfg.NATS, t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	st := newStack(t, ctx, cfg, b)
	ns.Shutdown()
	ns.WaitForShutdown()

	// Retried as told, without a key: each attempt answered 503.
	for i := range 5 {
		body := fmt.Sprintf(`{"source":"web","customer_id":"u-%d","text":"결제가 안 돼요 %d"}`, i, i)
		if r := st.do(t, "POST", "/v1/inquiries", []byte(body), bearer(intakeToken)); r.status != http.StatusServiceUnavailable {
			t.Fatalf("during the outage: %d %s", r.status, r.raw)
		}
	}
	ns = start(port)
	t.Cleanup(ns.Shutdown)
	for b.Ping(ctx) != nil || b.PingIntake(ctx) != nil {
		select {
		case <-ctx.Done():
			t.Fatal("no reconnect")
		case <-time.After(50 * time.Millisecond):
		}
	}
	r := st.do(t, "POST", "/v1/inquiries", []byte(`{"source":"web","customer_id":"u-9","text":"이제 되나요?"}`), bearer(intakeToken))
	if r.status != http.StatusAccepted {
		t.Fatalf("after the outage: %d %s", r.status, r.raw)
	}
	// Whatever the stream holds is stored (the store worker's own
	// recovery is tested elsewhere): it must hold only the 202.
	time.Sleep(200 * time.Millisecond)
	if seq := st.streamSeq(t, ctx); seq != 1 {
		t.Errorf("the stream holds %d inquiries, want 1: a 503 was delivered after reconnect", seq)
	}
	// And the store worker, started just before NATS went away, stores it.
	for {
		if n, err := st.db.InquiryCount(ctx); err == nil && n == 1 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("the inquiry answered 202 after the restart was never stored")
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// A NUL byte or invalid UTF-8 in a path id or a query parameter is a 400
// on every route and database, never a 500 from PostgreSQL; and a
// metadata number no database can store is refused at intake.
func TestRequestStringsValidatedOnce(t *testing.T) {
	t.Parallel()
	for name, dbURL := range storagetest.URLs(t) {
		t.Run(name, func(t *testing.T) {
			ctx := testContext(t)
			st := newStackOn(t, ctx, testConfig(), bustest.Embedded(t), dbURL)
			admin := bearer(adminToken)
			checked := 0
			for _, rt := range st.srv.routeTable() {
				method, path, ok := strings.Cut(rt.pattern, " ")
				if !ok || strings.HasPrefix(path, "/slack/") {
					continue
				}
				for _, bad := range []string{"%00", "x%00y", "%FF", "a%C3%28b", "%ED%A0%80"} {
					p := path
					for _, w := range []string{"{id}", "{cluster}"} {
						p = strings.ReplaceAll(p, w, bad)
					}
					if p != path {
						r := st.do(t, method, p, []byte("{}"), admin)
						if r.status != http.StatusBadRequest || r.errorCode() != "invalid_path" {
							t.Errorf("%s %s = %d %s, want 400 invalid_path", method, p, r.status, r.raw)
						}
						checked++
					}
					for _, param := range []string{"limit", "subject", "status", "active", "since", "bucket", bad} {
						q := p + "?" + param + "=" + bad
						if param == bad {
							q = p + "?" + bad + "=1"
						}
						r := st.do(t, method, q, []byte("{}"), admin)
						if r.status != http.StatusBadRequest {
							t.Errorf("%s %s = %d %s, want 400", method, q, r.status, r.raw)
						}
						checked++
					}
				}
			}
			// Valid strings that name nothing are still a plain 404.
			if r := st.do(t, "GET", "/v1/inquiries/%EB%AC%B8%EC%9D%98-1", nil, admin); r.status != http.StatusNotFound {
				t.Errorf("GET a Korean id = %d %s, want 404", r.status, r.raw)
			}
			for _, meta := range []string{`{"n":1e400}`, `{"n":-1e400}`, `{"n":1e-400}`, `{"a":` + strings.Repeat("[", 40) + "1" + strings.Repeat("]", 40) + `}`,
				`{"n":` + strings.Repeat("9", 70) + `}`} {
				body := `{"source":"web","customer_id":"u-1","text":"주문 확인","metadata":` + meta + `}`
				if r := st.do(t, "POST", "/v1/inquiries", []byte(body), bearer(intakeToken)); r.status != http.StatusBadRequest || r.errorCode() != "invalid_field" {
					t.Errorf("metadata %.40s = %d %s, want 400 invalid_field", meta, r.status, r.raw)
				}
			}
			ok := `{"source":"web","customer_id":"u-1","text":"주문 확인","metadata":{"n":12345678901234567890,"f":-1.5e300,"x":[1,2,{"y":0.001}]}}`
			if r := st.do(t, "POST", "/v1/inquiries", []byte(ok), bearer(intakeToken)); r.status != http.StatusAccepted {
				t.Fatalf("in-range metadata = %d %s", r.status, r.raw)
			}
			st.waitStored(t, ctx, 1)
			t.Logf("%d path and query cases", checked)
			if strings.Contains(st.log.String(), "level=ERROR") {
				t.Errorf("ERROR logged:\n%s", st.log.String())
			}
		})
	}
}

// /readyz is public: only ok or failed per check, never an error text
// (hosts, users, database names). It is ready while intake can accept
// durably, also with the database down, when reads answer 503, not 500.
func TestReadinessAndReadsWhileDatabaseDown(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	st := newStack(t, ctx, testConfig(), bustest.Embedded(t))
	r := st.do(t, "GET", "/readyz", nil, nil)
	if r.status != http.StatusOK || r.raw != `{"checks":{"database":"ok","intake":"ok","nats":"ok"},"status":"ready"}`+"\n" {
		t.Errorf("/readyz = %d %s", r.status, r.raw)
	}
	if err := st.db.Close(); err != nil {
		t.Fatal(err)
	}
	r = st.do(t, "GET", "/readyz", nil, nil)
	if r.status != http.StatusOK || r.raw != `{"checks":{"database":"failed","intake":"ok","nats":"ok"},"status":"ready"}`+"\n" {
		t.Errorf("/readyz with the database down = %d %s, want 200 with database failed and nothing more", r.status, r.raw)
	}
	if r := st.do(t, "POST", "/v1/inquiries", []byte(`{"source":"web","customer_id":"u","text":"로그인이 안 돼요"}`), bearer(intakeToken)); r.status != http.StatusAccepted {
		t.Errorf("intake with the database down = %d %s, want 202 (JetStream holds it)", r.status, r.raw)
	}
	for _, path := range []string{"/v1/inquiries/iq_1", "/v1/clusters", "/v1/clusters/c1", "/v1/alerts", "/v1/queue",
		"/v1/incidents", "/v1/incidents/inc_1", "/v1/kb/answers", "/v1/audit", "/v1/stats"} {
		r := st.do(t, "GET", path, nil, bearer(adminToken))
		if r.status != http.StatusServiceUnavailable || r.errorCode() != "unavailable" {
			t.Errorf("GET %s with the database down = %d %s, want 503 unavailable", path, r.status, r.raw)
		}
	}
}

// With NATS gone, /readyz is not ready, and says so without error text.
func TestReadinessWithoutNATS(t *testing.T) {
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
	ns.Shutdown()
	ns.WaitForShutdown()
	r := st.do(t, "GET", "/readyz", nil, nil)
	if r.status != http.StatusServiceUnavailable || r.raw != `{"checks":{"database":"ok","intake":"failed","nats":"failed"},"status":"not ready"}`+"\n" {
		t.Errorf("/readyz without NATS = %d %s", r.status, r.raw)
	}
}

// A signed request without an idempotency key, replayed within the
// signature's window, is one inquiry; a resend signed anew is another.
func TestSignedReplayWithoutKeyStoredOnce(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	st := newStack(t, ctx, testConfig(), bustest.Embedded(t))
	body := []byte(`{"source":"webform","customer_id":"u-7","text":"카드 결제가 두 번 됐어요"}`)
	at := time.Now().Add(-time.Minute)
	var ids []any
	for i := range 3 {
		r := st.do(t, "POST", "/v1/inquiries", body, signed(body, formSecret, at))
		if r.status != http.StatusAccepted {
			t.Fatalf("replay %d = %d %s", i, r.status, r.raw)
		}
		if (i > 0) != (r.body["duplicate"] == true) {
			t.Errorf("post %d: duplicate = %v", i, r.body["duplicate"])
		}
		ids = append(ids, r.body["id"])
	}
	if ids[0] != ids[1] || ids[1] != ids[2] {
		t.Errorf("replays got ids %v", ids)
	}
	r := st.do(t, "POST", "/v1/inquiries", body, signed(body, formSecret, time.Now()))
	if r.status != http.StatusAccepted || r.body["duplicate"] != nil || r.body["id"] == ids[0] {
		t.Errorf("a resend signed anew = %d %s, want a new inquiry", r.status, r.raw)
	}
	st.waitStored(t, ctx, 2)
	if seq := st.streamSeq(t, ctx); seq != 2 {
		t.Errorf("the stream holds %d inquiries, want 2", seq)
	}
}

// A template that would run without bound is a clear 400 when saved.
func TestUnboundedTemplateRefused(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	st := newStack(t, ctx, testConfig(), bustest.Embedded(t))
	for _, tmpl := range []string{"{{range 1000000000}}{{end}}", `{{printf "%0900000000d" 1}}`, "{{.Text}}{{.Text}}{{.Text}}"} {
		body := fmt.Sprintf(`{"id":"a-login","examples":{"ko":["로그인이 안 돼요"]},"template_ko":%q}`, tmpl)
		r := st.do(t, "POST", "/v1/kb/answers", []byte(body), bearer(managerToken))
		if r.status != http.StatusBadRequest || r.errorCode() != "invalid_field" || !strings.Contains(r.raw, "template_ko") {
			t.Errorf("template %s = %d %s, want 400 invalid_field", tmpl, r.status, r.raw)
		}
	}
	if r := st.do(t, "GET", "/v1/kb/answers/a-login", nil, bearer(readToken)); r.status != http.StatusNotFound {
		t.Errorf("a refused answer was saved: %d %s", r.status, r.raw)
	}
}

// A NUL in any text field of a JSON or YAML body is a 400, never a 500
// from PostgreSQL.
func TestBodyNULRefused(t *testing.T) {
	t.Parallel()
	for name, dbURL := range storagetest.URLs(t) {
		t.Run(name, func(t *testing.T) {
			ctx := testContext(t)
			st := newStackOn(t, ctx, testConfig(), bustest.Embedded(t), dbURL)
			admin := bearer(adminToken)
			for _, c := range []struct{ method, path, body string }{
				{"POST", "/v1/incidents", `{"id":"inc-1","title_ko":"결제\u0000장애","severity":"major","status":"investigating"}`},
				{"POST", "/v1/kb/answers", `{"id":"a-1","examples":{"ko":["로그인\u0000"]},"template_ko":"x"}`},
				{"POST", "/v1/kb/import", "incidents:\n  - id: inc-1\n    title_ko: \"결제\\0장애\"\n    severity: major\n    status: investigating\n    started_at: 2026-12-03T09:00:00Z\n"},
				{"POST", "/v1/clusters/c1/merge", `{"into":"c\u00002"}`},
				{"POST", "/v1/clusters/c1/link", `{"incident_id":"inc\u0000"}`},
				{"POST", "/v1/queue/c1/reply", `{"text":"안녕\u0000"}`},
			} {
				r := st.do(t, c.method, c.path, []byte(c.body), admin)
				if r.status != http.StatusBadRequest {
					t.Errorf("%s %s %s = %d %s, want 400", c.method, c.path, c.body, r.status, r.raw)
				}
			}
			// An escaped backslash before u0000 is text, not NUL.
			r := st.do(t, "POST", "/v1/queue/c1/reply", []byte(`{"text":"C:\\u0000 경로"}`), admin)
			if r.status == http.StatusBadRequest && strings.Contains(r.raw, "NUL") {
				t.Errorf("a literal backslash-u0000 was refused: %s", r.raw)
			}
		})
	}
}
