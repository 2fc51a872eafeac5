package storage_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/storage"
	"github.com/surgedesk/surgedesk/storage/storagetest"
)

// regroupMember is a stored inquiry of cluster by customer at (ms).
func regroupMember(id, cluster, customer, text string, at int64, replyURL string) storage.Inquiry {
	in := inquiry(id, "", text)
	in.ClusterID, in.CustomerID, in.ReceivedAt, in.ReplyURL = cluster, customer, at, replyURL
	return in
}

// snapshot is everything a failed merge or split must leave as it was.
type regroupSnapshot struct {
	Clusters  []storage.Cluster
	Members   map[string]int
	Audit     int
	Delivered int
}

func takeSnapshot(t *testing.T, ctx context.Context, s *storage.Storage, ids ...string) regroupSnapshot {
	t.Helper()
	snap := regroupSnapshot{Members: map[string]int{}}
	for _, id := range ids {
		c, err := s.Cluster(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		snap.Clusters = append(snap.Clusters, c)
		ms, err := s.InquiriesByCluster(ctx, id, 100)
		if err != nil {
			t.Fatal(err)
		}
		snap.Members[id] = len(ms)
	}
	audit, err := s.AuditEntries(ctx, "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	snap.Audit = len(audit)
	for _, id := range ids {
		if _, ds, err := s.ClusterReply(ctx, id); err == nil {
			snap.Delivered += len(ds)
		}
	}
	return snap
}

func TestMergeCluster(t *testing.T) {
	t.Parallel()
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)
			rows := []storage.Inquiry{
				regroupMember("a1", "cl-login", "kim", "앱 로그인이 안 돼요", 1000, "https://gw.example/kim"),
				regroupMember("a2", "cl-login", "lee", "앱 로그인 안됩니다", 2000, ""),
				regroupMember("b1", "cl-refund", "lee", "환불 언제 되나요", 500, "https://gw.example/lee"),
				regroupMember("b2", "cl-refund", "park", "환불은 언제 돼요", 3000, "https://gw.example/park"),
				regroupMember("b3", "cl-refund", "park", "환불 언제 돼요??", 3500, ""),
				regroupMember("c1", "cl-closed", "choi", "배송 조회가 안 돼요", 100, ""),
				regroupMember("d1", "cl-held", "jung", "쿠폰이 안 돼요", 100, ""),
			}
			if _, err := s.StoreInquiries(ctx, rows, nil); err != nil {
				t.Fatal(err)
			}
			if err := s.LinkCluster(ctx, "lee.agent", "cl-refund", "inc-pay"); err != nil {
				t.Fatal(err)
			}
			if queued, err := s.ReplyToCluster(ctx, "lee.agent", "cl-refund", "3일 안에 환불됩니다"); err != nil || queued != 2 {
				t.Fatalf("reply = %d, %v", queued, err)
			}
			if err := s.ResolveCluster(ctx, "lee.agent", "cl-closed"); err != nil {
				t.Fatal(err)
			}
			if err := s.ClaimCluster(ctx, "park.agent", "cl-held", 1000, 1<<50); err != nil {
				t.Fatal(err)
			}

			before := takeSnapshot(t, ctx, s, "cl-login", "cl-refund", "cl-closed", "cl-held")
			for _, tc := range []struct {
				name, agent, from, into string
				want                    error
			}{
				{"into itself", "lee.agent", "cl-refund", "cl-refund", storage.ErrInvalid},
				{"unknown source", "lee.agent", "cl-none", "cl-login", storage.ErrNotFound},
				{"unknown target", "lee.agent", "cl-refund", "cl-none", storage.ErrNotFound},
				{"closed source", "lee.agent", "cl-closed", "cl-login", storage.ErrNotFound},
				{"closed target", "lee.agent", "cl-refund", "cl-closed", storage.ErrNotFound},
				{"target claimed by another agent", "lee.agent", "cl-refund", "cl-held", storage.ErrClaimed},
				{"source claimed by another agent", "lee.agent", "cl-held", "cl-login", storage.ErrClaimed},
			} {
				if _, _, err := s.MergeCluster(ctx, tc.agent, tc.from, tc.into, 2000); !errors.Is(err, tc.want) {
					t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
				}
			}
			if after := takeSnapshot(t, ctx, s, "cl-login", "cl-refund", "cl-closed", "cl-held"); !reflect.DeepEqual(before, after) {
				t.Fatalf("bad merges changed something:\n%+v\n%+v", before, after)
			}

			got, queued, err := s.MergeCluster(ctx, "lee.agent", "cl-refund", "cl-login", 2000)
			if err != nil {
				t.Fatal(err)
			}
			// kim is the one member with a channel who had no reply yet.
			if queued != 1 {
				t.Errorf("queued = %d, want 1 (kim)", queued)
			}
			if got.ID != "cl-login" || got.Inquiries != 5 || got.Customers != 3 || got.FirstSeen != 500 || got.LastSeen != 3500 ||
				got.IncidentID != "inc-pay" || got.Status != storage.ClusterOpen {
				t.Errorf("target = %+v; want 5 inquiries, 3 customers, seen 500..3500, linked to inc-pay", got)
			}
			src, err := s.Cluster(ctx, "cl-refund")
			if err != nil || src.Status != storage.ClusterMerged || src.MergedInto != "cl-login" || src.Inquiries != 0 || src.Customers != 0 {
				t.Errorf("source = %+v, %v", src, err)
			}
			ms, _ := s.InquiriesByCluster(ctx, "cl-login", 10)
			mergedFrom := map[string]int{}
			for _, m := range ms {
				mergedFrom[m.MergedFrom]++
			}
			if len(ms) != 5 || mergedFrom["cl-refund"] != 3 || mergedFrom[""] != 2 {
				t.Errorf("target has %d members, from %v; want 5, 3 of them merged from cl-refund", len(ms), mergedFrom)
			}
			open, _ := s.OpenClusters(ctx, 0, 10)
			for _, c := range open {
				if c.ID == "cl-refund" {
					t.Error("the merged cluster is still listed open")
				}
			}
			reply, ds, err := s.ClusterReply(ctx, "cl-login")
			if err != nil || reply.Text != "3일 안에 환불됩니다" || len(ds) != 3 {
				t.Errorf("target reply = %+v with %d deliveries, %v; want the source's reply, once for each of 3 members with a channel", reply, len(ds), err)
			}
			for _, subject := range []string{"cluster:cl-refund", "cluster:cl-login"} {
				audit, err := s.AuditEntries(ctx, subject, 10)
				if err != nil || len(audit) == 0 || audit[0].Action != "cluster.merge" || audit[0].Actor != "lee.agent" {
					t.Errorf("audit of %s = %+v, %v", subject, audit, err)
				}
			}
			if _, _, err := s.MergeCluster(ctx, "lee.agent", "cl-refund", "cl-login", 3000); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("merging a merged cluster again = %v, want ErrNotFound", err)
			}
		})
	}
}

func TestSplitCluster(t *testing.T) {
	t.Parallel()
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)
			rows := []storage.Inquiry{
				regroupMember("p1", "cl-pay", "kim", "카드 결제가 안 돼요", 1000, ""),
				regroupMember("p2", "cl-pay", "kim", "카드 결제 안됩니다", 2000, ""),
				regroupMember("p3", "cl-pay", "lee", "결제 취소가 안 돼요", 3000, ""),
				regroupMember("p4", "cl-pay", "park", "결제 취소 안됩니다", 4000, ""),
				regroupMember("o1", "cl-other", "choi", "배송 조회", 1000, ""),
			}
			if _, err := s.StoreInquiries(ctx, rows, []storage.Cluster{{ID: "cl-pay", Representative: "결제 취소가 안 돼요", Label: []string{"결제"}}}); err != nil {
				t.Fatal(err)
			}
			before := takeSnapshot(t, ctx, s, "cl-pay", "cl-other")
			for _, tc := range []struct {
				name, from, newID string
				ids               []string
				want              error
				mentions          []string
			}{
				{"none", "cl-pay", "cl-new", nil, storage.ErrInvalid, nil},
				{"all", "cl-pay", "cl-new", []string{"p1", "p2", "p3", "p4"}, storage.ErrInvalid, nil},
				{"foreign and unknown", "cl-pay", "cl-new", []string{"p3", "o1", "zz"}, storage.ErrInvalid, []string{"o1", "zz"}},
				{"unknown cluster", "cl-none", "cl-new", []string{"p3"}, storage.ErrNotFound, nil},
				{"id taken", "cl-pay", "cl-other", []string{"p3"}, storage.ErrExists, nil},
			} {
				_, err := s.SplitCluster(ctx, "lee.agent", tc.from, tc.newID, tc.ids, 5000)
				if !errors.Is(err, tc.want) {
					t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
				}
				for _, m := range tc.mentions {
					if err == nil || !strings.Contains(err.Error(), m) {
						t.Errorf("%s: error %v does not name %s", tc.name, err, m)
					}
				}
			}
			if after := takeSnapshot(t, ctx, s, "cl-pay", "cl-other"); !reflect.DeepEqual(before, after) {
				t.Fatalf("bad splits changed something:\n%+v\n%+v", before, after)
			}
			got, err := s.SplitCluster(ctx, "lee.agent", "cl-pay", "cl-cancel", []string{"p4", "p3", "p3"}, 5000)
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != "cl-cancel" || got.Inquiries != 2 || got.Customers != 2 || got.FirstSeen != 3000 || got.LastSeen != 4000 ||
				got.Status != storage.ClusterOpen || got.Representative != "결제 취소가 안 돼요" {
				t.Errorf("new cluster = %+v; want 2 inquiries from 2 customers, 3000..4000", got)
			}
			orig, _ := s.Cluster(ctx, "cl-pay")
			if orig.Inquiries != 2 || orig.Customers != 1 || orig.FirstSeen != 1000 || orig.LastSeen != 2000 || orig.Representative != "카드 결제 안됩니다" {
				t.Errorf("original = %+v; want 2 inquiries from kim, 1000..2000, a remaining representative", orig)
			}
			audit, err := s.AuditEntries(ctx, "cluster:cl-pay", 10)
			if err != nil || len(audit) != 1 || audit[0].Action != "cluster.split" || !strings.Contains(audit[0].Detail, "cl-cancel") {
				t.Errorf("audit = %+v, %v", audit, err)
			}
			if audit, _ := s.AuditEntries(ctx, "cluster:cl-cancel", 10); len(audit) != 1 || audit[0].Action != "cluster.split" {
				t.Errorf("audit of the new cluster = %+v", audit)
			}
		})
	}
}

// Merges and splits come back resolved for a restart: chains followed,
// pairs joined again by a merge dropped.
func TestClusterRegroupings(t *testing.T) {
	t.Parallel()
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)
			var rows []storage.Inquiry
			for _, c := range []string{"a", "b", "c", "d"} {
				rows = append(rows, regroupMember(c+"1", "cl-"+c, "kim", "환불 "+c, 1000, ""), regroupMember(c+"2", "cl-"+c, "lee", "환불 "+c, 2000, ""))
			}
			if _, err := s.StoreInquiries(ctx, rows, nil); err != nil {
				t.Fatal(err)
			}
			steps := []func() error{
				func() error { _, err := s.SplitCluster(ctx, "x", "cl-a", "cl-a2", []string{"a2"}, 1); return err },
				func() error { _, err := s.SplitCluster(ctx, "x", "cl-c", "cl-c2", []string{"c2"}, 2); return err },
				func() error { _, _, err := s.MergeCluster(ctx, "x", "cl-a", "cl-b", 3); return err },
				func() error { _, _, err := s.MergeCluster(ctx, "x", "cl-b", "cl-d", 4); return err },
				func() error { _, _, err := s.MergeCluster(ctx, "x", "cl-c2", "cl-c", 5); return err }, // undoes a split
			}
			for i, step := range steps {
				if err := step(); err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
			}
			got, err := s.ClusterRegroupings(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := storage.Regroupings{
				MergedInto: map[string]string{"cl-a": "cl-d", "cl-b": "cl-d", "cl-c2": "cl-c"},
				Apart:      [][2]string{{"cl-d", "cl-a2"}},
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("regroupings = %+v, want %+v", got, want)
			}
		})
	}
}

// An instance that had not heard of a merge stores its members in the
// target all the same.
func TestStoreAfterMergeRedirects(t *testing.T) {
	t.Parallel()
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)
			rows := []storage.Inquiry{
				regroupMember("a1", "cl-a", "kim", "환불 언제", 1000, ""),
				regroupMember("b1", "cl-b", "lee", "환불 언제요", 1000, ""),
				regroupMember("c1", "cl-c", "park", "환불 언제 돼요", 1000, ""),
			}
			if _, err := s.StoreInquiries(ctx, rows, nil); err != nil {
				t.Fatal(err)
			}
			for _, m := range [][2]string{{"cl-a", "cl-b"}, {"cl-b", "cl-c"}} {
				if _, _, err := s.MergeCluster(ctx, "lee.agent", m[0], m[1], 2000); err != nil {
					t.Fatal(err)
				}
			}
			late := []storage.Inquiry{regroupMember("a2", "cl-a", "choi", "환불 언제", 3000, ""), regroupMember("x1", "cl-x", "jung", "배송", 3000, "")}
			if _, err := s.StoreInquiries(ctx, late, nil); err != nil {
				t.Fatal(err)
			}
			if late[0].ClusterID != "cl-c" || late[1].ClusterID != "cl-x" {
				t.Errorf("clusters after the store: %s, %s; want cl-c, cl-x", late[0].ClusterID, late[1].ClusterID)
			}
			c, _ := s.Cluster(ctx, "cl-c")
			a, _ := s.Cluster(ctx, "cl-a")
			if c.Inquiries != 4 || c.Customers != 4 || c.LastSeen != 3000 || a.Inquiries != 0 {
				t.Errorf("target %+v, merged %+v; want the late member counted in the target", c, a)
			}
		})
	}
}

// Two agents merging two clusters into each other at once: one wins, the
// other finds its cluster merged; neither deadlocks nor half-applies.
func TestMergeOppositeDirectionsAtOnce(t *testing.T) {
	t.Parallel()
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)
			other := storagetest.Open(t, url)
			for round := range 5 {
				a, b := fmt.Sprint("cl-a", round), fmt.Sprint("cl-b", round)
				rows := []storage.Inquiry{regroupMember(a+"1", a, "kim", "환불", 1000, ""), regroupMember(b+"1", b, "lee", "환불요", 2000, "")}
				if _, err := s.StoreInquiries(ctx, rows, nil); err != nil {
					t.Fatal(err)
				}
				errs := make(chan error, 2)
				go func() { _, _, err := s.MergeCluster(ctx, "kim.agent", a, b, 3000); errs <- err }()
				go func() { _, _, err := other.MergeCluster(ctx, "lee.agent", b, a, 3000); errs <- err }()
				e1, e2 := <-errs, <-errs
				if (e1 == nil) == (e2 == nil) || !errors.Is(cmpOr(e1, e2), storage.ErrNotFound) {
					t.Fatalf("round %d: errors %v and %v; want one merge and one ErrNotFound", round, e1, e2)
				}
				ca, _ := s.Cluster(ctx, a)
				cb, _ := s.Cluster(ctx, b)
				if ca.Inquiries+cb.Inquiries != 2 || (ca.Status == storage.ClusterMerged) == (cb.Status == storage.ClusterMerged) {
					t.Errorf("round %d: %+v and %+v; want one merged into the other with both members", round, ca, cb)
				}
			}
		})
	}
}

func cmpOr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// A stale Resolve or Link (a button on an old Slack message) must leave a
// merged cluster merged.
func TestMergedClusterStaysMerged(t *testing.T) {
	t.Parallel()
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)
			seed := []storage.Inquiry{regroupMember("m-a", "ma", "kim", "환불", 1000, ""), regroupMember("m-b", "mb", "lee", "환불요", 1000, "")}
			if _, err := s.StoreInquiries(ctx, seed, nil); err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.MergeCluster(ctx, "agent", "ma", "mb", 2000); err != nil {
				t.Fatal(err)
			}
			if err := s.ResolveCluster(ctx, "agent", "ma"); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("resolving a merged cluster: %v, want ErrNotFound", err)
			}
			if err := s.LinkCluster(ctx, "agent", "ma", "inc-1"); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("linking a merged cluster: %v, want ErrNotFound", err)
			}
			if c, err := s.Cluster(ctx, "ma"); err != nil || c.Status != storage.ClusterMerged || c.IncidentID != "" {
				t.Fatalf("cluster after stale actions: %+v, %v; want merged, unlinked", c, err)
			}
		})
	}
}

// TestMoveMembers moves members into an existing cluster: counts,
// customers and the split record follow; every refusal changes nothing.
func TestMoveMembers(t *testing.T) {
	t.Parallel()
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)
			rows := []storage.Inquiry{
				regroupMember("p1", "cl-pay", "kim", "카드 결제가 안 돼요", 1000, ""),
				regroupMember("p2", "cl-pay", "kim", "카드 결제 안됩니다", 2000, ""),
				regroupMember("p3", "cl-pay", "lee", "결제 취소가 안 돼요", 3000, "https://gw.example/lee"),
				regroupMember("p4", "cl-pay", "park", "결제 취소 안됩니다", 4000, ""),
				regroupMember("c1", "cl-cancel", "choi", "결제 취소 어떻게 해요", 1500, ""),
				regroupMember("o1", "cl-other", "jung", "배송 조회", 1000, ""),
			}
			if _, err := s.StoreInquiries(ctx, rows, nil); err != nil {
				t.Fatal(err)
			}
			if _, err := s.ReplyToCluster(ctx, "lee.agent", "cl-cancel", "취소는 앱에서 됩니다"); err != nil {
				t.Fatal(err)
			}
			if err := s.ClaimCluster(ctx, "park.agent", "cl-other", 5000, 1<<50); err != nil {
				t.Fatal(err)
			}
			before := takeSnapshot(t, ctx, s, "cl-pay", "cl-cancel", "cl-other")
			for _, tc := range []struct {
				name, from, into string
				ids              []string
				want             error
			}{
				{"into itself", "cl-pay", "cl-pay", []string{"p3"}, storage.ErrInvalid},
				{"unknown target", "cl-pay", "cl-none", []string{"p3"}, storage.ErrNotFound},
				{"target claimed by another agent", "cl-pay", "cl-other", []string{"p3"}, storage.ErrClaimed},
				{"every member", "cl-pay", "cl-cancel", []string{"p1", "p2", "p3", "p4"}, storage.ErrInvalid},
				{"a foreign member", "cl-pay", "cl-cancel", []string{"p3", "o1"}, storage.ErrInvalid},
			} {
				if _, err := s.MoveMembers(ctx, "lee.agent", tc.from, tc.into, tc.ids, 5000); !errors.Is(err, tc.want) {
					t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
				}
			}
			if after := takeSnapshot(t, ctx, s, "cl-pay", "cl-cancel", "cl-other"); !reflect.DeepEqual(before, after) {
				t.Fatalf("a refused move changed something:\nbefore %+v\nafter  %+v", before, after)
			}

			into, err := s.MoveMembers(ctx, "lee.agent", "cl-pay", "cl-cancel", []string{"p3", "p4"}, 5000)
			if err != nil {
				t.Fatal(err)
			}
			if into.ID != "cl-cancel" || into.Inquiries != 3 || into.Customers != 3 || into.FirstSeen != 1500 || into.LastSeen != 4000 {
				t.Errorf("cl-cancel after the move: %+v, want 3 inquiries from 3 customers, 1500…4000", into)
			}
			pay, err := s.Cluster(ctx, "cl-pay")
			if err != nil || pay.Inquiries != 2 || pay.Customers != 1 {
				t.Errorf("cl-pay after the move: %+v (%v), want kim's 2 inquiries", pay, err)
			}
			// lee, moved in with a reply channel, gets cl-cancel's reply.
			_, ds, err := s.ClusterReply(ctx, "cl-cancel")
			if err != nil {
				t.Fatal(err)
			}
			got := false
			for _, d := range ds {
				got = got || d.InquiryID == "p3"
			}
			if !got {
				t.Errorf("deliveries of cl-cancel's reply %+v, want one to p3", ds)
			}
			reg, err := s.ClusterRegroupings(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(reg.Apart, [2]string{"cl-pay", "cl-cancel"}) {
				t.Errorf("apart = %v, want cl-pay and cl-cancel kept apart", reg.Apart)
			}
		})
	}
}
