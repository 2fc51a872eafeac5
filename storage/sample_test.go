package storage_test

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/storage"
	"github.com/surgedesk/surgedesk/storage/storagetest"
)

// TestClusterSamplesFollowMembers checks the queue's samples and the
// clusters' urgency after every step: batches out of time order and with
// ties, redelivered rows, a merge and a split.
func TestClusterSamplesFollowMembers(t *testing.T) {
	t.Parallel()
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)
			rng := rand.New(rand.NewPCG(1, 2))
			clusters := []string{"cl-a", "cl-b", "cl-c", "cl-d"}
			var stored []storage.Inquiry
			check := func(step string) {
				t.Helper()
				open, err := s.OpenClusters(ctx, 0, 100)
				if err != nil {
					t.Fatal(err)
				}
				var ids []string
				for _, c := range open {
					ids = append(ids, c.ID)
				}
				got, err := s.ClusterSamples(ctx, ids, 3)
				if err != nil {
					t.Fatal(err)
				}
				if len(open) == 0 {
					t.Fatalf("%s: no open clusters", step)
				}
				for _, c := range open {
					ms, err := s.InquiriesByCluster(ctx, c.ID, 1000)
					if err != nil {
						t.Fatal(err)
					}
					slices.SortFunc(ms, func(a, b storage.Inquiry) int {
						return cmp.Or(cmp.Compare(b.ReceivedAt, a.ReceivedAt), cmp.Compare(b.ID, a.ID))
					})
					var want, have []string
					for _, m := range ms[:min(3, len(ms))] {
						want = append(want, m.ID+"|"+m.Text+"|"+m.CustomerID)
					}
					for _, m := range got[c.ID] {
						have = append(have, m.ID+"|"+m.Text+"|"+m.CustomerID)
					}
					if !slices.Equal(want, have) {
						t.Errorf("%s: samples of %s = %v, want %v", step, c.ID, have, want)
					}
				}
			}
			for b := range 6 {
				var batch []storage.Inquiry
				for i := range 12 {
					in := inquiry(fmt.Sprintf("q%02d-%02d", b, i), "", fmt.Sprintf("로그인이 안 돼요 %d-%d", b, i))
					in.ClusterID = clusters[rng.IntN(len(clusters))]
					in.ReceivedAt = 1_700_000_000_000 + int64(rng.IntN(40))*1000 // ties and old rows
					batch = append(batch, in)
				}
				if len(stored) > 0 { // a redelivered row, and one twice in the batch
					batch = append(batch, stored[rng.IntN(len(stored))], batch[0])
				}
				if _, err := s.StoreInquiries(ctx, batch, nil); err != nil {
					t.Fatal(err)
				}
				stored = append(stored, batch...)
				check(fmt.Sprintf("batch %d", b))
			}
			urgent := inquiry("q-urgent", "", "계정이 해킹당했어요")
			urgent.ClusterID, urgent.Urgent = "cl-b", true
			if _, err := s.StoreInquiries(ctx, []storage.Inquiry{urgent}, nil); err != nil {
				t.Fatal(err)
			}
			isUrgent := func(id string) bool {
				c, err := s.Cluster(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				return c.Urgent
			}
			if !isUrgent("cl-b") || isUrgent("cl-a") {
				t.Fatalf("urgent: cl-b %v cl-a %v, want true false", isUrgent("cl-b"), isUrgent("cl-a"))
			}
			if _, _, err := s.MergeCluster(ctx, "kim.agent", "cl-b", "cl-a", 2_000_000_000_000); err != nil {
				t.Fatal(err)
			}
			check("merge")
			if !isUrgent("cl-a") {
				t.Error("cl-a did not take cl-b's urgency in the merge")
			}
			ms, err := s.InquiriesByCluster(ctx, "cl-c", 2)
			if err != nil || len(ms) < 2 {
				t.Fatalf("members of cl-c: %d, %v", len(ms), err)
			}
			if _, err := s.SplitCluster(ctx, "kim.agent", "cl-c", "cl-e", []string{ms[0].ID, ms[1].ID}, 2_000_000_000_000); err != nil {
				t.Fatal(err)
			}
			check("split")
			if isUrgent("cl-e") {
				t.Error("cl-e is urgent, split from a cluster that is not")
			}
		})
	}
}
