package storage_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/storage"
	"github.com/surgedesk/surgedesk/storage/storagetest"
)

func TestClaimResolveAudited(t *testing.T) {
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)
			in := inquiry("a", "", "환불 언제 되나요")
			in.ClusterID = "cl-1"
			if _, err := s.StoreInquiries(ctx, []storage.Inquiry{in}, nil); err != nil {
				t.Fatal(err)
			}
			steps := []struct {
				name, agent string
				now, until  int64
				want        error
			}{
				{"kim claims", "kim", 1000, 5000, nil},
				{"lee cannot while kim holds it", "lee", 2000, 6000, storage.ErrClaimed},
				{"kim renews", "kim", 3000, 9000, nil},
				{"lee takes it once it expired", "lee", 9001, 12000, nil},
			}
			for _, st := range steps {
				if err := s.ClaimCluster(ctx, st.agent, "cl-1", st.now, st.until); !errors.Is(err, st.want) {
					t.Fatalf("%s: err = %v, want %v", st.name, err, st.want)
				}
			}
			if c, _ := s.Cluster(ctx, "cl-1"); c.ClaimedBy != "lee" || c.ClaimedUntil != 12000 {
				t.Errorf("cluster = %+v", c)
			}
			if err := s.ClaimCluster(ctx, "kim", "cl-none", 1, 2); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("claim of an unknown cluster = %v", err)
			}
			if err := s.ResolveCluster(ctx, "lee", "cl-1"); err != nil {
				t.Fatal(err)
			}
			if err := s.ClaimCluster(ctx, "kim", "cl-1", 20000, 30000); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("claim of a resolved cluster = %v", err)
			}
			audit, err := s.AuditEntries(ctx, "cluster:cl-1", 10)
			if err != nil || len(audit) != 4 || audit[0].Action != "cluster.resolve" || audit[0].Actor != "lee" {
				t.Errorf("audit = %+v, %v; want 3 claims and the resolve", audit, err)
			}
		})
	}
}

func TestReplyToCluster(t *testing.T) {
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)
			member := func(id, customer, reply string) storage.Inquiry {
				in := inquiry(id, "", "환불 언제 되나요")
				in.CustomerID, in.ClusterID, in.ReplyURL = customer, "cl-r", reply
				return in
			}
			rows := []storage.Inquiry{member("a", "kim", "https://gw.example/kim"), member("b", "lee", "https://gw.example/lee"), member("c", "choi", "")}
			if _, err := s.StoreInquiries(ctx, rows, nil); err != nil {
				t.Fatal(err)
			}
			queued, err := s.ReplyToCluster(ctx, "agent", "cl-r", "3일 안에 환불됩니다")
			if err != nil || queued != 2 {
				t.Fatalf("ReplyToCluster = %d, %v; want 2 (choi has no channel)", queued, err)
			}
			if _, err := s.ReplyToCluster(ctx, "agent", "cl-r", "again"); !errors.Is(err, storage.ErrExists) {
				t.Errorf("second reply = %v, want ErrExists", err)
			}
			if _, err := s.ReplyToCluster(ctx, "agent", "cl-none", "x"); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("reply to an unknown cluster = %v", err)
			}
			replies, err := s.ClusterReplies(ctx, []string{"cl-r", "cl-none"})
			if err != nil || len(replies) != 1 || replies["cl-r"].By != "agent" {
				t.Fatalf("ClusterReplies = %+v, %v", replies, err)
			}
			// A late member queued through the reply's Delivery is kept to one.
			late := member("d", "park", "https://gw.example/park")
			for range 2 {
				if _, err := s.EnqueueDeliveries(ctx, []storage.Delivery{replies["cl-r"].Delivery(late)}); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := s.StoreInquiries(ctx, []storage.Inquiry{late}, nil); err != nil {
				t.Fatal(err)
			}
			r, ds, err := s.ClusterReply(ctx, "cl-r")
			if err != nil || r.Text != "3일 안에 환불됩니다" || len(ds) != 3 {
				t.Errorf("ClusterReply = %+v, %d deliveries, %v; want 3", r, len(ds), err)
			}
		})
	}
}

// TestQueueOrder checks the one queue order the API, the Slack board and
// the slash command share: open clusters only, by triage.Priority on
// signals counted in SQL, with the newest samples.
func TestQueueOrder(t *testing.T) {
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)
			now := time.UnixMilli(1_700_000_000_000)
			add := func(cluster string, n int, text string, age time.Duration) {
				var batch []storage.Inquiry
				for i := range n {
					in := inquiry(fmt.Sprintf("%s-%d", cluster, i), "", text)
					in.ClusterID, in.ReceivedAt = cluster, now.Add(-age).UnixMilli()+int64(i)
					batch = append(batch, in)
				}
				if _, err := s.StoreInquiries(ctx, batch, []storage.Cluster{{ID: cluster, Representative: text}}); err != nil {
					t.Fatal(err)
				}
			}
			add("growing", 6, "앱 접속이 안 돼요", 2*time.Minute)      // 6 customers in the last 5 minutes
			add("older", 6, "배송 조회가 안 돼요", 20*time.Minute)      // as many, but not growing
			add("money", 2, "이중결제 됐어요 환불해 주세요", 10*time.Minute) // small but urgent
			add("stale", 9, "공지 어디서 봐요", 48*time.Hour)          // idle past the window
			if err := s.ResolveCluster(ctx, "kim", "older"); err != nil {
				t.Fatal(err)
			}
			add("older2", 6, "배송 조회가 안 돼요 아직도", 20*time.Minute)

			q, err := s.Queue(ctx, now, 6*time.Hour, 3)
			if err != nil {
				t.Fatal(err)
			}
			var order []string
			for _, it := range q {
				order = append(order, it.ID)
			}
			if got, want := strings.Join(order, ","), "growing,money,older2"; got != want {
				t.Fatalf("queue order %s, want %s (resolved and idle clusters left out)", got, want)
			}
			g := q[0]
			if g.Last5m != 6 || g.Last15m != 6 || len(g.Samples) != 3 || g.Urgent || g.Priority <= q[2].Priority {
				t.Errorf("growing = last5 %d last15 %d samples %d urgent %v priority %v", g.Last5m, g.Last15m, len(g.Samples), g.Urgent, g.Priority)
			}
			if m := q[1]; !m.Urgent || m.Last5m != 0 || m.Last15m != 2 {
				t.Errorf("money = urgent %v last5 %d last15 %d", m.Urgent, m.Last5m, m.Last15m)
			}
		})
	}
}

// BenchmarkQueue reads the queue of 1,000 open clusters of 20 inquiries
// each, as the Slack board does every tick; ns/op is one whole read.
func BenchmarkQueue(b *testing.B) {
	for dialect, url := range storagetest.URLs(b) {
		b.Run(dialect, func(b *testing.B) {
			ctx := context.Background()
			s := storagetest.Open(b, url)
			now := time.Now()
			for c := range 1000 {
				var batch []storage.Inquiry
				for i := range 20 {
					in := inquiry(fmt.Sprintf("q%04d-%02d", c, i), "", "앱 접속이 안 돼요 결제도 안되고")
					in.ClusterID, in.ReceivedAt = fmt.Sprintf("cl-%04d", c), now.Add(-time.Duration(i)*time.Minute).UnixMilli()
					batch = append(batch, in)
				}
				if _, err := s.StoreInquiries(ctx, batch, []storage.Cluster{{ID: batch[0].ClusterID, Representative: batch[0].Text}}); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for b.Loop() {
				if q, err := s.Queue(ctx, now, 6*time.Hour, 3); err != nil || len(q) != 1000 {
					b.Fatalf("queue: %d items, %v", len(q), err)
				}
			}
		})
	}
}
