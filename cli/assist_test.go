package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/assist/assisttest"
	"github.com/surgedesk/surgedesk/config"
)

// serve with the assist block on: intake works with the provider down,
// /metrics shows the provider's calls, and a suggestion is drafted once it
// is up.
func TestServeWithAssist(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	fake := assisttest.New()
	t.Cleanup(fake.Close)
	fake.SetMode(assisttest.Down, 0)
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.Auth.AdminToken = testToken
	cfg.Assist.BaseURL, cfg.Assist.EmbeddingModel, cfg.Assist.ChatModel = fake.URL, "fake-embed", "fake-chat"
	cfg.Assist.BatchLinger = time.Millisecond
	c := serveInProcess(t, cfg)
	// A knowledge base, whose examples the worker tries to embed.
	example, err := os.ReadFile("../configs/kb.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(ctx, "POST", c.base+"/v1/kb/import", bytes.NewReader(example))
	req.Header.Set("Authorization", "Bearer "+testToken)
	imported, err := c.http.Do(req)
	if err != nil || imported.StatusCode != 200 {
		t.Fatalf("import: %v %v", imported, err)
	}
	imported.Body.Close()
	var id string
	for i := range 5 {
		code, got, err := c.post(ctx, fmt.Sprintf("k%d", i), "앱이 안 열려요 카드번호 4111 1111 1111 1111")
		if err != nil || code != 202 {
			t.Fatalf("post: %d %v", code, err)
		}
		id = got
	}
	c.settle(t, ctx)
	var in struct {
		ClusterID string `json:"cluster_id"`
	}
	if code, err := c.get(ctx, "/v1/inquiries/"+id, &in); code != 200 || err != nil {
		t.Fatalf("inquiry: %d %v", code, err)
	}
	fake.SetMode(assisttest.Up, 0)
	var sug map[string]any
	if code, err := c.get(ctx, "/v1/clusters/"+in.ClusterID+"/suggestion", &sug); code != 200 || err != nil || sug["title_en"] == "" {
		t.Fatalf("suggestion: %d %v %v", code, err, sug)
	}
	var metrics []byte
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(c.base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		metrics, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(metrics), `op="embeddings"`) || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, want := range []string{`surgedesk_assist_calls_total{op="chat",result="ok"} 1`, `surgedesk_assist_calls_total{op="embeddings"`,
		`surgedesk_assist_embedding_cache_total{result="miss"}`, "surgedesk_assist_call_seconds_bucket"} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(strings.Join(fake.Received(), "\n"), "4111") {
		t.Error("the provider received a card number")
	}
}
