package deploy_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the pgx database/sql driver
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/surgedesk/surgedesk/bot/slackbot/slackfake"
	"github.com/surgedesk/surgedesk/bus"
	"github.com/surgedesk/surgedesk/loadgen"
	"github.com/surgedesk/surgedesk/storage/storagetest"
)

// ClusterEnv turns the multi-node test on: the path of a nats-server
// binary, or "1" for /usr/sbin/nats-server. It needs PostgreSQL too
// (SURGEDESK_TEST_POSTGRES_URL). SURGEDESK_TEST_BINARY may name a built
// surgedesk; otherwise the test builds one.
const ClusterEnv = "SURGEDESK_TEST_CLUSTER"

// The three NATS nodes' client and route ports; SURGEDESK_TEST_CLUSTER_PORTS
// ("4238,4239,4240,6238,6239,6240") moves them.
var natsPorts = []int{4238, 4239, 4240, 6238, 6239, 6240}

const (
	adminToken = "cluster-admin-token-0123456789"
	agents     = "C0AGENTS"
)

// TestMultiNode is the deployment of deploy/ on loopback: three nats-server
// processes clustered with JetStream (surgedesk creates its streams with
// nats.replicas 3), one PostgreSQL, and two `surgedesk serve` processes,
// each with the Slack board on. A keyed surge goes to both instances,
// single and batched, retried on any failure with the same key as a
// gateway would; mid-surge the inquiry stream's leader node and the board
// leader's instance are killed with SIGKILL, then restarted. Afterwards
// every 202 is stored exactly once, cluster counts are exact and the
// same through both instances, both instances' in-memory clusterers put
// the same text in the same cluster, and the board had one leader at a
// time. It logs the time from the NATS node's death to the next 202.
func TestMultiNode(t *testing.T) {
	natsBin := os.Getenv(ClusterEnv)
	if natsBin == "" {
		t.Skip("multi-node test skipped: set " + ClusterEnv + "=1 (or the path of nats-server) and " + storagetest.PostgresEnv)
	}
	if natsBin == "1" {
		natsBin = "/usr/sbin/nats-server"
	}
	pgURL := storagetest.Postgres(t) // skips without PostgreSQL
	if p := os.Getenv("SURGEDESK_TEST_CLUSTER_PORTS"); p != "" {
		natsPorts = natsPorts[:0]
		for _, f := range strings.Split(p, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil {
				t.Fatalf("SURGEDESK_TEST_CLUSTER_PORTS: %v", err)
			}
			natsPorts = append(natsPorts, n)
		}
		if len(natsPorts) != 6 {
			t.Fatal("SURGEDESK_TEST_CLUSTER_PORTS: want 3 client ports and 3 route ports")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	dir := t.TempDir()
	bin := surgedeskBinary(t, dir)

	// Three NATS nodes.
	var nodes []*natsNode
	var urls []string
	for i := range 3 {
		n := &natsNode{name: fmt.Sprintf("n%d", i+1), bin: natsBin, port: natsPorts[i], route: natsPorts[3+i],
			dir: filepath.Join(dir, fmt.Sprintf("nats-%d", i+1))}
		for j := range 3 {
			if j != i {
				n.routes = append(n.routes, fmt.Sprintf("nats://127.0.0.1:%d", natsPorts[3+j]))
			}
		}
		nodes = append(nodes, n)
		urls = append(urls, fmt.Sprintf("nats://127.0.0.1:%d", n.port))
	}
	for _, n := range nodes {
		n.start(t)
	}
	t.Cleanup(func() {
		for _, n := range nodes {
			n.kill()
		}
	})
	natsURL := strings.Join(urls, ",")
	js := waitJetStream(t, ctx, natsURL)

	// Slack: one fake, seen by each instance through a recording proxy,
	// so that every board call is known by who made it.
	fake := slackfake.New(t)
	calls := &boardCalls{}

	// Two instances.
	var insts []*instance
	for i := range 2 {
		in := &instance{name: fmt.Sprintf("i%d", i+1), bin: bin, addr: freeAddr(t), dir: filepath.Join(dir, fmt.Sprintf("serve-%d", i+1))}
		in.slackURL = calls.proxy(t, in.name, fake.URL())
		in.env = []string{
			"SURGEDESK_NATS_URL=" + natsURL,
			"SURGEDESK_NATS_REPLICAS=3",
			"SURGEDESK_NATS_PUBLISH_TIMEOUT=2s",
			"SURGEDESK_DATABASE_URL=" + pgURL,
			"SURGEDESK_ADMIN_TOKEN=" + adminToken,
			"SURGEDESK_WORKERS_ACK_WAIT=4s",
			"SURGEDESK_WORKERS_MAX_BACKOFF=1s",
			"SURGEDESK_SLACK_BOT_TOKEN=xoxb-cluster-test",
			"SURGEDESK_SLACK_SIGNING_SECRET=cluster-signing-secret-0123",
			"SURGEDESK_SLACK_API_URL=" + in.slackURL,
			"SURGEDESK_SLACK_AGENTS_CHANNEL=" + agents,
			"SURGEDESK_SLACK_BOARD_INTERVAL=1s",
			"SURGEDESK_SLACK_TIMEOUT=2s",
			"SURGEDESK_SLACK_RATE_PER_CHANNEL=50",
			"SURGEDESK_SLACK_BURST_PER_CHANNEL=50",
		}
		insts = append(insts, in)
	}
	for _, in := range insts {
		in.start(t, ctx)
	}
	t.Cleanup(func() {
		for _, in := range insts {
			in.kill()
		}
	})
	streamInfo, err := js.Stream(ctx, bus.InquiryStream)
	if err != nil {
		t.Fatal(err)
	}
	if r := streamInfo.CachedInfo().Config.Replicas; r != 3 {
		t.Fatalf("%s has %d replicas, want 3 (nats.replicas)", bus.InquiryStream, r)
	}

	db, err := sql.Open("pgx", pgURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	leases := watchLease(ctx, db)

	// The surge.
	s := &surge{insts: insts, texts: loadgen.DefaultTexts, ids: map[string]string{}}
	surgeCtx, stopSurge := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() { s.worker(surgeCtx, ctx, w, w%4 == 3) })
	}
	time.Sleep(3 * time.Second)

	// Kill the node that leads the inquiry stream, and the instance that
	// leads the board.
	info, err := js.Stream(ctx, bus.InquiryStream)
	if err != nil {
		t.Fatal(err)
	}
	leaderNode := nodes[0]
	if c := info.CachedInfo().Cluster; c != nil {
		for _, n := range nodes {
			if n.name == c.Leader {
				leaderNode = n
			}
		}
	}
	natsKilled := time.Now()
	leaderNode.kill()
	t.Logf("killed NATS node %s (the %s stream leader) at +%s", leaderNode.name, bus.InquiryStream, natsKilled.Sub(s.start()).Round(time.Millisecond))
	time.Sleep(2 * time.Second)
	victim := insts[0]
	if owner := leases.current(); owner != "" {
		for _, in := range insts {
			if in.owns(owner) {
				victim = in
			}
		}
	}
	instKilled := time.Now()
	victim.kill()
	t.Logf("killed instance %s (board leader: %v) at +%s", victim.name, victim.owns(leases.current()), instKilled.Sub(s.start()).Round(time.Millisecond))
	time.Sleep(3 * time.Second)
	leaderNode.start(t)
	victim.start(t, ctx)
	t.Logf("restarted %s and %s", leaderNode.name, victim.name)
	time.Sleep(4 * time.Second)
	stopSurge()
	wg.Wait()

	accepted := s.acceptedIDs()
	if len(accepted) < 100 {
		t.Fatalf("only %d inquiries accepted: the surge did not run (failures: %d)", len(accepted), s.failures.Load())
	}
	first, gap := s.recovery(natsKilled)
	t.Logf("surge: %d keys accepted (%d duplicates answered with their original's id), %d failed attempts retried; "+
		"NATS node death to the next 202 (of a request sent after it): %s; longest gap between 202s after it: %s",
		len(accepted), s.dups.Load(), s.failures.Load(), first.Round(time.Millisecond), gap.Round(time.Millisecond))
	if s.mismatch.Load() > 0 {
		t.Errorf("%d retries or duplicates of a key got another id", s.mismatch.Load())
	}

	// Every 202 stored exactly once.
	deadline := time.Now().Add(90 * time.Second)
	var stored map[string]int
	for {
		stored = storedIDs(t, ctx, db)
		missing := 0
		for id := range accepted {
			if stored[id] == 0 {
				missing++
			}
		}
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d accepted inquiries never stored", missing, len(accepted))
		}
		time.Sleep(250 * time.Millisecond)
	}
	for id, n := range stored {
		if n != 1 {
			t.Errorf("inquiry %s stored %d times", id, n)
		}
		if _, ok := accepted[id]; !ok {
			t.Errorf("inquiry %s stored but never answered 202", id)
		}
	}
	t.Logf("stored: %d rows for %d accepted ids: 0 lost, 0 doubled", len(stored), len(accepted))

	// Cluster counts exact, and the same through both instances.
	checkClusterCounts(t, ctx, db)
	waitPending(t, ctx, insts)
	a, b := clusters(t, ctx, insts[0]), clusters(t, ctx, insts[1])
	if !slices.Equal(a, b) {
		t.Errorf("the instances list different clusters:\n%s: %v\n%s: %v", insts[0].name, a, insts[1].name, b)
	}
	// Both clusterers (one rebuilt from SQL after its SIGKILL) put a text
	// where the other did.
	for i, text := range []string{loadgen.DefaultTexts[0], loadgen.DefaultTexts[len(loadgen.DefaultTexts)-1]} {
		c1 := postAndCluster(t, ctx, insts[0], db, fmt.Sprintf("after-%d-a", i), text)
		c2 := postAndCluster(t, ctx, insts[1], db, fmt.Sprintf("after-%d-b", i), text)
		if c1 == "" || c1 != c2 {
			t.Errorf("%q joined cluster %q through %s and %q through %s", text, c1, insts[0].name, c2, insts[1].name)
		}
	}

	// One board leader at a time, and the board carried on.
	leases.stop()
	calls.check(t, leases, insts)
}

// surgedeskBinary builds the command once per run, or uses SURGEDESK_TEST_BINARY.
func surgedeskBinary(t *testing.T, dir string) string {
	if b := os.Getenv("SURGEDESK_TEST_BINARY"); b != "" {
		return b
	}
	bin := filepath.Join(dir, "surgedesk")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/surgedesk/surgedesk/cmd/surgedesk").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// logDir holds the processes' logs: SURGEDESK_TEST_CLUSTER_LOGS, kept
// after the test, or a directory removed with it.
func logDir(t *testing.T) string {
	if d := os.Getenv("SURGEDESK_TEST_CLUSTER_LOGS"); d != "" {
		_ = os.MkdirAll(d, 0o755)
		return d
	}
	logDirOnce.Do(func() { logDirPath = t.TempDir() })
	return logDirPath
}

var (
	logDirOnce sync.Once
	logDirPath string
)

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// natsNode is one nats-server process of the cluster.
type natsNode struct {
	name, bin, dir string
	port, route    int
	routes         []string
	mu             sync.Mutex
	cmd            *exec.Cmd
}

func (n *natsNode) start(t *testing.T) {
	t.Helper()
	if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", n.port), 200*time.Millisecond); err == nil {
		c.Close()
		t.Fatalf("port %d is taken: another NATS runs there (move the test's ports with SURGEDESK_TEST_CLUSTER_PORTS)", n.port)
	}
	cmd := exec.Command(n.bin, "-a", "127.0.0.1", "-p", strconv.Itoa(n.port), "-n", n.name, "-js", "-sd", n.dir,
		"--cluster_name", "surgedesk-test", "--cluster", fmt.Sprintf("nats://127.0.0.1:%d", n.route),
		"--routes", strings.Join(n.routes, ","))
	logf, err := os.OpenFile(filepath.Join(logDir(t), "nats-"+n.name+".log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("nats-server %s: %v", n.name, err)
	}
	n.mu.Lock()
	n.cmd = cmd
	n.mu.Unlock()
	go func() { _ = cmd.Wait() }()
}

func (n *natsNode) kill() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd != nil {
		_ = n.cmd.Process.Signal(syscall.SIGKILL)
		n.cmd = nil
	}
}

// waitJetStream connects to the cluster once it has elected a JetStream
// meta leader.
func waitJetStream(t *testing.T, ctx context.Context, url string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(url, nats.MaxReconnects(-1), nats.RetryOnFailedConnect(true))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, cancel := context.WithTimeout(ctx, time.Second)
		_, err := js.AccountInfo(c)
		cancel()
		if err == nil {
			return js
		}
		if time.Now().After(deadline) {
			t.Fatalf("the NATS cluster has no JetStream: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// instance is one `surgedesk serve` process.
type instance struct {
	name, bin, addr, dir, slackURL string
	env                            []string
	mu                             sync.Mutex
	cmd                            *exec.Cmd
	owners                         []string // board owner ids it logged, one per start
	up                             atomic.Bool
}

func (in *instance) url() string { return "http://" + in.addr }

func (in *instance) start(t *testing.T, ctx context.Context) {
	t.Helper()
	cmd := exec.Command(in.bin, "serve", "--http-addr", in.addr, "--data-dir", in.dir, "--log-level", "info")
	cmd.Env = append(os.Environ(), in.env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatalf("serve %s: %v", in.name, err)
	}
	in.mu.Lock()
	in.cmd = cmd
	in.mu.Unlock()
	logPath := filepath.Join(logDir(t), "serve-"+in.name+".log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		defer logf.Close()
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(logf, line)
			if _, rest, ok := strings.Cut(line, "leader=true owner="); ok {
				in.mu.Lock()
				in.owners = append(in.owners, strings.Fields(rest)[0])
				in.mu.Unlock()
			}
		}
		_ = cmd.Wait()
	}()
	deadline := time.Now().Add(60 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(ctx, "GET", in.url()+"/readyz", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				in.up.Store(true)
				return
			}
		}
		select {
		case <-exited:
			log, _ := os.ReadFile(logPath)
			t.Fatalf("instance %s exited before it was ready; its log ends:\n%s", in.name, tail(log, 2000))
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("instance %s not ready after 60s", in.name)
		}
	}
}

func tail(b []byte, n int) []byte { return b[max(0, len(b)-n):] }

func (in *instance) kill() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.up.Store(false)
	if in.cmd != nil {
		_ = in.cmd.Process.Signal(syscall.SIGKILL)
		in.cmd = nil
	}
}

func (in *instance) owns(owner string) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return owner != "" && slices.Contains(in.owners, owner)
}

// surge sends keyed inquiries to both instances until stopped, retrying
// each on any failure, on either instance, with the same key, as a
// gateway does; once stopped, each worker still sends what it holds
// until it is accepted.
type surge struct {
	insts []*instance
	texts []string

	mu       sync.Mutex
	ids      map[string]string // key -> id
	oks      []time.Time       // when each 202 answered
	sent     []time.Time       // when each answered request was sent
	began    time.Time
	next     atomic.Int64
	dups     atomic.Int64
	failures atomic.Int64
	mismatch atomic.Int64
}

func (s *surge) start() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.began
}

type item struct {
	key, body string
}

func (s *surge) worker(surgeCtx, ctx context.Context, w int, batch bool) {
	s.mu.Lock()
	if s.began.IsZero() {
		s.began = time.Now()
	}
	s.mu.Unlock()
	rng := rand.New(rand.NewPCG(uint64(w), 7))
	client := &http.Client{Timeout: 5 * time.Second}
	var todo []item
	for ctx.Err() == nil && (surgeCtx.Err() == nil || len(todo) > 0) {
		n := 1
		if batch {
			n = 20
		}
		for surgeCtx.Err() == nil && len(todo) < n {
			k := s.next.Add(1)
			if k > 50 && rng.IntN(20) == 0 {
				k = rng.Int64N(k - 1) // a duplicate of an earlier key
			}
			key := "key-" + strconv.FormatInt(k, 10)
			text := s.texts[int(k)%len(s.texts)]
			b, _ := json.Marshal(map[string]any{"source": "gateway", "customer_id": fmt.Sprintf("c-%d", k%300), "text": text, "idempotency_key": key})
			todo = append(todo, item{key, string(b)})
		}
		in := s.insts[rng.IntN(len(s.insts))]
		if !in.up.Load() {
			in = s.insts[0]
			if !in.up.Load() {
				in = s.insts[1]
			}
		}
		sent := time.Now()
		var got map[string]string // key -> id for the accepted ones
		if batch {
			got = s.postBatch(ctx, client, in, todo)
		} else {
			got = s.postOne(ctx, client, in, todo[0])
		}
		if len(got) < len(todo) {
			s.failures.Add(int64(len(todo) - len(got)))
			time.Sleep(50 * time.Millisecond)
		}
		now := time.Now()
		rest := todo[:0]
		for _, it := range todo {
			id, ok := got[it.key]
			if !ok {
				rest = append(rest, it)
				continue
			}
			s.mu.Lock()
			if prev, seen := s.ids[it.key]; seen {
				s.dups.Add(1)
				if prev != id {
					s.mismatch.Add(1)
				}
			} else {
				s.ids[it.key] = id
			}
			s.oks = append(s.oks, now)
			s.sent = append(s.sent, sent)
			s.mu.Unlock()
		}
		todo = rest
		time.Sleep(time.Duration(2+rng.IntN(4)) * time.Millisecond)
	}
}

func (s *surge) postOne(ctx context.Context, c *http.Client, in *instance, it item) map[string]string {
	var r struct {
		ID string `json:"id"`
	}
	if post(ctx, c, in.url()+"/v1/inquiries", []byte(it.body), &r) != http.StatusAccepted || r.ID == "" {
		return nil
	}
	return map[string]string{it.key: r.ID}
}

func (s *surge) postBatch(ctx context.Context, c *http.Client, in *instance, items []item) map[string]string {
	bodies := make([]string, len(items))
	for i, it := range items {
		bodies[i] = it.body
	}
	var r struct {
		Results []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"results"`
	}
	if post(ctx, c, in.url()+"/v1/inquiries:batch", []byte(`{"inquiries":[`+strings.Join(bodies, ",")+`]}`), &r) != http.StatusOK || len(r.Results) != len(items) {
		return nil
	}
	out := map[string]string{}
	for i, res := range r.Results {
		if res.Status == "accepted" && res.ID != "" {
			out[items[i].key] = res.ID
		}
	}
	return out
}

func post(ctx context.Context, c *http.Client, url string, body []byte, into any) int {
	req, err := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(body))
	if err != nil {
		return 0
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := c.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if json.Unmarshal(raw, into) != nil {
		return 0
	}
	return resp.StatusCode
}

func (s *surge) acceptedIDs() map[string]bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]bool, len(s.ids))
	for _, id := range s.ids {
		out[id] = true
	}
	return out
}

// recovery returns how long after killed the first 202 to a request sent
// after it came, and the longest time without any 202 from then on.
func (s *surge) recovery(killed time.Time) (first, gap time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	first = -1
	var after []time.Time
	for i, ok := range s.oks {
		if ok.Before(killed) {
			continue
		}
		after = append(after, ok)
		if !s.sent[i].Before(killed) && (first < 0 || ok.Sub(killed) < first) {
			first = ok.Sub(killed)
		}
	}
	slices.SortFunc(after, func(a, b time.Time) int { return a.Compare(b) })
	prev := killed
	for _, ok := range after {
		gap = max(gap, ok.Sub(prev))
		prev = ok
	}
	return first, gap
}

func storedIDs(t *testing.T, ctx context.Context, db *sql.DB) map[string]int {
	t.Helper()
	rows, err := db.QueryContext(ctx, `SELECT id, COUNT(*) FROM inquiries GROUP BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatal(err)
		}
		out[id] = n
	}
	return out
}

// checkClusterCounts compares every cluster's counters with its members.
func checkClusterCounts(t *testing.T, ctx context.Context, db *sql.DB) {
	t.Helper()
	rows, err := db.QueryContext(ctx, `SELECT c.id, c.inquiries, c.customers,
		(SELECT COUNT(*) FROM inquiries i WHERE i.cluster_id = c.id),
		(SELECT COUNT(DISTINCT i.source || ':' || i.customer_id) FROM inquiries i WHERE i.cluster_id = c.id)
		FROM clusters c`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var id string
		var count, customers, members, distinct int64
		if err := rows.Scan(&id, &count, &customers, &members, &distinct); err != nil {
			t.Fatal(err)
		}
		n++
		if count != members || customers != distinct {
			t.Errorf("cluster %s counts %d inquiries and %d customers; it has %d and %d", id, count, customers, members, distinct)
		}
	}
	var unclustered int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM inquiries WHERE cluster_id IS NULL`).Scan(&unclustered); err != nil {
		t.Fatal(err)
	}
	if n == 0 || unclustered > 0 {
		t.Errorf("%d clusters, %d inquiries in none", n, unclustered)
	}
}

func waitPending(t *testing.T, ctx context.Context, insts []*instance) {
	t.Helper()
	for range 100 {
		var st struct {
			Pending int64 `json:"pending"`
		}
		req, _ := http.NewRequestWithContext(ctx, "GET", insts[1].url()+"/v1/stats", nil)
		req.Header.Set("Authorization", "Bearer "+adminToken)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_ = json.NewDecoder(resp.Body).Decode(&st)
			resp.Body.Close()
			if st.Pending == 0 {
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Error("the inquiry stream still has pending messages")
}

// clusters lists an instance's open clusters as "id:inquiries:customers".
func clusters(t *testing.T, ctx context.Context, in *instance) []string {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", in.url()+"/v1/clusters?limit=1000", nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Clusters []struct {
			ID        string `json:"id"`
			Inquiries int64  `json:"inquiries"`
			Customers int64  `json:"customers"`
		} `json:"clusters"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range body.Clusters {
		out = append(out, fmt.Sprintf("%s:%d:%d", c.ID, c.Inquiries, c.Customers))
	}
	slices.Sort(out)
	return out
}

// postAndCluster sends one inquiry through in and returns the cluster it
// was stored in.
func postAndCluster(t *testing.T, ctx context.Context, in *instance, db *sql.DB, key, text string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"source": "gateway", "customer_id": "c-after", "text": text, "idempotency_key": key})
	var r struct {
		ID string `json:"id"`
	}
	if code := post(ctx, http.DefaultClient, in.url()+"/v1/inquiries", body, &r); code != http.StatusAccepted {
		t.Fatalf("POST through %s = %d", in.name, code)
	}
	for range 200 {
		var cluster sql.NullString
		err := db.QueryRowContext(ctx, `SELECT cluster_id FROM inquiries WHERE id = $1`, r.ID).Scan(&cluster)
		if err == nil {
			return cluster.String
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("inquiry %s through %s never stored", r.ID, in.name)
	return ""
}

// leaseWatch samples the board's lease row.
type leaseWatch struct {
	mu      sync.Mutex
	samples []leaseSample
	done    chan struct{}
	stopped chan struct{}
}

type leaseSample struct {
	at    time.Time
	owner string
}

func watchLease(ctx context.Context, db *sql.DB) *leaseWatch {
	w := &leaseWatch{done: make(chan struct{}), stopped: make(chan struct{})}
	go func() {
		defer close(w.stopped)
		for {
			var owner string
			// Only a lease not yet expired by the database's clock has a holder.
			err := db.QueryRowContext(ctx, `SELECT owner FROM leases WHERE name = 'slack-board'
				AND expires_at > (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT`).Scan(&owner)
			if err != nil {
				owner = ""
			}
			w.mu.Lock()
			w.samples = append(w.samples, leaseSample{time.Now(), owner})
			w.mu.Unlock()
			select {
			case <-w.done:
				return
			case <-ctx.Done():
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	return w
}

func (w *leaseWatch) current() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.samples) == 0 {
		return ""
	}
	return w.samples[len(w.samples)-1].owner
}

func (w *leaseWatch) stop() { close(w.done); <-w.stopped }

// ownersAround returns the owners sampled within [t-before, t+after].
func (w *leaseWatch) ownersAround(t time.Time, before, after time.Duration) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, s := range w.samples {
		if !s.at.Before(t.Add(-before)) && !s.at.After(t.Add(after)) && !slices.Contains(out, s.owner) {
			out = append(out, s.owner)
		}
	}
	return out
}

// boardCalls records the board's Slack calls by instance.
type boardCalls struct {
	mu    sync.Mutex
	calls []boardCall
}

type boardCall struct {
	inst, method string
	at           time.Time
}

func (b *boardCalls) proxy(t *testing.T, inst, target string) string {
	mux := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		method := strings.TrimPrefix(r.URL.Path, "/")
		if (method == "chat.postMessage" || method == "chat.update") && bytes.Contains(body, []byte(agents)) {
			b.mu.Lock()
			b.calls = append(b.calls, boardCall{inst, method, time.Now()})
			b.mu.Unlock()
		}
		req, _ := http.NewRequestWithContext(r.Context(), r.Method, strings.TrimSuffix(target, "/")+r.URL.RequestURI(), bytes.NewReader(body))
		req.Header = r.Header.Clone()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "http://" + ln.Addr().String() + "/"
}

// check: every board call was made by the instance that held the lease
// then, and both instances never drove the board in the same second.
func (b *boardCalls) check(t *testing.T, leases *leaseWatch, insts []*instance) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.calls) == 0 {
		t.Fatal("the board made no Slack call")
	}
	byInst := map[string]int{}
	for _, c := range b.calls {
		byInst[c.inst]++
		var in *instance
		for _, x := range insts {
			if x.name == c.inst {
				in = x
			}
		}
		held := false
		for _, owner := range leases.ownersAround(c.at, 500*time.Millisecond, 100*time.Millisecond) {
			held = held || in.owns(owner)
		}
		if !held {
			t.Errorf("%s made a board call (%s) at %s without holding the lease", c.inst, c.method, c.at.Format("15:04:05.000"))
		}
	}
	for i, c := range b.calls {
		for _, d := range b.calls[i+1:] {
			if d.inst != c.inst && d.at.Sub(c.at).Abs() < 200*time.Millisecond {
				t.Errorf("%s and %s both drove the board at %s", c.inst, d.inst, c.at.Format("15:04:05.000"))
			}
		}
	}
	t.Logf("board: %d Slack calls by instance %v", len(b.calls), byInst)
}
