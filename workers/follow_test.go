package workers

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/surgedesk/surgedesk/bus"
	"github.com/surgedesk/surgedesk/bus/bustest"
	"github.com/surgedesk/surgedesk/storage"
	"github.com/surgedesk/surgedesk/triage"
)

// recording is a clusterer that logs the calls start-up makes.
type recording struct {
	*triage.Clusterer
	mu    sync.Mutex
	calls []string
}

func (r *recording) note(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, s)
}

func (r *recording) log() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

func (r *recording) Restore(cl triage.Cluster, members []triage.Item) {
	r.note("restore " + cl.ID)
	r.Clusterer.Restore(cl, members)
}

func (r *recording) Add(id string, it triage.Item) {
	r.note("add " + id + " " + it.ID)
	r.Clusterer.Add(id, it)
}

// announcingSource is SQL as seen by a starting instance while another
// instance stores an inquiry: the announcement goes out between the read
// of the open clusters and their restore.
type announcingSource struct {
	clusterSource
	during func()
}

func (s announcingSource) OpenClusters(ctx context.Context, since int64, limit int) ([]storage.Cluster, error) {
	open, err := s.clusterSource.OpenClusters(ctx, since, limit)
	s.during()
	return open, err
}

// An assignment another instance announces while this one restores is
// applied after the restore, not lost and not overwritten by it.
func TestRestoreAndFollowHoldsAnnouncements(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	b := bustest.Embedded(t)
	db := openStorage(t)
	start := time.Now().Add(-time.Minute)
	other := triage.NewClusterer(triage.DefaultOptions())
	first := storage.Inquiry{ID: "iq_1", Source: "web", CustomerID: "c1", Text: "앱 로그인이 안 돼요",
		State: storage.StateStored, ReceivedAt: start.UnixMilli(), Metadata: "{}"}
	login := other.Assign(first.Item()).ClusterID
	first.ClusterID = login
	if _, err := db.StoreInquiries(ctx, []storage.Inquiry{first}, nil); err != nil {
		t.Fatal(err)
	}
	late := storage.Inquiry{ID: "iq_2", Source: "web", CustomerID: "c2", Text: "앱 로그인 안됩니다",
		State: storage.StateStored, ReceivedAt: start.Add(time.Second).UnixMilli(), Metadata: "{}", ClusterID: login}

	pub, err := b.Connect("other-instance")
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	src := announcingSource{clusterSource: db, during: func() {
		if err := announceChange(pub, announcement{Origin: "other", Members: []member{toMember(login, late)}}); err != nil {
			t.Error(err)
		}
		if err := pub.Flush(); err != nil {
			t.Error(err)
		}
	}}
	c := &recording{Clusterer: triage.NewClusterer(triage.DefaultOptions())}
	n, sub, err := RestoreAndFollowClusters(ctx, src, b.Conn, "this", c, time.Now(), time.Hour, 32, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil || n != 1 {
		t.Fatalf("RestoreAndFollowClusters = %d, %v; want 1 cluster", n, err)
	}
	defer sub.Unsubscribe()
	eventually(t, ctx, "the announced member is added", func() bool { return len(c.log()) == 2 })
	if got, want := c.log(), []string{"restore " + login, "add " + login + " iq_2"}; !slices.Equal(got, want) {
		t.Fatalf("calls = %q, want %q (the restore must not overwrite an announcement)", got, want)
	}
	if got, ok := c.Cluster(login); !ok || got.Count != 2 {
		t.Fatalf("cluster %s = %+v, %v; want both members", login, got, ok)
	}
}

// announcingProblems is SQL as seen by a starting instance while an agent
// on another instance moves a cluster: the news goes out between the read
// of the open clusters and the restore.
type announcingProblems struct {
	problemSource
	during func()
}

func (s announcingProblems) OpenClusters(ctx context.Context, since int64, limit int) ([]storage.Cluster, error) {
	open, err := s.problemSource.OpenClusters(ctx, since, limit)
	s.during()
	return open, err
}

// An agent's move another instance announces while this one restores its
// problems is applied after the restore: not lost (as when subscribing
// after the restore) and not overwritten by the older placement the
// restore read from SQL (as when applying it at once).
func TestRestoreAndFollowProblemsHoldsAnnouncements(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	b := bustest.Embedded(t)
	db := openStorage(t)
	a := &Ingest{js: b.JetStream, clusters: triage.NewClusterer(triage.DefaultOptions()), opts: IngestOptions{Instance: "a"}}
	a.GroupProblems(triage.NewGrouper(triage.DefaultProblemOptions()))
	rows := []storage.Inquiry{{ID: "iq_1", Source: "web", CustomerID: "c1", Text: "앱 로그인이 안 돼요",
		State: storage.StateStored, ReceivedAt: time.Now().Add(-time.Minute).UnixMilli(), Metadata: "{}"}}
	clusters := a.assign(rows)
	if _, err := db.StoreInquiries(ctx, rows, clusters); err != nil {
		t.Fatal(err)
	}
	login, stored := rows[0].ClusterID, rows[0].ProblemID
	if stored == "" {
		t.Fatal("the stored cluster has no problem")
	}

	pub, err := b.Connect("other-instance")
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	const moved = "problem-the-agent-chose"
	src := announcingProblems{problemSource: db, during: func() {
		if err := AnnounceProblemMove(pub, "other", login, moved); err != nil {
			t.Error(err)
		}
		if err := pub.Flush(); err != nil {
			t.Error(err)
		}
		time.Sleep(50 * time.Millisecond) // let the news arrive during the restore
	}}
	g := triage.NewGrouper(triage.DefaultProblemOptions())
	n, sub, err := RestoreAndFollowProblems(ctx, src, b.Conn, "this", g, time.Now(), time.Hour, 32, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil || n != 1 {
		t.Fatalf("RestoreAndFollowProblems = %d, %v; want 1 cluster", n, err)
	}
	defer sub.Unsubscribe()
	eventually(t, ctx, "the announced move is applied", func() bool { return g.ProblemOf(login) == moved })
	time.Sleep(50 * time.Millisecond)
	if got := g.ProblemOf(login); got != moved {
		t.Fatalf("cluster in %q after the restore, want the agent's %q (stored: %q)", got, moved, stored)
	}
}

// A batch whose members' texts outgrow the server's max payload (300 of 8
// KiB against the embedded server's 1 MiB) reaches the other instances
// whole, in several announcements.
func TestAnnounceBatchLargerThanMaxPayload(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	b := bustest.Embedded(t)
	follower := following(t, b.Conn)
	s := NewIngest(b.JetStream, openStorage(t), triage.NewClusterer(triage.DefaultOptions()), nil, IngestOptions{Instance: "storer"},
		slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	const n = 300
	long := strings.Repeat("앱 접속이 안 돼요 ", 8<<10/len("앱 접속이 안 돼요 "))
	rows := make([]storage.Inquiry, n)
	inserted := map[string]bool{}
	for i := range rows {
		rows[i] = storage.Inquiry{ID: fmt.Sprintf("iq_%03d", i), Source: "web", CustomerID: "c", Text: long, ClusterID: "cl_long", ReceivedAt: time.Now().UnixMilli()}
		inserted[rows[i].ID] = true
	}
	if size := n * len(long); int64(size) <= b.Conn.MaxPayload() {
		t.Fatalf("the batch's texts (%d bytes) fit the max payload (%d): the test proves nothing", size, b.Conn.MaxPayload())
	}
	s.announce(rows, inserted)
	eventually(t, ctx, "every member reaches the follower", func() bool {
		got, ok := follower.Cluster("cl_long")
		return ok && got.Count == n
	})
	if adds := len(follower.log()); adds != n {
		t.Fatalf("%d members added, want each of the %d once", adds, n)
	}
}

// An agent's split of 500 members of 8 KiB (4 MiB of text) reaches the
// other instances whole, in one announcement with each text cut short.
func TestAnnounceSplitLargerThanMaxPayload(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	b := bustest.Embedded(t)
	follower := following(t, b.Conn)
	long := strings.Repeat("결제가 두 번 됐어요 ", 8<<10/len("결제가 두 번 됐어요 "))
	moved := make([]storage.Inquiry, 500)
	for i := range moved {
		moved[i] = storage.Inquiry{ID: fmt.Sprintf("iq_%03d", i), Source: "web", CustomerID: fmt.Sprintf("c%d", i), Text: long, ReceivedAt: time.Now().UnixMilli()}
	}
	kept := []storage.Inquiry{{ID: "iq_kept", Source: "web", CustomerID: "k", Text: "앱 접속이 안 돼요", ReceivedAt: time.Now().UnixMilli()}}
	if err := AnnounceSplit(pub(t, b), "agent-instance", "cl_from", "cl_to", moved, kept); err != nil {
		t.Fatalf("AnnounceSplit: %v", err)
	}
	eventually(t, ctx, "the split reaches the follower", func() bool {
		got, ok := follower.Cluster("cl_to")
		return ok && got.Count == len(moved)
	})
}

// following is another instance's clusterer, following the announcements
// once the server has its subscription.
func following(t *testing.T, nc *nats.Conn) *recording {
	t.Helper()
	follower := &recording{Clusterer: triage.NewClusterer(triage.DefaultOptions())}
	sub, err := FollowClusters(nc, "follower", follower, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return follower
}

// pub is a connection of another instance's.
func pub(t *testing.T, b *bus.Bus) *nats.Conn {
	t.Helper()
	nc, err := b.Connect("other-instance")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// An instance skips its own announcements unread: they hold nothing for
// it, unless they close clusters, which every instance applies.
func TestOwnAnnouncementsSkippedUnread(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	b := bustest.Embedded(t)
	var logged syncBuffer
	self := &recording{Clusterer: triage.NewClusterer(triage.DefaultOptions())}
	sub, err := FollowClusters(b.Conn, "self", self, slog.New(slog.NewTextHandler(&logged, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	if err := b.Conn.Flush(); err != nil {
		t.Fatal(err)
	}
	other := pub(t, b)
	for _, origin := range []string{"self", "other"} {
		msg := &nats.Msg{Subject: bus.AssignedSubject, Data: []byte("not json from " + origin), Header: nats.Header{originHeader: []string{origin}}}
		if err := other.PublishMsg(msg); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, ctx, "the other instance's undecodable announcement is reported", func() bool { return strings.Contains(logged.String(), "undecodable") })
	if n := strings.Count(logged.String(), "undecodable"); n != 1 {
		t.Fatalf("%d undecodable announcements reported, want only the other instance's: %s", n, logged.String())
	}

	// Its own closing of a cluster is applied, its own members are not
	// announced to it again.
	it := triage.Item{ID: "iq_1", CustomerID: "c", Text: "앱 접속이 안 돼요", At: time.Now()}
	id := self.Assign(it).ClusterID
	if err := publishAnnouncement(other, "cluster", announcement{Origin: "self", Members: []member{{ClusterID: id, ID: "iq_2", Customer: "c2", Text: it.Text, At: it.At.UnixMilli()}}}); err != nil {
		t.Fatal(err)
	}
	if err := AnnounceClosed(other, []string{id}); err != nil {
		t.Fatal(err)
	}
	eventually(t, ctx, "its own closing reaches it", func() bool { _, open := self.Cluster(id); return !open })
	if calls := self.log(); len(calls) != 0 {
		t.Fatalf("its own announcement was applied: %q", calls)
	}
}

// syncBuffer is a log destination the subscription's goroutine writes to.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
