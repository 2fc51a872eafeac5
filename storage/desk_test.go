package storage_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/kb"
	"github.com/surgedesk/surgedesk/storage"
	"github.com/surgedesk/surgedesk/storage/storagetest"
)

// member stores one inquiry of customer in cluster, with a reply channel.
func member(t *testing.T, ctx context.Context, s *storage.Storage, cluster, id, customer string, at int64) {
	t.Helper()
	in := inquiry(id, "", "환불은 언제 되나요")
	in.ClusterID, in.CustomerID, in.ReceivedAt, in.ReplyURL = cluster, customer, at, "https://gw.example/"+id
	if _, err := s.StoreInquiries(ctx, []storage.Inquiry{in}, []storage.Cluster{{ID: cluster, Representative: in.Text}}); err != nil {
		t.Fatal(err)
	}
}

func auditCount(t *testing.T, ctx context.Context, s *storage.Storage, subject, action string) int {
	t.Helper()
	entries, err := s.AuditEntries(ctx, subject, 100)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if e.Action == action {
			n++
		}
	}
	return n
}

// While an agent's claim is live, nobody else replies, resolves or links;
// a manager's takeover moves the claim, audited; repeating a resolve or a
// link changes nothing and audits nothing.
func TestClaimsHold(t *testing.T) {
	t.Parallel()
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)
			now := time.Now().UnixMilli()
			member(t, ctx, s, "cl-1", "a", "kim", now)
			if _, err := s.CreateIncident(ctx, "boss", kb.Incident{ID: "inc-1", TitleKO: "환불 지연", Severity: kb.Major}); err != nil {
				t.Fatal(err)
			}
			if err := s.ClaimCluster(ctx, "kim", "cl-1", now, now+600_000); err != nil {
				t.Fatal(err)
			}
			var held *storage.ClaimedError
			if _, err := s.ReplyToCluster(ctx, "lee", "cl-1", "3일 안에 환불됩니다"); !errors.As(err, &held) || held.Holder != "kim" {
				t.Errorf("lee's reply = %v, want ClaimedError naming kim", err)
			}
			if err := s.ResolveCluster(ctx, "lee", "cl-1"); !errors.Is(err, storage.ErrClaimed) {
				t.Errorf("lee's resolve = %v, want ErrClaimed", err)
			}
			if err := s.LinkCluster(ctx, "lee", "cl-1", "inc-1"); !errors.Is(err, storage.ErrClaimed) {
				t.Errorf("lee's link = %v, want ErrClaimed", err)
			}
			if c, _ := s.Cluster(ctx, "cl-1"); c.Status != storage.ClusterOpen || c.IncidentID != "" {
				t.Fatalf("refused actions changed the cluster: %+v", c)
			}
			prev, err := s.TakeOverCluster(ctx, "boss", "cl-1", now, now+600_000)
			if err != nil || prev != "kim" {
				t.Fatalf("takeover = %q, %v; want from kim", prev, err)
			}
			if err := s.ResolveCluster(ctx, "kim", "cl-1"); !errors.Is(err, storage.ErrClaimed) {
				t.Errorf("kim's resolve after the takeover = %v, want ErrClaimed", err)
			}
			for range 2 {
				if err := s.LinkCluster(ctx, "boss", "cl-1", "inc-1"); err != nil {
					t.Fatal(err)
				}
				if err := s.ResolveCluster(ctx, "boss", "cl-1"); err != nil {
					t.Fatal(err)
				}
			}
			for action, want := range map[string]int{"cluster.takeover": 1, "cluster.link": 1, "cluster.resolve": 1} {
				if n := auditCount(t, ctx, s, "cluster:cl-1", action); n != want {
					t.Errorf("%s audited %d times, want %d", action, n, want)
				}
			}
		})
	}
}

// A reply goes once to each distinct customer, to their latest inquiry;
// a customer writing again later gets nothing more, a new one gets it once.
func TestReplyOncePerCustomer(t *testing.T) {
	t.Parallel()
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)
			now := time.Now().UnixMilli()
			for i, id := range []string{"k1", "k2", "k3"} { // kim writes three times
				member(t, ctx, s, "cl-r", id, "kim", now+int64(i))
			}
			member(t, ctx, s, "cl-r", "l1", "lee", now)
			queued, err := s.ReplyToCluster(ctx, "agent", "cl-r", "3일 안에 환불됩니다")
			if err != nil || queued != 2 {
				t.Fatalf("reply queued %d, %v; want 2 (kim once, lee)", queued, err)
			}
			// A late joiner and kim again, as the store worker queues them.
			member(t, ctx, s, "cl-r", "p1", "park", now+10)
			member(t, ctx, s, "cl-r", "k4", "kim", now+11)
			replies, err := s.ClusterReplies(ctx, []string{"cl-r"})
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range []string{"p1", "k4"} {
				in, err := s.Inquiry(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := s.EnqueueDeliveries(ctx, []storage.Delivery{replies["cl-r"].Delivery(in)}); err != nil {
					t.Fatal(err)
				}
			}
			_, ds, err := s.ClusterReply(ctx, "cl-r")
			if err != nil {
				t.Fatal(err)
			}
			to := map[string]string{}
			for _, d := range ds {
				if prev, dup := to[d.CustomerKey]; dup {
					t.Errorf("%s got the reply twice (%s and %s)", d.CustomerKey, prev, d.InquiryID)
				}
				to[d.CustomerKey] = d.InquiryID
			}
			want := map[string]string{"web:kim": "k3", "web:lee": "l1", "web:park": "p1"}
			if fmt.Sprint(to) != fmt.Sprint(want) {
				t.Errorf("reply went to %v, want %v", to, want)
			}
		})
	}
}

// An open alert resolves when its cluster is linked, resolved, merged
// away, closed with its incident, or idle; a decided one stays decided.
func TestAlertsFollowTheirCluster(t *testing.T) {
	t.Parallel()
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)
			now := time.Now().UnixMilli()
			for _, c := range []string{"linked", "resolved", "merged", "into", "incident", "idle", "busy", "dismissed"} {
				at := now
				if c == "idle" {
					at = now - 7*3600_000
				}
				member(t, ctx, s, c, c+"-1", "kim", at)
				if _, err := s.RaiseAlert(ctx, storage.Alert{ClusterID: c, RaisedAt: at, PerMinute: 20, Inquiries: 1, Customers: 1}); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := s.CreateIncident(ctx, "boss", kb.Incident{ID: "inc-a", TitleKO: "결제 장애", Severity: kb.Major}); err != nil {
				t.Fatal(err)
			}
			if err := s.DecideAlert(ctx, "lee", "dismissed", storage.AlertOpen, storage.AlertDismissed, "", now); err != nil {
				t.Fatal(err)
			}
			steps := []func() error{
				func() error { return s.LinkCluster(ctx, "lee", "linked", "inc-a") },
				func() error { return s.ResolveCluster(ctx, "lee", "resolved") },
				func() error { _, _, err := s.MergeCluster(ctx, "lee", "merged", "into", now); return err },
				func() error { return s.LinkCluster(ctx, "lee", "incident", "inc-a") },
				func() error { _, err := s.CloseClustersOfIncident(ctx, "inc-a"); return err },
				func() error { _, err := s.ResolveIdleAlerts(ctx, now-6*3600_000, now); return err },
				func() error { return s.ResolveCluster(ctx, "lee", "dismissed") },
			}
			for i, step := range steps {
				if err := step(); err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
			}
			for c, want := range map[string]string{"linked": storage.AlertResolved, "resolved": storage.AlertResolved,
				"merged": storage.AlertResolved, "into": storage.AlertOpen, "incident": storage.AlertResolved,
				"idle": storage.AlertResolved, "busy": storage.AlertOpen, "dismissed": storage.AlertDismissed} {
				if a, err := s.Alert(ctx, c); err != nil || a.Status != want {
					t.Errorf("alert of %s = %q, %v; want %s", c, a.Status, err, want)
				}
			}
			if a, _ := s.Alert(ctx, "linked"); a.IncidentID != "inc-a" || a.DecidedBy != "lee" {
				t.Errorf("linked alert = %+v, want resolved by lee with inc-a", a)
			}
			if n := auditCount(t, ctx, s, "alert:idle", "alert.resolved"); n != 1 {
				t.Errorf("idle alert's resolve audited %d times, want 1", n)
			}
		})
	}
}

// Paging through 1,000 open clusters returns each exactly once.
func TestOpenClustersPageEachOnce(t *testing.T) {
	t.Parallel()
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)
			now := time.Now().UnixMilli()
			var batch []storage.Inquiry
			var clusters []storage.Cluster
			for c := range 1000 {
				id := fmt.Sprintf("cl-%04d", c)
				// Few distinct sizes and times: most keys tie on both, so
				// the id decides.
				for i := range 1 + c%3 {
					in := inquiry(fmt.Sprintf("%s-%d", id, i), "", "앱 접속이 안 돼요")
					in.ClusterID, in.ReceivedAt = id, now-int64(c%2)
					batch = append(batch, in)
				}
				clusters = append(clusters, storage.Cluster{ID: id, Representative: "앱 접속이 안 돼요"})
			}
			if _, err := s.StoreInquiries(ctx, batch, clusters); err != nil {
				t.Fatal(err)
			}
			seen := map[string]int{}
			var after *storage.ClusterKey
			for pages := 0; ; pages++ {
				list, total, err := s.OpenClustersPage(ctx, now-3600_000, after, 37)
				if err != nil || total != 1000 {
					t.Fatalf("page %d: total %d, %v", pages, total, err)
				}
				for _, c := range list {
					seen[c.ID]++
				}
				if len(list) < 37 {
					break
				}
				k := list[len(list)-1].Key()
				after = &k
			}
			if len(seen) != 1000 {
				t.Errorf("saw %d distinct clusters, want 1000", len(seen))
			}
			for id, n := range seen {
				if n != 1 {
					t.Errorf("%s seen %d times", id, n)
				}
			}
		})
	}
}

// Two agents racing on claim, reply and resolve: exactly one wins each,
// the other is refused, and the reply is queued once per customer.
func TestAgentsRaceInSQL(t *testing.T) {
	t.Parallel()
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)
			now := time.Now().UnixMilli()
			for i, c := range []string{"kim", "kim", "lee"} {
				member(t, ctx, s, "cl-a", fmt.Sprintf("a%d", i), c, now+int64(i))
				member(t, ctx, s, "cl-b", fmt.Sprintf("b%d", i), c, now+int64(i))
			}
			race := func(act func(agent string) error) []error {
				errs := make([]error, 2)
				done := make(chan struct{})
				for i, agent := range []string{"kim.agent", "lee.agent"} {
					go func() { errs[i] = act(agent); done <- struct{}{} }()
				}
				<-done
				<-done
				return errs
			}
			oneWins := func(what string, errs []error, lost error) {
				t.Helper()
				won := 0
				for _, err := range errs {
					switch {
					case err == nil:
						won++
					case !errors.Is(err, lost):
						t.Errorf("%s: %v, want nil or %v", what, err, lost)
					}
				}
				if won != 1 {
					t.Errorf("%s: %d won (%v), want exactly one", what, won, errs)
				}
			}
			oneWins("claim", race(func(a string) error { return s.ClaimCluster(ctx, a, "cl-a", now, now+600_000) }), storage.ErrClaimed)
			oneWins("reply", race(func(a string) error { _, err := s.ReplyToCluster(ctx, a, "cl-b", "곧 처리됩니다"); return err }), storage.ErrExists)
			if _, ds, err := s.ClusterReply(ctx, "cl-b"); err != nil || len(ds) != 2 {
				t.Errorf("deliveries of the raced reply = %d, %v; want 2 (one per customer)", len(ds), err)
			}
			c, _ := s.Cluster(ctx, "cl-a")
			// Both resolve: the holder's resolve is the one done; the other
			// is refused while the claim holds, or finds the cluster closed
			// already (idempotent: 200, nothing audited).
			errs := race(func(a string) error { return s.ResolveCluster(ctx, a, "cl-a") })
			for i, a := range []string{"kim.agent", "lee.agent"} {
				if a == c.ClaimedBy && errs[i] != nil || a != c.ClaimedBy && errs[i] != nil && !errors.Is(errs[i], storage.ErrClaimed) {
					t.Errorf("resolve by %s (holder %s) = %v", a, c.ClaimedBy, errs[i])
				}
			}
			entries, _ := s.AuditEntries(ctx, "cluster:cl-a", 20)
			for _, e := range entries {
				if e.Action == "cluster.resolve" && e.Actor != c.ClaimedBy {
					t.Errorf("resolve audited for %s, not the holder %s", e.Actor, c.ClaimedBy)
				}
			}
			if n := auditCount(t, ctx, s, "cluster:cl-a", "cluster.resolve"); n != 1 {
				t.Errorf("resolve audited %d times, want 1", n)
			}
		})
	}
}
