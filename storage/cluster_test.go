package storage_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/kb"

	"github.com/surgedesk/surgedesk/storage"
	"github.com/surgedesk/surgedesk/storage/storagetest"
)

func TestClusterCounts(t *testing.T) {
	t.Parallel()
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)
			member := func(id, customer, cluster string, at int64) storage.Inquiry {
				in := inquiry(id, "", "접속이 안 돼요")
				in.CustomerID, in.ClusterID, in.ReceivedAt = customer, cluster, at
				return in
			}
			login := storage.Cluster{ID: "cl-login", Representative: "접속이 안 돼요", Label: []string{"접속", "안되"}}
			refund := storage.Cluster{ID: "cl-refund", Representative: "환불 언제", Label: []string{"환불"}}
			first := []storage.Inquiry{
				member("a", "kim", "cl-login", 1000),
				member("b", "kim", "cl-login", 3000), // the same customer again
				member("c", "lee", "cl-login", 2000),
				member("d", "kim", "cl-refund", 5000),
			}
			if _, err := s.StoreInquiries(ctx, first, []storage.Cluster{login, refund}); err != nil {
				t.Fatal(err)
			}
			// A redelivery of "a" plus a new member from another instance
			// that knows the cluster's label but not its counts.
			second := []storage.Inquiry{member("a", "kim", "cl-login", 1000), member("e", "park", "cl-login", 500)}
			if _, err := s.StoreInquiries(ctx, second, []storage.Cluster{{ID: "cl-login", Representative: "로그인 안됨", Label: []string{"로그인"}}}); err != nil {
				t.Fatal(err)
			}
			c, err := s.Cluster(ctx, "cl-login")
			if err != nil {
				t.Fatal(err)
			}
			if c.Inquiries != 4 || c.Customers != 3 || c.FirstSeen != 500 || c.LastSeen != 3000 || c.Status != "open" {
				t.Errorf("cl-login = %+v, want 4 inquiries, 3 customers, seen 500..3000", c)
			}
			if c.Representative != "로그인 안됨" || len(c.Label) != 1 || c.Label[0] != "로그인" {
				t.Errorf("representative %q, label %v", c.Representative, c.Label)
			}
			open, err := s.OpenClusters(ctx, 0, 10)
			if err != nil || len(open) != 2 || open[0].ID != "cl-login" || open[1].Inquiries != 1 {
				t.Fatalf("OpenClusters = %+v, %v", open, err)
			}
			if recent, _ := s.OpenClusters(ctx, 4000, 10); len(recent) != 1 || recent[0].ID != "cl-refund" {
				t.Errorf("OpenClusters(since 4000) = %+v", recent)
			}
			members, err := s.InquiriesByCluster(ctx, "cl-login", 2)
			if err != nil || len(members) != 2 || members[0].ID != "b" || members[0].ClusterID != "cl-login" {
				t.Errorf("InquiriesByCluster = %+v, %v", members, err)
			}
			recent, err := s.RecentClusterMembers(ctx, 0, 2)
			if err != nil || len(recent["cl-login"]) != 2 || len(recent["cl-refund"]) != 1 || recent["cl-login"][0].ID != "b" {
				t.Errorf("RecentClusterMembers = %+v, %v", recent, err)
			}
			if _, err := s.Cluster(ctx, "nope"); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("Cluster(nope) = %v", err)
			}
		})
	}
}

// Two copies of one inquiry in a batch (a redelivery beside the original)
// are stored and counted once, even if they were assigned apart.
func TestClusterCountsIgnoreCopiesInABatch(t *testing.T) {
	t.Parallel()
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)
			a, copyOfA := inquiry("a", "", "접속이 안 돼요"), inquiry("a", "", "접속이 안 돼요")
			a.ClusterID, copyOfA.ClusterID = "cl-1", "cl-2"
			got, err := s.StoreInquiries(ctx, []storage.Inquiry{a, copyOfA}, nil)
			if err != nil || len(got) != 1 {
				t.Fatalf("StoreInquiries = %v, %v", got, err)
			}
			c1, err := s.Cluster(ctx, "cl-1")
			if err != nil || c1.Inquiries != 1 || c1.Customers != 1 {
				t.Errorf("cl-1 = %+v, %v; want 1 inquiry, 1 customer", c1, err)
			}
			if _, err := s.Cluster(ctx, "cl-2"); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("cl-2 exists for a copy that was not stored: %v", err)
			}
		})
	}
}

// A member answered about an incident links its cluster to that incident;
// a link once made is kept.
func TestAnsweredMembersLinkTheirCluster(t *testing.T) {
	t.Parallel()
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)
			for _, id := range []string{"inc-voucher", "inc-other", "inc-over"} {
				if _, err := s.CreateIncident(ctx, "test", kb.Incident{ID: id, TitleKO: "장애", Severity: kb.Major}); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := s.AddIncidentUpdate(ctx, "test", "inc-over", kb.Update{Status: kb.Resolved, TextKO: "복구"}); err != nil {
				t.Fatal(err)
			}
			plain := inquiry("a", "", "상품권 사용이 안 돼요")
			plain.ClusterID = "cl-v"
			answered := inquiry("b", "", "상품권 사용 불가")
			answered.ClusterID, answered.State = "cl-v", storage.StateAnswered
			answered.AnswerID, answered.IncidentID, answered.UpdateVersion = "a-voucher", "inc-voucher", 2
			if _, err := s.StoreInquiries(ctx, []storage.Inquiry{plain}, nil); err != nil {
				t.Fatal(err)
			}
			if c, _ := s.Cluster(ctx, "cl-v"); c.IncidentID != "" {
				t.Fatalf("linked before any answer: %+v", c)
			}
			if _, err := s.StoreInquiries(ctx, []storage.Inquiry{answered}, nil); err != nil {
				t.Fatal(err)
			}
			later := inquiry("c", "", "상품권 안돼요")
			later.ClusterID, later.IncidentID = "cl-v", "inc-other"
			if _, err := s.StoreInquiries(ctx, []storage.Inquiry{later}, nil); err != nil {
				t.Fatal(err)
			}
			if c, err := s.Cluster(ctx, "cl-v"); err != nil || c.IncidentID != "inc-voucher" || c.Inquiries != 3 {
				t.Errorf("cluster = %+v, %v; want linked to inc-voucher", c, err)
			}
			got, err := s.Inquiry(ctx, "b")
			if err != nil || got.AnswerID != "a-voucher" || got.IncidentID != "inc-voucher" || got.UpdateVersion != 2 || got.State != storage.StateAnswered {
				t.Errorf("answered inquiry = %+v, %v", got, err)
			}
			if p, _ := s.Inquiry(ctx, "a"); p.AnswerID != "" || p.UpdateVersion != 0 {
				t.Errorf("plain inquiry = %+v", p)
			}
			// Answered before its incident was resolved, stored after: the
			// new cluster is not tied to the resolved incident.
			late := inquiry("z", "", "장애 문의")
			late.ClusterID, late.State, late.AnswerID, late.IncidentID = "cl-new", storage.StateAnswered, "a-over", "inc-over"
			if _, err := s.StoreInquiries(ctx, []storage.Inquiry{late}, nil); err != nil {
				t.Fatal(err)
			}
			if c, _ := s.Cluster(ctx, "cl-new"); c.IncidentID != "" {
				t.Errorf("a new cluster was tied to a resolved incident: %+v", c)
			}
		})
	}
}
