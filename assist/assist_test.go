package assist_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/surgedesk/surgedesk/assist"
	"github.com/surgedesk/surgedesk/assist/assisttest"
	"github.com/surgedesk/surgedesk/config"
)

func testConfig(url string) config.Assist {
	cfg := config.Default().Assist
	cfg.BaseURL, cfg.EmbeddingModel, cfg.ChatModel = url, "fake-embed", "fake-chat"
	cfg.Timeout, cfg.ChatTimeout = 300*time.Millisecond, 300*time.Millisecond
	cfg.RatePerSecond, cfg.Burst = 1000, 1000
	cfg.BreakerFailures, cfg.BreakerCooldown = 3, time.Hour
	cfg.BatchLinger = 5 * time.Millisecond
	return cfg
}

func newClient(t *testing.T) (*assist.Client, *assisttest.Server, *prometheus.Registry) {
	t.Helper()
	fake := assisttest.New()
	t.Cleanup(fake.Close)
	reg := prometheus.NewRegistry()
	return assist.NewClient(testConfig(fake.URL), "sk-test", reg), fake, reg
}

func TestEmbedUp(t *testing.T) {
	c, fake, reg := newClient(t)
	vecs, err := c.Embed(context.Background(), []string{"Login keeps failing", "로그인이 안 돼요"})
	if err != nil {
		t.Fatal(err)
	}
	if len(vecs) != 2 || len(vecs[0]) != assisttest.Dims {
		t.Fatalf("got %d vectors of %d", len(vecs), len(vecs[0]))
	}
	for _, v := range vecs {
		if n := assist.Cosine(v, v); math.Abs(n-1) > 1e-5 {
			t.Errorf("vector not unit length: %v", n)
		}
	}
	if got := fake.Received(); got[0] != "login keeps failing" || got[1] != "로그인이 안 돼요" {
		t.Errorf("fake received %q, want the canonical texts", got)
	}
	if n := value(t, reg, "surgedesk_assist_calls_total", "embeddings", "ok"); n != 1 {
		t.Errorf("calls ok = %v, want 1", n)
	}
}

// value is one labelled counter's value (0 when the series does not exist).
func value(t *testing.T, reg *prometheus.Registry, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			var vals []string
			for _, l := range m.GetLabel() {
				vals = append(vals, l.GetValue())
			}
			if strings.Join(vals, ",") == strings.Join(labels, ",") {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func TestFailuresOpenTheBreaker(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mode   assisttest.Mode
		result string
	}{
		{"down", assisttest.Down, "error"},
		{"429", assisttest.RateLimited, "rate_limited"},
		{"slow", assisttest.Slow, "timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, fake, reg := newClient(t)
			fake.SetMode(tc.mode, 2*time.Second)
			for i := 0; i < 3; i++ {
				start := time.Now()
				_, err := c.Embed(context.Background(), []string{"app won't open"})
				if err == nil {
					t.Fatal("want an error")
				}
				if d := time.Since(start); d > time.Second {
					t.Fatalf("a call took %v; the timeout is 300ms", d)
				}
			}
			if n := value(t, reg, "surgedesk_assist_calls_total", "embeddings", tc.result); n != 3 {
				t.Errorf("calls %s = %v, want 3", tc.result, n)
			}
			before := fake.Calls("embeddings")
			for i := 0; i < 10; i++ {
				if _, err := c.Embed(context.Background(), []string{"app won't open"}); !errors.Is(err, assist.ErrUnavailable) {
					t.Fatalf("with the breaker open: err %v, want ErrUnavailable", err)
				}
			}
			if after := fake.Calls("embeddings"); after != before {
				t.Errorf("the open breaker let %d calls through", after-before)
			}
		})
	}
}

func TestOnlyRedactedTextLeaves(t *testing.T) {
	c, fake, _ := newClient(t)
	secrets := []string{"4111 1111 1111 1111", "hunter2pass", "010-1234-5678", "kim@example.com"}
	texts := []string{
		"결제가 안 돼요 카드번호 4111 1111 1111 1111",
		"can't log in, my password is hunter2pass",
		"연락처 010-1234-5678 로 전화 주세요",
		"email me at kim@example.com please",
	}
	if _, err := c.Embed(context.Background(), texts); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Suggest(context.Background(), texts); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(fake.Received(), "\n")
	for _, s := range secrets {
		if strings.Contains(got, s) {
			t.Errorf("the provider received the secret %q:\n%s", s, got)
		}
	}
	if !strings.Contains(got, "결제가 안 돼요") || !strings.Contains(got, "can't log in") {
		t.Errorf("the provider did not receive the texts themselves:\n%s", got)
	}
}

func TestCanonicalIsIdempotent(t *testing.T) {
	for _, s := range []string{"  Login   FAILS  ", "카드번호 4111 1111 1111 1111 결제 실패", "password: abc12345!", "ＡＰＰ　안열림"} {
		once := assist.Canonical(s)
		if twice := assist.Canonical(once); twice != once {
			t.Errorf("Canonical(%q) = %q, again %q", s, once, twice)
		}
		if assist.Key("m", s) != assist.Key("m", once) {
			t.Errorf("Key differs for %q and its canonical form", s)
		}
	}
	if assist.Key("a", "x") == assist.Key("b", "x") {
		t.Error("the model is not part of the key")
	}
}

func TestSuggest(t *testing.T) {
	c, fake, _ := newClient(t)
	fake.SetReply("Sure! ```json\n{\"title_ko\": \"로그인 실패\", \"title_en\": \"Login fails\", \"reply_ko\": \"확인 중입니다.\", \"reply_en\": \"We are on it.\"}\n```")
	s, err := c.Suggest(context.Background(), []string{"로그인이 안 돼요", "can't log in"})
	if err != nil {
		t.Fatal(err)
	}
	if s.TitleKO != "로그인 실패" || s.TitleEN != "Login fails" || s.ReplyEN != "We are on it." || s.Model != "fake-chat" {
		t.Errorf("got %+v", s)
	}
	fake.SetReply("I cannot help with that.")
	if _, err := c.Suggest(context.Background(), []string{"x"}); err == nil {
		t.Error("a reply with no JSON gave no error")
	}
	if _, err := c.Suggest(context.Background(), []string{"", "  "}); err == nil {
		t.Error("no samples gave no error")
	}
	fake.SetMode(assisttest.RateLimited, 0)
	if _, err := c.Suggest(context.Background(), []string{"로그인"}); err == nil {
		t.Error("a 429 gave no error")
	}
}

func newEmbedder(t *testing.T, c *assist.Client, queue int) *assist.Embedder {
	return assist.NewEmbedder(c, assist.EmbedderOptions{Model: "fake-embed", BatchSize: 8, Linger: 5 * time.Millisecond,
		QueueSize: queue, CacheSize: 100}, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

func TestEmbedderBatchesAndCaches(t *testing.T) {
	c, fake, reg := newClient(t)
	e := newEmbedder(t, c, 100)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go e.Run(ctx)
	texts := []string{"app won't open", "App won't  open", "앱이 안 열려요", "payment failed"}
	if _, ok := e.Lookup(texts[0]); ok {
		t.Fatal("cached before any request")
	}
	e.Request(texts...)
	deadline := time.Now().Add(5 * time.Second)
	for _, text := range texts {
		for {
			if _, ok := e.Lookup(text); ok {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%q never embedded", text)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	if n := len(fake.Received()); n != 3 {
		t.Errorf("fake embedded %d texts, want 3 (two differ only in case and spacing)", n)
	}
	if n := fake.Calls("embeddings"); n > 2 {
		t.Errorf("%d calls for 3 texts with batch size 8", n)
	}
	e.Request(texts...)
	vecs, err := e.Vectors(ctx, texts)
	if err != nil || len(vecs) != 4 {
		t.Fatal(vecs, err)
	}
	if n := len(fake.Received()); n != 3 {
		t.Errorf("cached texts were sent again: %d texts sent", n)
	}
	if hits := value(t, reg, "surgedesk_assist_embedding_cache_total", "hit"); hits < 4 {
		t.Errorf("cache hits %v, want at least 4", hits)
	}
}

// The intake side never waits: with the provider slow, Lookup and Request
// return at once, and a full queue drops instead of blocking.
func TestEmbedderNeverWaits(t *testing.T) {
	c, fake, reg := newClient(t)
	fake.SetMode(assisttest.Slow, 5*time.Second)
	e := newEmbedder(t, c, 4)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go e.Run(ctx)
	start := time.Now()
	for i := 0; i < 1000; i++ {
		text := "결제 오류 " + strings.Repeat("가", i%50) + string(rune('a'+i%26))
		e.Request(text)
		if _, ok := e.Lookup(text); ok {
			t.Fatal("a slow provider's embedding cannot be cached yet")
		}
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("1000 requests and look-ups took %v with a slow provider", d)
	}
	if n := value(t, reg, "surgedesk_assist_embedding_dropped_total"); n == 0 {
		t.Error("a full queue dropped nothing")
	}
}

func TestEmbedderRecoversAfterDown(t *testing.T) {
	c, fake, _ := newClient(t)
	fake.SetMode(assisttest.Down, 0)
	e := newEmbedder(t, c, 100)
	if _, err := e.Vectors(context.Background(), []string{"login fails"}); err == nil {
		t.Fatal("want an error while down")
	}
	fake.SetMode(assisttest.Up, 0)
	v, err := e.Vectors(context.Background(), []string{"login fails"})
	if err != nil || len(v[0]) != assisttest.Dims {
		t.Fatalf("after recovery: %v %v", v, err)
	}
}
