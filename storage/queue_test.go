package storage_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/storage"
	"github.com/surgedesk/surgedesk/storage/storagetest"
)

func TestClaimResolveAudited(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
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
