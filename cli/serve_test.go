package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/bus/bustest"
	"github.com/surgedesk/surgedesk/config"
	"github.com/surgedesk/surgedesk/storage/storagetest"
)

const testToken = "test-admin-token-0123456789"

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

type client struct {
	base string
	http *http.Client
}

func (c client) post(ctx context.Context, key, text string) (int, string, error) {
	body := fmt.Sprintf(`{"source":"web","customer_id":"c-%s","text":%q,"idempotency_key":%q}`, key, text, key)
	req, _ := http.NewRequestWithContext(ctx, "POST", c.base+"/v1/inquiries", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	var out struct {
		ID string `json:"id"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out.ID, nil
}

func (c client) get(ctx context.Context, path string, v any) (int, error) {
	req, _ := http.NewRequestWithContext(ctx, "GET", c.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if v != nil {
		_ = json.NewDecoder(resp.Body).Decode(v)
	}
	return resp.StatusCode, nil
}

type stats struct {
	Accepted     int `json:"accepted"`
	Stored       int `json:"stored"`
	Pending      int `json:"pending"`
	DeadLettered int `json:"dead_lettered"`
}

// settle waits until nothing is pending and returns the stats.
func (c client) settle(t *testing.T, ctx context.Context) stats {
	t.Helper()
	for {
		var st stats
		code, err := c.get(ctx, "/v1/stats", &st)
		if err == nil && code == 200 && st.Pending == 0 {
			return st
		}
		select {
		case <-ctx.Done():
			t.Fatalf("never settled: %+v (%v)", st, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (c client) waitReady(t *testing.T, ctx context.Context) {
	t.Helper()
	for {
		if code, err := c.get(ctx, "/readyz", nil); err == nil && code == 200 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatal("server never became ready")
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// The whole server process is killed (SIGKILL) mid-load and restarted:
// every inquiry that got a 202 is stored, and none twice.
func TestKilledMidLoadLosesNothing(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and kills the binary; skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	bin := filepath.Join(t.TempDir(), "surgedesk")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/surgedesk/surgedesk/cmd/surgedesk").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dataDir := t.TempDir()
	addr := freeAddr(t)
	c := client{base: "http://" + addr, http: &http.Client{Timeout: 5 * time.Second}}
	var logs bytes.Buffer
	var logMu sync.Mutex
	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "serve", "--data-dir", dataDir, "--http-addr", addr)
		// A short ack wait: what the kill left unacknowledged is redelivered
		// in seconds rather than after the default 30 s.
		cmd.Env = append(os.Environ(), "SURGEDESK_ADMIN_TOKEN="+testToken, "SURGEDESK_WORKERS_ACK_WAIT=3s")
		w := &lockedWriter{mu: &logMu, w: &logs}
		cmd.Stdout, cmd.Stderr = w, w
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		c.waitReady(t, ctx)
		return cmd
	}
	cmd := start()
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	// Each key is posted until it gets a 202, across the crash; the server
	// may have taken a request whose answer the kill swallowed.
	const keys = 1500
	var (
		mu       sync.Mutex
		ids      = map[string]string{} // key -> id
		accepted int
		killed   = make(chan struct{})
		resumed  = make(chan struct{})
	)
	var wg sync.WaitGroup
	next := make(chan int)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				key := fmt.Sprintf("k-%05d", i)
				for {
					code, id, err := c.post(ctx, key, fmt.Sprintf("앱 접속이 안 돼요 %d", i))
					if err == nil && code == http.StatusAccepted {
						mu.Lock()
						if prev, ok := ids[key]; ok && prev != id {
							t.Errorf("key %s got ids %s and %s", key, prev, id)
						}
						ids[key] = id
						accepted++
						mu.Unlock()
						break
					}
					if ctx.Err() != nil {
						return
					}
					time.Sleep(20 * time.Millisecond)
				}
			}
		}()
	}
	go func() {
		for {
			mu.Lock()
			n := accepted
			mu.Unlock()
			if n >= keys/3 {
				_ = cmd.Process.Signal(syscall.SIGKILL)
				_ = cmd.Wait()
				close(killed)
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	go func() {
		<-killed
		cmd = start()
		close(resumed)
	}()
	for i := range keys {
		next <- i
	}
	close(next)
	wg.Wait()
	<-resumed

	if len(ids) != keys {
		t.Fatalf("accepted %d keys, want %d", len(ids), keys)
	}
	st := c.settle(t, ctx)
	if st.Stored != keys || st.Accepted != keys || st.DeadLettered != 0 {
		logMu.Lock()
		t.Fatalf("after kill and restart: %+v, want %d stored exactly\n%s", st, keys, logs.String())
	}
	// Spot-check that ids handed out before the kill are readable.
	n := 0
	for _, id := range ids {
		if code, err := c.get(ctx, "/v1/inquiries/"+id, nil); err != nil || code != 200 {
			t.Errorf("GET %s = %d, %v", id, code, err)
		}
		if n++; n == 200 {
			break
		}
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("graceful shutdown: %v", err)
	}
	logMu.Lock()
	defer logMu.Unlock()
	if n := strings.Count(logs.String(), "surgedesk serving"); n != 2 {
		t.Errorf("the server started %d times, want 2 (killed and restarted)", n)
	}
	if !strings.Contains(logs.String(), "workers drained") {
		t.Errorf("SIGTERM did not drain:\n%s", logs.String())
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// serveInProcess runs serve with cfg until the test ends.
func serveInProcess(t *testing.T, cfg config.Config) client {
	t.Helper()
	return serveInProcessUntil(t, cfg).c
}

// The production path: external NATS and PostgreSQL, chosen by
// configuration alone. Each part runs when its variable is set.
func TestServeProductionBackends(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name             string
		postgres, extern bool
	}{
		{"embedded nats, sqlite", false, false},
		{"embedded nats, postgres", true, false},
		{"external nats, sqlite", false, true},
		{"external nats, postgres", true, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cfg := config.Default()
			cfg.DataDir = t.TempDir()
			cfg.HTTP.Addr = "127.0.0.1:0"
			cfg.Auth.AdminToken = testToken
			if tc.postgres {
				cfg.Database.URL = storagetest.Postgres(t)
			}
			if tc.extern {
				b := bustest.External(t) // skips when unset; empties the streams
				cfg.NATS.URL = b.Conn.ConnectedUrl()
			}
			c := serveInProcess(t, cfg)
			var want int
			for i := range 60 {
				key := fmt.Sprintf("key-%d", i%50) // 10 repeats
				code, _, err := c.post(ctx, key, "결제가 두 번 됐어요 "+key)
				if err != nil || code != 202 {
					t.Fatalf("post %d: %d %v", i, code, err)
				}
				if i < 50 {
					want++
				}
			}
			st := c.settle(t, ctx)
			if st.Stored != want || st.Accepted != want {
				t.Errorf("stats = %+v, want %d stored and accepted", st, want)
			}
			var ready map[string]any
			if code, _ := c.get(ctx, "/readyz", &ready); code != 200 {
				t.Errorf("/readyz = %d %v", code, ready)
			}
		})
	}
}

func TestCheckConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("log:\n  level: loud\nworkers:\n  batch_size: 0\nnats:\n  url: \"::\"\n"), 0o600)
	unknown := filepath.Join(dir, "unknown.yaml")
	os.WriteFile(unknown, []byte("htp:\n  addr: x\n"), 0o600)
	cases := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"defaults are valid", []string{"serve", "--check-config", "--data-dir", dir}, 0, []string{"configuration is valid"}},
		{"every problem at once", []string{"serve", "--check-config", "--config", bad}, 1, []string{"log.level", "workers.batch_size", "nats.url"}},
		{"unknown key", []string{"serve", "--check-config", "--config", unknown}, 1, []string{"htp"}},
		{"bad flag value", []string{"serve", "--check-config", "--http-addr", "nowhere"}, 1, []string{"http.addr"}},
		{"missing file", []string{"serve", "--check-config", "--config", filepath.Join(dir, "none.yaml")}, 1, []string{"none.yaml"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := Main(context.Background(), tc.args, &out, &errOut)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, tc.code, errOut.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String()+errOut.String(), w) {
					t.Errorf("output lacks %q:\n%s%s", w, out.String(), errOut.String())
				}
			}
		})
	}
}
