package web

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/assist"
	"github.com/surgedesk/surgedesk/assist/assisttest"
	"github.com/surgedesk/surgedesk/bus/bustest"
	"github.com/surgedesk/surgedesk/config"
	"github.com/surgedesk/surgedesk/kb"
)

func TestClusterSuggestion(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	st := newStack(t, ctx, testConfig(), bustest.Embedded(t))
	var first string
	for i, text := range []string{"결제가 안 돼요 카드번호 4111 1111 1111 1111", "결제가 안 돼요ㅠㅠ", "결제가 안돼요 010-1234-5678"} {
		body := fmt.Sprintf(`{"source":"web","customer_id":"c%d","text":%q}`, i, text)
		r := st.do(t, "POST", "/v1/inquiries", []byte(body), bearer(intakeToken))
		if r.status != 202 {
			t.Fatalf("POST = %d %s", r.status, r.raw)
		}
		if first == "" {
			first = r.body["id"].(string)
		}
	}
	st.waitStored(t, ctx, 3)
	cluster := st.do(t, "GET", "/v1/inquiries/"+first, nil, bearer(readToken)).body["cluster_id"].(string)
	path := "/v1/clusters/" + cluster + "/suggestion"

	if r := st.do(t, "GET", path, nil, bearer(agentToken)); r.status != 404 || r.errorCode() != "assist_disabled" {
		t.Fatalf("without assist: %d %s", r.status, r.raw)
	}
	fake := assisttest.New()
	t.Cleanup(fake.Close)
	st.srv.Suggester = fake.Suggester(0)

	r := st.do(t, "GET", path, nil, bearer(agentToken))
	if r.status != 200 || r.body["title_ko"] != "로그인 오류" || r.body["title_en"] == "" || r.body["reply_ko"] == "" || r.body["samples"] != float64(3) {
		t.Fatalf("suggestion = %d %s", r.status, r.raw)
	}
	sent := strings.Join(fake.Received(), "\n")
	for _, secret := range []string{"4111 1111 1111 1111", "010-1234-5678"} {
		if strings.Contains(sent, secret) {
			t.Errorf("the chat model received %q:\n%s", secret, sent)
		}
	}
	if !strings.Contains(sent, "결제가 안 돼요") {
		t.Errorf("the chat model did not get the members:\n%s", sent)
	}
	// A draft is never sent on its own: no reply exists for the cluster.
	if r := st.do(t, "GET", "/v1/queue/"+cluster+"/reply", nil, bearer(agentToken)); r.status != 404 {
		t.Errorf("after a suggestion the cluster has a reply: %d %s", r.status, r.raw)
	}
	for _, tc := range []struct {
		name   string
		mode   assisttest.Mode
		path   string
		token  string
		status int
		code   string
	}{
		{"provider 429", assisttest.RateLimited, path, agentToken, 503, "assist_unavailable"},
		{"provider down", assisttest.Down, path, agentToken, 503, "assist_unavailable"},
		{"provider slow", assisttest.Slow, path, agentToken, 503, "assist_unavailable"},
		{"unknown cluster", assisttest.Up, "/v1/clusters/nope/suggestion", agentToken, 404, "not_found"},
		{"read role only", assisttest.Up, path, readToken, 403, "forbidden"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake.SetMode(tc.mode, 5*time.Second)
			if r := st.do(t, "GET", tc.path, nil, bearer(tc.token)); r.status != tc.status || r.errorCode() != tc.code {
				t.Fatalf("%d %s; want %d %s", r.status, r.raw, tc.status, tc.code)
			}
		})
	}
}

// With embeddings configured and the provider slow, down or answering 429,
// intake answers at once from the lexical matcher, accepts every inquiry,
// and only redacted text reaches the provider.
func TestIntakeNeverWaitsForEmbeddings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		mode assisttest.Mode
	}{{"slow", assisttest.Slow}, {"down", assisttest.Down}, {"429", assisttest.RateLimited}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testContext(t)
			st := newStack(t, ctx, testConfig(), bustest.Embedded(t))
			fake := assisttest.New()
			t.Cleanup(fake.Close)
			fake.SetMode(tc.mode, 10*time.Second)
			cfg := config.Default().Assist
			cfg.BaseURL, cfg.EmbeddingModel, cfg.Timeout = fake.URL, "fake", 3*time.Second
			e := assist.NewEmbedder(assist.NewClient(cfg, "", nil), assist.EmbedderOptions{Model: "fake", BatchSize: 8,
				Linger: time.Millisecond, QueueSize: 1000, CacheSize: 1000}, st.srv.Log)
			go e.Run(ctx)
			st.knowledge.WithVectors(e, cfg.SemanticWeight, kb.DefaultHybridOptions())
			st.importExampleKB(t, ctx)
			const n = 20
			for i := range n {
				body := fmt.Sprintf(`{"source":"web","customer_id":"c%d","text":"모바일 상품권 결제가 안 돼요 카드번호 4111 1111 1111 1111 (%d)"}`, i, i)
				start := time.Now()
				r := st.do(t, "POST", "/v1/inquiries", []byte(body), bearer(intakeToken))
				if r.status != 202 {
					t.Fatalf("POST = %d %s", r.status, r.raw)
				}
				if d := time.Since(start); d > 2*time.Second {
					t.Fatalf("intake took %v with the provider %s", d, tc.name)
				}
				if answer, _ := r.body["answer"].(map[string]any); answer == nil || answer["incident_id"] != "inc-voucher-platform-down" {
					t.Fatalf("no lexical answer with the provider %s: %s", tc.name, r.raw)
				}
			}
			st.waitStored(t, ctx, n)
			if strings.Contains(strings.Join(fake.Received(), "\n"), "4111") {
				t.Error("the provider received a card number")
			}
		})
	}
}

// A draft for a whole problem: the chat model gets members of each of its
// clusters, the answer names the problem, and nothing is sent.
func TestProblemSuggestion(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	st := newStack(t, ctx, testConfig(), bustest.Embedded(t))
	problem, refund, login := st.twoClusterProblem(t)
	path := "/v1/problems/" + problem + "/suggestion"

	if r := st.do(t, "GET", path, nil, bearer(agentToken)); r.status != 404 || r.errorCode() != "assist_disabled" {
		t.Fatalf("without assist: %d %s", r.status, r.raw)
	}
	fake := assisttest.New()
	t.Cleanup(fake.Close)
	st.srv.Suggester = fake.Suggester(0)

	r := st.do(t, "GET", path, nil, bearer(agentToken))
	if r.status != 200 || r.body["problem_id"] != problem || r.body["cluster_id"] != nil || r.body["title_ko"] == "" ||
		r.body["reply_ko"] == "" || r.body["samples"] != float64(4) {
		t.Fatalf("suggestion = %d %s", r.status, r.raw)
	}
	sent := strings.Join(fake.Received(), "\n")
	for _, want := range []string{"환불은 언제 되나요", "로그인이 안 돼요"} {
		if !strings.Contains(sent, want) {
			t.Errorf("the chat model did not get %q, from each cluster:\n%s", want, sent)
		}
	}
	for _, c := range []string{refund, login} {
		if r := st.do(t, "GET", "/v1/queue/"+c+"/reply", nil, bearer(agentToken)); r.status != 404 {
			t.Errorf("after a suggestion cluster %s has a reply: %d %s", c, r.status, r.raw)
		}
	}
	if r := st.do(t, "POST", "/v1/problems/"+problem+"/resolve", nil, bearer(agentToken)); r.status != 200 {
		t.Fatalf("resolve = %d %s", r.status, r.raw)
	}
	for _, tc := range []struct {
		name, path, token, code string
		status                  int
	}{
		{"resolved: nothing open to draft from", path, agentToken, "not_found", 404},
		{"unknown problem", "/v1/problems/nope/suggestion", agentToken, "not_found", 404},
		{"read role only", path, readToken, "forbidden", 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if r := st.do(t, "GET", tc.path, nil, bearer(tc.token)); r.status != tc.status || r.errorCode() != tc.code {
				t.Fatalf("%d %s; want %d %s", r.status, r.raw, tc.status, tc.code)
			}
		})
	}
}
