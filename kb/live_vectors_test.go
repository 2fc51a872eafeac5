package kb

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/assist"
	"github.com/surgedesk/surgedesk/assist/assisttest"
	"github.com/surgedesk/surgedesk/config"
)

// staticKB is a knowledge base with no storage behind it.
type staticKB []Answer

func (s staticKB) Incidents(context.Context, bool) ([]Incident, error) { return nil, nil }
func (s staticKB) Answers(context.Context) ([]Answer, error)           { return s, nil }

var vectorKB = staticKB{
	{ID: "login", Examples: Examples{KO: []string{"로그인이 안 돼요", "로그인 오류가 나요"}, EN: []string{"I can't log in", "login is not working"}},
		TemplateKO: "로그인 장애를 복구 중입니다.", TemplateEN: "We are fixing the login outage."},
	{ID: "refund", Examples: Examples{KO: []string{"환불은 언제 되나요"}, EN: []string{"when will I get my refund", "my refund has not arrived"}},
		TemplateKO: "환불은 3영업일 안에 됩니다.", TemplateEN: "Refunds take three business days."},
}

// semanticOnly shares no word with any login example: only its embedding
// says it is about logging in.
const semanticOnly = "unable to access my account since this morning"

// newVectorKnowledge loads vectorKB with embeddings from a fake provider
// in which every login phrasing (and semanticOnly) points one way and
// every refund phrasing another.
func newVectorKnowledge(t *testing.T, mode assisttest.Mode) (*Live, *assisttest.Server) {
	t.Helper()
	fake := assisttest.New()
	t.Cleanup(fake.Close)
	axis := func(i int) []float32 {
		v := make([]float32, 8)
		v[i] = 1
		return v
	}
	for _, a := range vectorKB {
		for _, ex := range append(append([]string{}, a.Examples.KO...), a.Examples.EN...) {
			fake.SetVector(assist.Canonical(ex), axis(map[string]int{"login": 0, "refund": 1}[a.ID]))
		}
	}
	fake.SetVector(assist.Canonical(semanticOnly), axis(0))
	fake.SetMode(mode, 5*time.Second)
	cfg := config.Default().Assist
	cfg.BaseURL, cfg.EmbeddingModel, cfg.Timeout = fake.URL, "fake", 300*time.Millisecond
	cfg.BreakerFailures, cfg.BreakerCooldown = 2, time.Hour
	log := slog.New(slog.DiscardHandler)
	e := assist.NewEmbedder(assist.NewClient(cfg, "", nil), assist.EmbedderOptions{Model: "fake", BatchSize: 16,
		Linger: time.Millisecond, QueueSize: 100, CacheSize: 100}, log)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go e.Run(ctx)
	k := NewLive(vectorKB, log).WithVectors(e, 0.5, Options{Threshold: 0.2, Margin: 0.05})
	start := time.Now()
	if err := k.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Load waited %v for the provider", d)
	}
	return k, fake
}

func (k *Live) isHybrid() bool {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.hybrid != nil
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestAnswersUseEmbeddingsWhenUp(t *testing.T) {
	k, _ := newVectorKnowledge(t, assisttest.Up)
	eventually(t, "the examples are embedded", k.isHybrid)
	// The first time, the inquiry's embedding is not cached: answered
	// lexically (here: not at all), and queued.
	if a, ok := k.Answer(semanticOnly, "en"); ok {
		t.Fatalf("answered %+v before the inquiry's embedding exists", a)
	}
	eventually(t, "the inquiry is answered by meaning", func() bool {
		a, ok := k.Answer(semanticOnly, "en")
		return ok && a.AnswerID == "login"
	})
	if a, ok := k.Answer("환불은 언제 되나요?", "ko"); !ok || a.AnswerID != "refund" {
		t.Fatalf("a lexical match = %+v, %v", a, ok)
	}
	// A reload of the unchanged knowledge base stays hybrid at once.
	if err := k.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !k.isHybrid() {
		t.Error("a reload with every example cached is not hybrid at once")
	}
}

// A provider that is down, answers 429 or is slow changes nothing but
// quality: Load and Answer return at once, lexical answers are given.
func TestAnswersStayLexicalWhenTheProviderFails(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode assisttest.Mode
	}{{"down", assisttest.Down}, {"429", assisttest.RateLimited}, {"slow", assisttest.Slow}} {
		t.Run(tc.name, func(t *testing.T) {
			k, fake := newVectorKnowledge(t, tc.mode)
			eventually(t, "the provider is tried", func() bool { return fake.Calls("embeddings") > 0 })
			for range 20 {
				start := time.Now()
				if a, ok := k.Answer("로그인이 안돼요 ㅠㅠ", "ko"); !ok || a.AnswerID != "login" {
					t.Fatalf("lexical answer = %+v, %v", a, ok)
				}
				if _, ok := k.Answer(semanticOnly, "en"); ok {
					t.Fatal("answered by meaning with no embeddings")
				}
				if d := time.Since(start); d > time.Second {
					t.Fatalf("Answer waited %v for the provider", d)
				}
			}
			if k.isHybrid() {
				t.Error("hybrid without embeddings")
			}
		})
	}
}
