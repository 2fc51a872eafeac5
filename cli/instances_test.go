package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/config"
)

// Two instances share one NATS and one database: every inquiry is stored
// once whichever instance took it, both report the same counts, and an
// inquiry arriving at one joins the cluster its twin started on the other.
// Instance A runs the embedded NATS with a TCP port and B connects to it as
// an external server; both use one SQLite file.
func TestTwoInstancesShareState(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	natsAddr, base := sharedSetup(t)
	cfgA := base()
	cfgA.NATS.Embedded.Listen = natsAddr
	a := serveInProcess(t, cfgA)
	cfgB := base()
	cfgB.NATS.URL = "nats://" + natsAddr
	b := serveInProcess(t, cfgB)

	topics := map[string][]string{
		"login":  {"앱 접속이 안 돼요", "앱 접속이 안돼요ㅠㅠ", "앱 접속 안 돼요!!", "앱 접속이 안 돼요 ㅠ", "앱접속이 안돼요"},
		"refund": {"환불은 언제 되나요?", "환불 언제 되나요", "환불 언제돼요??", "환불은 언제 되나요ㅠ", "환불 언제 되나요!!"},
	}
	ids := map[string][]string{}
	n := 0
	post := func(c client, topic, text string) {
		t.Helper()
		n++
		code, id, err := c.post(ctx, fmt.Sprintf("k%d", n), text)
		if err != nil || code != 202 {
			t.Fatalf("post %q: %d %v", text, code, err)
		}
		ids[topic] = append(ids[topic], id)
	}
	// The first of each topic goes to A and is stored (and announced)
	// before its twins arrive at either instance.
	for topic, texts := range topics {
		post(a, topic, texts[0])
	}
	a.settle(t, ctx)
	// Announcements are asynchronous: wait until both instances' in-memory
	// indexes (which alone know the recent rates) hold both clusters.
	for _, c := range []client{a, b} {
		for {
			var l struct {
				Clusters []struct {
					Last5m int `json:"last_5m"`
				} `json:"clusters"`
			}
			c.get(ctx, "/v1/clusters", &l)
			known := 0
			for _, cl := range l.Clusters {
				if cl.Last5m > 0 {
					known++
				}
			}
			if known == len(topics) {
				break
			}
			select {
			case <-ctx.Done():
				t.Fatalf("an instance never learnt the first clusters: %+v", l)
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	for i := 1; i < 5; i++ {
		for topic, texts := range topics {
			post(b, topic, texts[i])
			post(a, topic, texts[i])
		}
	}
	stA, stB := a.settle(t, ctx), b.settle(t, ctx)
	if stA.Stored != n || stB.Stored != n || stA.Accepted != n || stB.Accepted != n {
		t.Fatalf("stats A %+v, B %+v; want %d stored and accepted on both", stA, stB, n)
	}
	for topic, list := range ids {
		clusters := map[string]int{}
		for _, id := range list {
			var in struct {
				ClusterID string `json:"cluster_id"`
			}
			if code, err := a.get(ctx, "/v1/inquiries/"+id, &in); err != nil || code != 200 || in.ClusterID == "" {
				t.Fatalf("GET %s: %d %v %+v", id, code, err, in)
			}
			clusters[in.ClusterID]++
		}
		if len(clusters) != 1 {
			t.Errorf("%s inquiries spread over %d clusters across the instances: %v", topic, len(clusters), clusters)
		}
	}
	var la, lb struct {
		Clusters []struct {
			ID        string `json:"id"`
			Inquiries int    `json:"inquiries"`
		} `json:"clusters"`
	}
	a.get(ctx, "/v1/clusters", &la)
	b.get(ctx, "/v1/clusters", &lb)
	if len(la.Clusters) != 2 || fmt.Sprint(la) != fmt.Sprint(lb) {
		t.Errorf("clusters seen by A %+v and B %+v differ or are not 2", la, lb)
	}
}

// Clusters persist in SQL and the index is rebuilt on restart: a variant
// arriving after the restart joins the cluster started before it.
func TestClustersSurviveRestart(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.Auth.AdminToken = testToken

	clusterOf := func(c client, id string) string {
		t.Helper()
		var in struct {
			ClusterID string `json:"cluster_id"`
		}
		if code, err := c.get(ctx, "/v1/inquiries/"+id, &in); err != nil || code != 200 {
			t.Fatalf("GET %s: %d %v", id, code, err)
		}
		return in.ClusterID
	}
	first := serveInProcessUntil(t, cfg)
	_, id1, _ := first.c.post(ctx, "r1", "결제가 두 번 됐어요 환불해주세요")
	_, id2, _ := first.c.post(ctx, "r2", "결제가 두번 되었어요ㅠㅠ 환불해 주세요")
	_, other, _ := first.c.post(ctx, "r3", "배송 조회가 안 돼요")
	first.c.settle(t, ctx)
	before := clusterOf(first.c, id1)
	if before == "" || clusterOf(first.c, id2) != before || clusterOf(first.c, other) == before {
		t.Fatalf("before restart: %s %s %s", before, clusterOf(first.c, id2), clusterOf(first.c, other))
	}
	first.stop()

	second := serveInProcessUntil(t, cfg)
	_, id3, _ := second.c.post(ctx, "r4", "결제 두 번 됐어요!! 환불 해주세요")
	second.c.settle(t, ctx)
	if got := clusterOf(second.c, id3); got != before {
		t.Errorf("after restart the variant joined %s, want the restored cluster %s", got, before)
	}
	var cl struct {
		Inquiries int `json:"inquiries"`
		Customers int `json:"customers"`
	}
	if code, _ := second.c.get(ctx, "/v1/clusters/"+before, &cl); code != 200 || cl.Inquiries != 3 || cl.Customers != 3 {
		t.Errorf("restored cluster = %d %+v, want 3 inquiries from 3 customers", code, cl)
	}
}

// sharedSetup is a NATS address for the first instance to listen on and
// the configuration of an instance sharing one SQLite file with the others.
func sharedSetup(t *testing.T) (natsAddr string, base func() config.Config) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "shared.db")
	return freeAddr(t), func() config.Config {
		cfg := config.Default()
		cfg.DataDir = t.TempDir()
		cfg.HTTP.Addr = "127.0.0.1:0"
		cfg.Auth.AdminToken = testToken
		cfg.Database.URL = db
		return cfg
	}
}

type running struct {
	c    client
	stop func()
}

// serveInProcessUntil runs serve until stop (or the end of the test).
func serveInProcessUntil(t *testing.T, cfg config.Config) running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, slog.New(slog.DiscardHandler), started) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	select {
	case addr := <-started:
		return running{c: client{base: "http://" + addr, http: &http.Client{Timeout: 10 * time.Second}}, stop: stop}
	case err := <-done:
		t.Fatalf("serve: %v", err)
	}
	return running{}
}

// An intake-only instance (workers.store: false) answers 202 and stores
// nothing: its inquiries wait in JetStream until an instance that stores
// starts on the same NATS and database, and then every one is stored once
// and clustered.
func TestIntakeOnlyInstance(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	natsAddr, base := sharedSetup(t)
	cfgIntake := base()
	cfgIntake.NATS.Embedded.Listen = natsAddr
	cfgIntake.Workers.Store = false
	intake := serveInProcess(t, cfgIntake)

	texts := []string{"앱 접속이 안 돼요", "앱 접속이 안돼요ㅠㅠ", "app won't open", "app wont open!!", "환불은 언제 되나요?", "환불 언제 되나요"}
	var ids []string
	for i, text := range texts {
		code, id, err := intake.post(ctx, fmt.Sprintf("io-%d", i), text)
		if err != nil || code != 202 {
			t.Fatalf("post %q: %d %v", text, code, err)
		}
		ids = append(ids, id)
	}
	// Nothing stores them yet: they stay pending, however long we look.
	for range 5 {
		var st stats
		if code, err := intake.get(ctx, "/v1/stats", &st); err != nil || code != 200 {
			t.Fatalf("stats: %d %v", code, err)
		}
		if st.Accepted != len(texts) || st.Stored != 0 || st.Pending != len(texts) {
			t.Fatalf("intake-only stats %+v, want %d accepted and pending, none stored", st, len(texts))
		}
		time.Sleep(100 * time.Millisecond)
	}

	cfgStore := base()
	cfgStore.NATS.URL = "nats://" + natsAddr
	store := serveInProcess(t, cfgStore)
	for _, c := range []client{intake, store} {
		if st := c.settle(t, ctx); st.Accepted != len(texts) || st.Stored != len(texts) {
			t.Fatalf("after the storing instance started: %+v, want all %d stored", st, len(texts))
		}
	}
	clusters := map[string]bool{}
	for _, id := range ids {
		clusters[clusterOf(t, intake.base, id)] = true
	}
	if len(clusters) < 2 || len(clusters) == len(texts) {
		t.Errorf("%d inquiries in %d clusters, want their duplicates together and the topics apart", len(texts), len(clusters))
	}
	// A twin taken in by the intake-only instance now joins its cluster.
	code, twin, err := intake.post(ctx, "io-twin", "앱 접속이 안 돼요!!")
	if err != nil || code != 202 {
		t.Fatalf("post twin: %d %v", code, err)
	}
	store.settle(t, ctx)
	if first, got := clusterOf(t, intake.base, ids[0]), clusterOf(t, intake.base, twin); first != got {
		t.Errorf("twin in cluster %q, first in %q: want the same", got, first)
	}
}
