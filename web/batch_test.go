package web

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/surgedesk/surgedesk/bus"
	"github.com/surgedesk/surgedesk/bus/bustest"
)

// batchResults returns the results of a batch response.
func (r response) batchResults(t *testing.T) []map[string]any {
	t.Helper()
	raw, ok := r.body["results"].([]any)
	if !ok {
		t.Fatalf("no results in %s", r.raw)
	}
	out := make([]map[string]any, len(raw))
	for i, v := range raw {
		out[i], _ = v.(map[string]any)
	}
	return out
}

func itemCode(res map[string]any) string {
	e, _ := res["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

// A batch answers one result per item in order; bad items fail alone,
// keys deduplicate within the batch and against single intake, and
// exactly the accepted items are stored.
func TestBatchEndToEnd(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	cfg := testConfig()
	cfg.Intake.MaxBatchBodyBytes = 64 << 10
	st := newStack(t, ctx, cfg, bustest.Embedded(t))

	single := st.do(t, "POST", "/v1/inquiries", []byte(`{"source":"kakao","customer_id":"u-0","text":"결제가 두 번 됐어요","idempotency_key":"k-single"}`), bearer(intakeToken))
	if single.status != http.StatusAccepted {
		t.Fatalf("single POST = %d %s", single.status, single.raw)
	}
	items := []struct {
		json   string
		status string
		code   string
		dup    bool
	}{
		{`{"source":"kakao","customer_id":"u-1","text":"앱 접속이 안 돼요","idempotency_key":"k-1"}`, "accepted", "", false},
		{`{"source":"kakao","customer_id":"u-2"}`, "rejected", "missing_field", false},
		{`{"source":"web","customer_id":"u-3","text":"I cannot log in since this morning"}`, "accepted", "", false},
		{`{"source":"kakao","customer_id":"u-4","text":"x","priority":1}`, "rejected", "unknown_field", false},
		{`"not an object"`, "rejected", "invalid_json", false},
		{`{"source":"kakao","customer_id":"u-1","text":"앱 접속이 안 돼요","idempotency_key":"k-1"}`, "accepted", "", true},
		{`{"source":"kakao","customer_id":"u-0","text":"결제가 두 번 됐어요","idempotency_key":"k-single"}`, "accepted", "", true},
		{`{"source":"slack","customer_id":"U1","text":"x"}`, "rejected", "invalid_field", false},
		{`{"source":"kakao","customer_id":"u-5","text":"` + strings.Repeat("가", 100) + `"}`, "rejected", "text_too_long", false},
		{`{"source":"kakao","customer_id":"u-6","text":"비밀번호는 qwer!234 인데 로그인이 안돼요","idempotency_key":"k-6"}`, "accepted", "", false},
	}
	parts := make([]string, len(items))
	for i, it := range items {
		parts[i] = it.json
	}
	r := st.do(t, "POST", "/v1/inquiries:batch", []byte(`{"inquiries":[`+strings.Join(parts, ",")+`]}`), bearer(intakeToken))
	if r.status != http.StatusOK {
		t.Fatalf("batch = %d %s", r.status, r.raw)
	}
	results := r.batchResults(t)
	if len(results) != len(items) {
		t.Fatalf("%d results for %d items: %s", len(results), len(items), r.raw)
	}
	for i, it := range items {
		res := results[i]
		if res["status"] != it.status || itemCode(res) != it.code || (res["duplicate"] == true) != it.dup {
			t.Errorf("item %d: %v, want status %s code %q duplicate %v", i, res, it.status, it.code, it.dup)
		}
		if it.status == "accepted" && !strings.HasPrefix(fmt.Sprint(res["id"]), "iq_") {
			t.Errorf("item %d accepted without an id: %v", i, res)
		}
	}
	if results[0]["id"] != results[5]["id"] {
		t.Errorf("the same key in one batch gave ids %v and %v", results[0]["id"], results[5]["id"])
	}
	if results[6]["id"] != single.body["id"] {
		t.Errorf("the single inquiry's key gave %v in the batch, %v alone", results[6]["id"], single.body["id"])
	}
	if r.body["accepted"] != float64(5) || r.body["rejected"] != float64(5) || r.body["unavailable"] != float64(0) {
		t.Errorf("counts %v %v %v, want 5 5 0", r.body["accepted"], r.body["rejected"], r.body["unavailable"])
	}
	// Stored: the single one, k-1, the unkeyed English one and k-6.
	st.waitStored(t, ctx, 4)
	if seq := st.streamSeq(t, ctx); seq != 4 {
		t.Errorf("stream holds %d messages, want 4", seq)
	}
	row, err := st.db.Inquiry(ctx, results[9]["id"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(row.Text, "qwer!234") || !strings.Contains(row.Text, "[비밀번호]") {
		t.Errorf("batch item stored unredacted: %q", row.Text)
	}
}

// A request that is not a batch is refused as a whole and publishes nothing.
func TestBadBatchChangesNothing(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	cfg := testConfig()
	cfg.Intake.MaxBatchItems = 3
	cfg.Intake.MaxBatchBodyBytes = 4096
	st := newStack(t, ctx, cfg, bustest.Embedded(t))
	item := `{"source":"webform","customer_id":"u-1","text":"결제가 두 번 됐어요"}`
	batch := func(n int) string {
		return `{"inquiries":[` + strings.TrimSuffix(strings.Repeat(item+",", n), ",") + `]}`
	}
	cases := []struct {
		name   string
		body   string
		header map[string]string
		status int
		code   string
	}{
		{"malformed", `{"inquiries":[`, bearer(intakeToken), 400, "invalid_json"},
		{"a single inquiry", item, bearer(intakeToken), 400, "unknown_field"},
		{"inquiries not an array", `{"inquiries":{}}`, bearer(intakeToken), 400, "invalid_json"},
		{"empty", `{"inquiries":[]}`, bearer(intakeToken), 400, "missing_field"},
		{"no inquiries", `{}`, bearer(intakeToken), 400, "missing_field"},
		{"trailing data", batch(1) + `{}`, bearer(intakeToken), 400, "invalid_json"},
		{"too many", batch(4), bearer(intakeToken), 413, "too_many_inquiries"},
		{"body too large", `{"inquiries":[{"source":"web","customer_id":"u","text":"` + strings.Repeat("a", 5000) + `"}]}`, bearer(intakeToken), 413, "body_too_large"},
		{"invalid utf8", "{\"inquiries\":[{\"source\":\"web\",\"customer_id\":\"u\",\"text\":\"\xff\"}]}", bearer(intakeToken), 400, "invalid_utf8"},
		{"no auth", batch(1), nil, 401, "unauthorized"},
		{"read token", batch(1), bearer(readToken), 403, "forbidden"},
		{"stale signature", batch(1), signed([]byte(batch(1)), formSecret, time.Now().Add(-6*time.Minute)), 401, "stale_signature"},
		{"signature over another body", batch(1), signed([]byte(batch(2)), formSecret, time.Now()), 401, "invalid_signature"},
	}
	before := st.streamSeq(t, ctx)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := st.do(t, "POST", "/v1/inquiries:batch", []byte(tc.body), tc.header)
			if r.status != tc.status || r.errorCode() != tc.code {
				t.Errorf("got %d %s, want %d %s", r.status, r.raw, tc.status, tc.code)
			}
		})
	}
	if after := st.streamSeq(t, ctx); after != before {
		t.Errorf("bad batches published %d message(s)", after-before)
	}
}

// Signed by a source, every item must name that source; one that does
// not is refused alone.
func TestSignedBatch(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	st := newStack(t, ctx, testConfig(), bustest.Embedded(t))
	body := []byte(`{"inquiries":[{"source":"webform","customer_id":"u-1","text":"환불 언제 되나요"},` +
		`{"source":"web","customer_id":"u-2","text":"환불 언제 되나요"}]}`)
	r := st.do(t, "POST", "/v1/inquiries:batch", body, signed(body, formSecret, time.Now()))
	if r.status != http.StatusOK {
		t.Fatalf("batch = %d %s", r.status, r.raw)
	}
	res := r.batchResults(t)
	if res[0]["status"] != "accepted" || res[1]["status"] != "rejected" || itemCode(res[1]) != "source_mismatch" {
		t.Errorf("results %v", res)
	}
	st.waitStored(t, ctx, 1)
}

// With JetStream gone, every item is unavailable, promptly, with Retry-After.
func TestBatchUnavailable(t *testing.T) {
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
	body := []byte(`{"inquiries":[{"source":"web","customer_id":"u","text":"접속 안됨","idempotency_key":"a"},{"source":"web","customer_id":"u","text":"접속 안됨","idempotency_key":"b"},{"source":"web"}]}`)
	if r := st.do(t, "POST", "/v1/inquiries:batch", body, bearer(intakeToken)); r.status != 200 || r.body["accepted"] != float64(2) {
		t.Fatalf("before the outage: %d %s", r.status, r.raw)
	}
	ns.Shutdown()
	ns.WaitForShutdown()

	start := time.Now()
	r := st.do(t, "POST", "/v1/inquiries:batch", body, bearer(intakeToken))
	took := time.Since(start)
	if r.status != http.StatusOK || r.header.Get("Retry-After") == "" {
		t.Fatalf("during the outage: %d %s (Retry-After %q)", r.status, r.raw, r.header.Get("Retry-After"))
	}
	res := r.batchResults(t)
	if res[0]["status"] != "unavailable" || itemCode(res[0]) != "unavailable" || res[1]["status"] != "unavailable" || itemCode(res[2]) != "missing_field" {
		t.Errorf("results during the outage: %v", res)
	}
	if took > 10*time.Second {
		t.Errorf("the batch took %v", took)
	}
}
