package desk_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/desk"
	"github.com/surgedesk/surgedesk/storage"
	"github.com/surgedesk/surgedesk/storage/storagetest"
)

func inquiry(id, text string) storage.Inquiry {
	return storage.Inquiry{ID: id, Source: "web", CustomerID: "c-" + id, Text: text,
		Locale: "ko", Metadata: "{}", State: storage.StateStored, ReceivedAt: 1_700_000_000_000, StoredAt: 1_700_000_000_100}
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
			d := desk.New(desk.Options{Store: s, IdleWindow: 6 * time.Hour, Now: func() time.Time { return now }})
			add := func(cluster string, n int, text string, age time.Duration) {
				var batch []storage.Inquiry
				for i := range n {
					in := inquiry(fmt.Sprintf("%s-%d", cluster, i), text)
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
			// Urgent by a member that is neither the representative nor
			// among the newest: the ingest worker marks it as it stores it.
			hacked := inquiry("quiet-0", "계정이 해킹당한 것 같아요")
			hacked.ClusterID, hacked.ReceivedAt, hacked.Urgent = "quiet", now.Add(-30*time.Minute).UnixMilli(), true
			if _, err := s.StoreInquiries(ctx, []storage.Inquiry{hacked}, []storage.Cluster{{ID: "quiet", Representative: "앱이 느려요"}}); err != nil {
				t.Fatal(err)
			}
			add("quiet", 4, "앱이 느려요", 20*time.Minute)

			q, err := d.Queue(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := d.Samples(ctx, q, 3); err != nil {
				t.Fatal(err)
			}
			var order []string
			for _, it := range q {
				order = append(order, it.ID)
			}
			if got, want := strings.Join(order, ","), "quiet,growing,money,older2"; got != want {
				t.Fatalf("queue order %s, want %s (resolved and idle clusters left out)", got, want)
			}
			g := q[1]
			if g.Last5m != 6 || g.Last15m != 6 || len(g.Samples) != 3 || g.Urgent || g.Priority <= q[3].Priority {
				t.Errorf("growing = last5 %d last15 %d samples %d urgent %v priority %v", g.Last5m, g.Last15m, len(g.Samples), g.Urgent, g.Priority)
			}
			if m := q[0]; !m.Urgent || len(m.Samples) != 3 || m.Samples[0].Text != "앱이 느려요" {
				t.Errorf("quiet = urgent %v samples %v", m.Urgent, m.Samples)
			}
			if m := q[2]; !m.Urgent || m.Last5m != 0 || m.Last15m != 2 {
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
			d := desk.New(desk.Options{Store: s, IdleWindow: 6 * time.Hour, Now: func() time.Time { return now }})
			for c := range 1000 {
				var batch []storage.Inquiry
				for i := range 20 {
					in := inquiry(fmt.Sprintf("q%04d-%02d", c, i), "앱 접속이 안 돼요 결제도 안되고")
					in.ClusterID, in.ReceivedAt = fmt.Sprintf("cl-%04d", c), now.Add(-time.Duration(i)*time.Minute).UnixMilli()
					batch = append(batch, in)
				}
				if _, err := s.StoreInquiries(ctx, batch, []storage.Cluster{{ID: batch[0].ClusterID, Representative: batch[0].Text}}); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for b.Loop() {
				if q, err := d.Queue(ctx); err != nil || len(q) != 1000 || d.Samples(ctx, q[:50], 3) != nil || len(q[0].Samples) != 3 {
					b.Fatalf("queue: %d items, %v", len(q), err)
				}
			}
		})
	}
}
