package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/assist"
	"github.com/surgedesk/surgedesk/assist/assisttest"
	"github.com/surgedesk/surgedesk/config"
	"github.com/surgedesk/surgedesk/eval"
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
	// The embeddings worker's failures while the provider is down must
	// not open the breaker the suggestion's call goes through once it is
	// up (a slow run fails more of them first); the breaker has tests of
	// its own.
	cfg.Assist.BreakerFailures = 1000
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
	cluster := clusterOf(t, c.base, id)
	fake.SetMode(assisttest.Up, 0)
	var sug map[string]any
	if code, err := c.get(ctx, "/v1/clusters/"+cluster+"/suggestion", &sug); code != 200 || err != nil || sug["title_en"] == "" {
		t.Fatalf("suggestion: %d %v %v", code, err, sug)
	}
	// The same for the cluster's whole problem, from a terminal.
	var out, errOut bytes.Buffer
	var problem struct {
		ProblemID string `json:"problem_id"`
	}
	if code, err := c.get(ctx, "/v1/clusters/"+cluster, &problem); code != 200 || err != nil || problem.ProblemID == "" {
		t.Fatalf("cluster: %d %v %+v", code, err, problem)
	}
	if code := Main(ctx, []string{"problem", "suggest", problem.ProblemID, "--url", c.base, "--token", testToken}, &out, &errOut); code != 0 ||
		!strings.Contains(out.String(), "from 5 member texts") || !strings.Contains(out.String(), "surgedesk problem reply "+problem.ProblemID) {
		t.Fatalf("problem suggest: exit %d\n%s%s", code, out.String(), errOut.String())
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
	for _, want := range []string{`surgedesk_assist_calls_total{op="chat",result="ok"} 2`, `surgedesk_assist_calls_total{op="embeddings"`,
		`surgedesk_assist_embedding_cache_total{result="miss"}`, "surgedesk_assist_call_seconds_bucket"} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(strings.Join(fake.Received(), "\n"), "4111") {
		t.Error("the provider received a card number")
	}
}

// eval cluster --level problem with --embeddings-url groups, through the
// real go-openai client, wordings that share no word but mean one thing
// (here: the fake server gives them one vector); without it they are two
// problems.
func TestEvalProblemEmbeddings(t *testing.T) {
	t.Parallel()
	fake := assisttest.New()
	t.Cleanup(fake.Close)
	login := []string{"로그인이 안 돼요", "로그인이 안 돼요 확인 부탁드려요", "로그인이 안 됩니다"}
	signIn := []string{"I cannot sign in", "I cannot sign in please help", "cannot sign in"}
	refund := []string{"환불은 언제 되나요", "환불 언제 되나요", "환불은 언제쯤 되나요"}
	var rows strings.Builder
	rows.WriteString("label\ttext\n")
	for i := range 3 {
		fmt.Fprintf(&rows, "login\t%s\nlogin\t%s\nrefund\t%s\n", login[i], signIn[i], refund[i])
	}
	data := writeFile(t, t.TempDir(), "data.tsv", rows.String())
	vector := func(axis int) []float32 {
		v := make([]float32, 8)
		v[axis] = 1
		return v
	}
	for _, text := range append(login, signIn...) {
		fake.SetVector(assist.Canonical(eval.Prepare(text)), vector(0))
	}
	for _, text := range refund {
		fake.SetVector(assist.Canonical(eval.Prepare(text)), vector(1))
	}

	problems := func(args ...string) map[string]int {
		t.Helper()
		out := filepath.Join(t.TempDir(), "assignments")
		var stdout, stderr bytes.Buffer
		args = append([]string{"cluster", "--level", "problem", "--data", data, "--assignments", out}, args...)
		if err := runEval(context.Background(), args, &stdout, &stderr); err != nil {
			t.Fatalf("eval %v: %v\n%s", args, err, stderr.String())
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		ids := strings.Fields(string(b))
		labels := []string{"login", "login", "refund"}
		seen := map[string]map[string]bool{}
		for i, id := range ids {
			l := labels[i%3]
			if seen[l] == nil {
				seen[l] = map[string]bool{}
			}
			seen[l][id] = true
		}
		n := map[string]int{}
		for l, ids := range seen {
			n[l] = len(ids)
		}
		return n
	}
	if got := problems(); got["login"] != 2 {
		t.Fatalf("lexical: the Korean and English login wordings are in %d problems, want 2 (they share no word)", got["login"])
	}
	got := problems("--embeddings-url", fake.URL, "--embedding-model", "fake-model")
	if got["login"] != 1 || got["refund"] != 1 {
		t.Fatalf("with embeddings: login in %d problems, refund in %d; want 1 each", got["login"], got["refund"])
	}
	if fake.Calls("embeddings") == 0 {
		t.Fatal("the embeddings server was never called")
	}
}
