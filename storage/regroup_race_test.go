package storage_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/storage"
	"github.com/surgedesk/surgedesk/storage/storagetest"
)

// A store batch in flight while an agent merges its cluster: no inquiry may
// end up in a merged cluster.
func TestStoreDuringMergeLosesNothing(t *testing.T) {
	t.Parallel()
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)
			lost := 0
			for round := 0; round < 10; round++ {
				a, b := fmt.Sprintf("a%02d", round), fmt.Sprintf("b%02d", round)
				seed := []storage.Inquiry{regroupMember(a+"-0", a, "kim", "환불", 1000, ""), regroupMember(b+"-0", b, "lee", "환불요", 1000, "")}
				if _, err := s.StoreInquiries(ctx, seed, nil); err != nil {
					t.Fatal(err)
				}
				var wg sync.WaitGroup
				stop := make(chan struct{})
				for w := 0; w < 4; w++ {
					wg.Go(func() {
						for i := 0; ; i++ {
							select {
							case <-stop:
								return
							default:
							}
							var batch []storage.Inquiry
							for j := 0; j < 20; j++ {
								batch = append(batch, regroupMember(fmt.Sprintf("%s-w%d-%d-%d", a, w, i, j), a, fmt.Sprintf("c%d", j), "환불", 2000, ""))
							}
							if _, err := s.StoreInquiries(ctx, batch, nil); err != nil {
								t.Error(err)
								return
							}
						}
					})
				}
				time.Sleep(20 * time.Millisecond)
				if _, _, err := s.MergeCluster(ctx, "agent", a, b, 3000); err != nil {
					t.Fatal(err)
				}
				time.Sleep(20 * time.Millisecond)
				close(stop)
				wg.Wait()
				ca, _ := s.Cluster(ctx, a)
				if ca.Inquiries != 0 {
					lost++
					t.Logf("round %d: merged cluster %s status %s holds %d inquiries (counted), customers %d", round, a, ca.Status, ca.Inquiries, ca.Customers)
				}
			}
			if lost > 0 {
				t.Errorf("%d of 10 rounds left inquiries in a merged cluster", lost)
			}
		})
	}
}
