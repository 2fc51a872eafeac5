package workers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/surgedesk/surgedesk/bus"
	"github.com/surgedesk/surgedesk/bus/bustest"
	"github.com/surgedesk/surgedesk/storage"
	"github.com/surgedesk/surgedesk/storage/storagetest"
	"github.com/surgedesk/surgedesk/triage"
)

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func openStorage(t *testing.T) *storage.Storage {
	return storagetest.Open(t, storagetest.SQLite(t))
}

func publish(t *testing.T, ctx context.Context, js jetstream.JetStream, n int, text func(i int) string) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range n {
		ids[i] = fmt.Sprintf("iq_test_%04d", i)
		data, _ := json.Marshal(bus.Inquiry{ID: ids[i], Source: "web", CustomerID: fmt.Sprintf("c%d", i%7), Text: text(i), ReceivedAt: time.Now().UnixMilli()})
		if _, err := js.Publish(ctx, bus.InquirySubject, data, jetstream.WithMsgID(ids[i])); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

func eventually(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting until %s", what)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func options() IngestOptions {
	return IngestOptions{BatchSize: 16, BatchLinger: time.Millisecond, MaxAttempts: 3, AckWait: time.Second, MaxBackoff: 50 * time.Millisecond}
}

// run starts s and returns a function that stops it and waits for the drain.
func run(t *testing.T, ctx context.Context, s *Ingest) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func count(t *testing.T, ctx context.Context, db *storage.Storage) int64 {
	n, err := db.InquiryCount(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A worker that dies between commit and ack stores nothing twice: the
// next worker gets the redelivery and the insert skips what is there.
func TestIngestCrashBetweenCommitAndAck(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	b := bustest.Embedded(t)
	db := openStorage(t)
	dead := bus.NewDeadLetters(b.JetStream)
	ids := publish(t, ctx, b.JetStream, 40, func(i int) string { return fmt.Sprintf("접속이 안 돼요 %d", i) })

	var committed atomic.Int64
	crashing := NewIngest(b.JetStream, db, triage.NewClusterer(triage.DefaultOptions()), dead, options(), slog.New(slog.DiscardHandler), nil)
	crashing.afterCommit = func(n int) bool { committed.Add(int64(n)); return false }
	stop := run(t, ctx, crashing)
	eventually(t, ctx, "the crashing worker committed everything", func() bool { return committed.Load() == int64(len(ids)) })
	stop()
	if got := count(t, ctx, db); got != int64(len(ids)) {
		t.Fatalf("stored %d before the crash, want %d", got, len(ids))
	}
	if p, _ := bus.Pending(ctx, b.JetStream); p != uint64(len(ids)) {
		t.Fatalf("pending after crash = %d, want %d unacknowledged", p, len(ids))
	}

	reg := prometheus.NewRegistry()
	nextClusters := triage.NewClusterer(triage.DefaultOptions())
	next := NewIngest(b.JetStream, db, nextClusters, dead, options(), slog.New(slog.DiscardHandler), reg)
	run(t, ctx, next)
	eventually(t, ctx, "the redeliveries were acknowledged", func() bool {
		p, err := bus.Pending(ctx, b.JetStream)
		return err == nil && p == 0
	})
	if got := count(t, ctx, db); got != int64(len(ids)) {
		t.Errorf("stored %d after redelivery, want %d", got, len(ids))
	}
	if r := testutil.ToFloat64(next.metrics.redeliv); r != float64(len(ids)) {
		t.Errorf("redelivered = %v, want %d (the test did not exercise redelivery)", r, len(ids))
	}
	if s := testutil.ToFloat64(next.metrics.stored); s != 0 {
		t.Errorf("the second worker stored %v new rows, want 0", s)
	}
	// The redeliveries were recognised as stored, not clustered again.
	if open := nextClusters.Open(time.Now()); len(open) != 0 {
		t.Errorf("the second worker clustered %d redelivered inquiries again", len(open))
	}
}

// flaky fails every inquiry whose text contains "poison", or everything
// while down is set (with Ping failing too, like a dead database).
type flaky struct {
	*storage.Storage
	poison atomic.Bool
	down   atomic.Bool
	calls  atomic.Int64
}

func (f *flaky) StoreInquiries(ctx context.Context, batch []storage.Inquiry, clusters []storage.Cluster) (map[string]bool, error) {
	f.calls.Add(1)
	if f.down.Load() {
		return nil, errors.New("connection refused")
	}
	for _, in := range batch {
		if f.poison.Load() && strings.Contains(in.Text, "poison") {
			return nil, errors.New("constraint violated")
		}
	}
	return f.Storage.StoreInquiries(ctx, batch, clusters)
}

func (f *flaky) Ping(ctx context.Context) error {
	if f.down.Load() {
		return errors.New("connection refused")
	}
	return f.Storage.Ping(ctx)
}

func TestIngestDeadLettersAfterMaxAttemptsAndReplays(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	b := bustest.Embedded(t)
	db := &flaky{Storage: openStorage(t)}
	db.poison.Store(true)
	dead := bus.NewDeadLetters(b.JetStream)
	ids := publish(t, ctx, b.JetStream, 10, func(i int) string {
		if i == 4 {
			return "poison pill"
		}
		return "환불 언제 되나요"
	})
	run(t, ctx, NewIngest(b.JetStream, db, triage.NewClusterer(triage.DefaultOptions()), dead, options(), slog.New(slog.DiscardHandler), nil))
	eventually(t, ctx, "one dead letter", func() bool { n, _ := dead.Count(ctx); return n == 1 })
	eventually(t, ctx, "the rest stored", func() bool { return count(t, ctx, db.Storage) == int64(len(ids)-1) })

	list, _, err := dead.List(ctx, 0, 10)
	if err != nil || len(list) != 1 {
		t.Fatalf("List = %v, %v", list, err)
	}
	dl := list[0]
	if dl.Attempts != options().MaxAttempts || !strings.Contains(dl.Error, "constraint violated") || !strings.Contains(string(dl.Data), ids[4]) {
		t.Errorf("dead letter = attempts %d, error %q, data %s", dl.Attempts, dl.Error, dl.Data)
	}
	if _, err := db.Inquiry(ctx, ids[4]); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("the poison inquiry was stored: %v", err)
	}

	db.poison.Store(false) // the fix is deployed
	n, err := dead.Replay(ctx)
	if err != nil || n != 1 {
		t.Fatalf("Replay = %d, %v", n, err)
	}
	eventually(t, ctx, "the replayed inquiry stored", func() bool { return count(t, ctx, db.Storage) == int64(len(ids)) })
	if n, _ := dead.Count(ctx); n != 0 {
		t.Errorf("dead letters after replay = %d", n)
	}
	if _, err := db.Inquiry(ctx, ids[4]); err != nil {
		t.Errorf("replayed inquiry: %v", err)
	}
}

// A database outage is not the messages' fault: nothing is dead-lettered,
// and everything is stored once the database is back.
func TestIngestDatabaseDownDoesNotDeadLetter(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	b := bustest.Embedded(t)
	db := &flaky{Storage: openStorage(t)}
	db.down.Store(true)
	dead := bus.NewDeadLetters(b.JetStream)
	ids := publish(t, ctx, b.JetStream, 5, func(int) string { return "app won't open" })
	w := NewIngest(b.JetStream, db, triage.NewClusterer(triage.DefaultOptions()), dead, options(), slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	run(t, ctx, w)
	// More failed attempts than MaxAttempts allows.
	eventually(t, ctx, "several failed attempts", func() bool { return db.calls.Load() > int64(options().MaxAttempts)+1 })
	if n, _ := dead.Count(ctx); n != 0 {
		t.Fatalf("dead-lettered %d during a database outage", n)
	}
	db.down.Store(false)
	eventually(t, ctx, "everything stored after recovery", func() bool { return count(t, ctx, db.Storage) == int64(len(ids)) })
	eventually(t, ctx, "all acknowledged", func() bool { p, _ := bus.Pending(ctx, b.JetStream); return p == 0 })
	// The batch was held, not handed back: no delivery was spent on the outage.
	if r := testutil.ToFloat64(w.metrics.redeliv); r != 0 {
		t.Errorf("%v redeliveries during the outage, want 0", r)
	}
}

func TestIngestDeadLettersUndecodableAtOnce(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	b := bustest.Embedded(t)
	db := openStorage(t)
	dead := bus.NewDeadLetters(b.JetStream)
	for i, body := range []string{"{not json", `{"id":"","source":"web"}`} {
		if _, err := b.JetStream.PublishMsg(ctx, &nats.Msg{Subject: bus.InquirySubject, Data: []byte(body)}, jetstream.WithMsgID(fmt.Sprint("bad", i))); err != nil {
			t.Fatal(err)
		}
	}
	publish(t, ctx, b.JetStream, 3, func(int) string { return "ok" })
	run(t, ctx, NewIngest(b.JetStream, db, triage.NewClusterer(triage.DefaultOptions()), dead, options(), slog.New(slog.DiscardHandler), nil))
	eventually(t, ctx, "two dead letters", func() bool { n, _ := dead.Count(ctx); return n == 2 })
	eventually(t, ctx, "the good ones stored", func() bool { return count(t, ctx, db) == 3 })
	list, _, _ := dead.List(ctx, 0, 10)
	for _, dl := range list {
		if dl.Attempts != 1 {
			t.Errorf("undecodable message retried: attempts = %d", dl.Attempts)
		}
	}
}

// A consumer deleted under a running worker (by hand, or lost with a NATS
// node) is created again: the worker keeps storing instead of accepting
// what it would never store.
func TestIngestRecreatesDeletedConsumer(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	b := bustest.Embedded(t)
	db := openStorage(t)
	opts := options()
	opts.BatchSize = 100
	w := NewIngest(b.JetStream, db, triage.NewClusterer(triage.DefaultOptions()), bus.NewDeadLetters(b.JetStream), opts, slog.New(slog.DiscardHandler), nil)
	done := make(chan error, 1)
	wctx, stop := context.WithCancel(ctx)
	go func() { done <- w.Run(wctx) }()
	t.Cleanup(func() { stop(); <-done })
	eventually(t, ctx, "the consumer exists", func() bool {
		_, err := b.JetStream.Consumer(ctx, bus.InquiryStream, bus.InquiryConsumer)
		return err == nil
	})
	if err := b.JetStream.DeleteConsumer(ctx, bus.InquiryStream, bus.InquiryConsumer); err != nil {
		t.Fatal(err)
	}
	publish(t, ctx, b.JetStream, 3, func(i int) string { return fmt.Sprintf("로그인이 안 돼요 %d", i) })
	for count(t, ctx, db) != 3 {
		select {
		case err := <-done:
			t.Fatalf("Run returned without its consumer: %v", err)
		case <-ctx.Done():
			t.Fatal("nothing stored after the consumer was deleted")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// The ingest worker marks a member that mentions money, fraud, hacking or
// privacy, so its cluster is urgent in SQL whatever its representative and
// newest members say: the queue ranks without reading members.
func TestIngestMarksUrgentClusters(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	b := bustest.Embedded(t)
	db := openStorage(t)
	texts := []string{"앱이 너무 느려요", "앱이 너무 느려요 ㅠㅠ", "앱이 너무 느려요 해킹당한 건가요", "앱이 너무 느려요!!", "앱이 너무 느려요 왜죠",
		"배송 조회가 안 돼요"}
	all := publish(t, ctx, b.JetStream, len(texts), func(i int) string { return texts[i] })
	ids, plain := all[:5], all[5]
	in := NewIngest(b.JetStream, db, triage.NewClusterer(triage.DefaultOptions()), bus.NewDeadLetters(b.JetStream), options(), slog.New(slog.DiscardHandler), nil)
	run(t, ctx, in)
	eventually(t, ctx, "everything stored", func() bool { return count(t, ctx, db) == int64(len(texts)) })
	urgent := map[string]bool{}
	for _, id := range ids {
		row, err := db.Inquiry(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		c, err := db.Cluster(ctx, row.ClusterID)
		if err != nil {
			t.Fatal(err)
		}
		urgent[c.ID] = c.Urgent
		if !c.Urgent {
			t.Errorf("%q is in cluster %s (representative %q), which is not urgent", row.Text, c.ID, c.Representative)
		}
		if triage.Urgent(c.Representative) {
			t.Fatalf("representative %q is itself urgent: the test shows nothing", c.Representative)
		}
	}
	if len(urgent) != 1 {
		t.Fatalf("the five texts landed in %d clusters, want one", len(urgent))
	}
	row, err := db.Inquiry(ctx, plain)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := db.Cluster(ctx, row.ClusterID); err != nil || c.Urgent || urgent[c.ID] {
		t.Errorf("cluster %s of %q: urgent %v, %v; want a cluster of its own, not urgent", c.ID, row.Text, c.Urgent, err)
	}
}

// Inquiries arriving while a commit runs wait for it and go into one
// batch, not one small commit each: fewer, larger commits under a light
// load, as with a single stage.
func TestIngestBatchesGrowWhileACommitRuns(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	b := bustest.Embedded(t)
	db := openStorage(t)
	release := make(chan struct{})
	var sizes []int
	var mu sync.Mutex
	opts := options()
	opts.BatchSize = 100
	w := NewIngest(b.JetStream, db, triage.NewClusterer(triage.DefaultOptions()), bus.NewDeadLetters(b.JetStream), opts, slog.New(slog.DiscardHandler), nil)
	w.afterCommit = func(n int) bool {
		mu.Lock()
		sizes = append(sizes, n)
		first := len(sizes) == 1
		mu.Unlock()
		if first {
			<-release // the first commit is slow
		}
		return true
	}
	run(t, ctx, w)
	send := func(i int) {
		data, _ := json.Marshal(bus.Inquiry{ID: fmt.Sprintf("iq_trickle_%04d", i), Source: "web", CustomerID: fmt.Sprintf("c%d", i),
			Text: fmt.Sprintf("결제가 안 돼요 %d", i), ReceivedAt: time.Now().UnixMilli()})
		if _, err := b.JetStream.Publish(ctx, bus.InquirySubject, data); err != nil {
			t.Fatal(err)
		}
	}
	send(0)
	eventually(t, ctx, "the first commit", func() bool { mu.Lock(); defer mu.Unlock(); return len(sizes) == 1 })
	const more = 30
	for i := range more {
		send(1 + i)
		time.Sleep(5 * time.Millisecond) // a trickle, slower than the batch linger
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	eventually(t, ctx, "everything stored", func() bool { return count(t, ctx, db) == 1+more })
	mu.Lock()
	defer mu.Unlock()
	if len(sizes) > 3 {
		t.Errorf("%d inquiries arriving during one commit were stored in %d commits (%v), want them together", more, len(sizes)-1, sizes)
	}
}
