package cli

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/config"
)

// receiver is a customer channel's reply endpoint that fails its first
// calls, then records what it gets.
type receiver struct {
	mu       sync.Mutex
	failures int
	got      map[string][]map[string]any // by path (the customer)
	badSig   int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if !validSignature(r.Header.Get("X-Surgedesk-Signature"), body) {
		rc.badSig++
	}
	if rc.failures > 0 {
		rc.failures--
		http.Error(w, "overloaded", http.StatusServiceUnavailable)
		return
	}
	var m map[string]any
	_ = json.Unmarshal(body, &m)
	rc.got[r.URL.Path] = append(rc.got[r.URL.Path], m)
	w.WriteHeader(http.StatusNoContent)
}

func validSignature(header string, body []byte) bool {
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	mac := hmac.New(sha256.New, []byte(replySecret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	want := hex.EncodeToString(mac.Sum(nil))
	return ts != "" && hmac.Equal([]byte(want), []byte(sig))
}

const replySecret = "reply-secret-0123456789"

// The whole path: an inquiry with a reply_url gets its instant answer there
// too; every status update reaches each customer who asked, exactly once
// per update however often they wrote, in their locale, although the
// receiver fails at first.
func TestAnswersAndFollowUpsReachReplyURLs(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	rc := &receiver{failures: 3, got: map[string][]map[string]any{}}
	hs := httptest.NewServer(rc)
	defer hs.Close()

	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.Auth.AdminToken = testToken
	cfg.Replies.Secret = replySecret
	cfg.Replies.AllowPrivateAddresses = true // the receiver is on 127.0.0.1
	cfg.Replies.MinBackoff, cfg.Replies.MaxBackoff, cfg.Replies.PollInterval = 10*time.Millisecond, 50*time.Millisecond, 20*time.Millisecond
	c := serveInProcess(t, cfg)
	run := func(args ...string) string {
		t.Helper()
		var out bytesBuffer
		if code := Main(ctx, append(args, "--url", c.base, "--token", testToken), &out, &out); code != 0 {
			t.Fatalf("%v = %d: %s", args, code, out.String())
		}
		return out.String()
	}
	run("kb", "import", "../configs/kb.example.yaml")
	// The import is announced over NATS; probe (without a reply_url) until
	// this instance answers from the new knowledge base.
	for i := 0; ; i++ {
		req, _ := http.NewRequestWithContext(ctx, "POST", c.base+"/v1/inquiries",
			strings.NewReader(fmt.Sprintf(`{"source":"probe","customer_id":"p%d","text":"모바일 상품권 결제가 안 돼요"}`, i)))
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if out["answer"] != nil {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("the knowledge base was never loaded")
		case <-time.After(20 * time.Millisecond):
		}
	}

	post := func(customer, locale, text string) map[string]any {
		body := fmt.Sprintf(`{"source":"kakao","customer_id":%q,"locale":%q,"text":%q,"reply_url":"%s/%s"}`,
			customer, locale, text, hs.URL, customer)
		req, _ := http.NewRequestWithContext(ctx, "POST", c.base+"/v1/inquiries", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		if resp.StatusCode != 202 || out["answer"] == nil {
			t.Fatalf("POST = %d %v; want an instant answer", resp.StatusCode, out)
		}
		return out
	}
	for range 3 {
		post("kim", "ko", "모바일 상품권 결제가 안 돼요ㅠㅠ")
	}
	post("john", "en", "my mobile voucher is not accepted at the store")
	c.settle(t, ctx)
	run("incident", "update", "inc-voucher-platform-down", "--status", "monitoring", "--text-ko", "복구 후 모니터링 중입니다", "--text-en", "Recovered; monitoring")
	run("incident", "resolve", "inc-voucher-platform-down")

	// kim: 3 answers (one per inquiry) + 2 follow-ups; john: 1 + 2.
	want := map[string]int{"/kim": 5, "/john": 3}
	for {
		rc.mu.Lock()
		done := len(rc.got["/kim"]) >= want["/kim"] && len(rc.got["/john"]) >= want["/john"]
		rc.mu.Unlock()
		if done {
			break
		}
		select {
		case <-ctx.Done():
			rc.mu.Lock()
			t.Fatalf("received %v", rc.got)
		case <-time.After(20 * time.Millisecond):
		}
	}
	time.Sleep(300 * time.Millisecond) // anything extra would arrive now
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.badSig != 0 {
		t.Errorf("%d POSTs were not signed with the reply secret", rc.badSig)
	}
	for path, n := range want {
		msgs := rc.got[path]
		if len(msgs) != n {
			t.Errorf("%s received %d messages, want %d: %v", path, len(msgs), n, msgs)
		}
		versions := map[float64]int{}
		for _, m := range msgs {
			if m["kind"] == "followup" {
				versions[m["update_version"].(float64)]++
				if text, _ := m["text"].(string); (path == "/kim") != containsHangul(text) {
					t.Errorf("%s got a follow-up in the wrong language: %q", path, text)
				}
			}
		}
		for v, k := range versions {
			if k != 1 {
				t.Errorf("%s got update %v %d times", path, v, k)
			}
		}
		if len(versions) != 2 {
			t.Errorf("%s got follow-ups for versions %v, want two", path, versions)
		}
	}
	var notes struct {
		Notifications []struct {
			Status   string `json:"status"`
			Attempts int    `json:"attempts"`
		} `json:"notifications"`
	}
	if code, err := c.get(ctx, "/v1/incidents/inc-voucher-platform-down/notifications", &notes); err != nil || code != 200 {
		t.Fatalf("notifications: %d %v", code, err)
	}
	retried := 0
	for _, n := range notes.Notifications {
		if n.Status != "delivered" {
			t.Errorf("notification %+v not delivered", n)
		}
		if n.Attempts > 1 {
			retried++
		}
	}
	if len(notes.Notifications) != 8 || retried == 0 {
		t.Errorf("%d notifications, %d retried; want 8, some retried after the receiver's failures", len(notes.Notifications), retried)
	}
}

type bytesBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *bytesBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	return len(p), nil
}

func (b *bytesBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

func containsHangul(s string) bool {
	for _, r := range s {
		if r >= 0xAC00 && r <= 0xD7A3 {
			return true
		}
	}
	return false
}
