package storage_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/storage"
	"github.com/surgedesk/surgedesk/storage/storagetest"
)

func followup(customer, incident string, version int) storage.Delivery {
	return storage.Delivery{Kind: storage.KindFollowup, InquiryID: "inq-" + customer, CustomerKey: "web:" + customer,
		IncidentID: incident, UpdateVersion: version, URL: "http://127.0.0.1/reply", Source: "web", Locale: "ko", Text: "복구 중입니다"}
}

func TestEnqueueDeliveriesDeduplicates(t *testing.T) {
	t.Parallel()
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)
			answer := storage.Delivery{Kind: storage.KindAnswer, InquiryID: "inq-a", CustomerKey: "web:a", URL: "http://127.0.0.1/a", Text: "FAQ"}
			for _, tc := range []struct {
				name string
				ds   []storage.Delivery
				want int
			}{
				{"first update to two customers", []storage.Delivery{followup("a", "inc-1", 1), followup("b", "inc-1", 1)}, 2},
				{"same update again, from another instance", []storage.Delivery{followup("a", "inc-1", 1), followup("b", "inc-1", 1)}, 0},
				{"duplicate inside one batch", []storage.Delivery{followup("a", "inc-1", 2), followup("a", "inc-1", 2)}, 1},
				{"other incident", []storage.Delivery{followup("a", "inc-2", 1)}, 1},
				{"answer once per inquiry", []storage.Delivery{answer, answer}, 1},
				{"answer again", []storage.Delivery{answer}, 0},
			} {
				n, err := s.EnqueueDeliveries(ctx, tc.ds)
				if err != nil || n != tc.want {
					t.Errorf("%s: EnqueueDeliveries = %d, %v; want %d", tc.name, n, err, tc.want)
				}
			}
			got, err := s.DeliveriesByIncident(ctx, "inc-1", 10)
			if err != nil || len(got) != 3 {
				t.Fatalf("DeliveriesByIncident = %+v, %v", got, err)
			}
			for _, d := range got {
				if !strings.HasPrefix(d.ID, "dl_") || d.Status != storage.DeliveryPending || d.CreatedAt == 0 || d.Text != "복구 중입니다" {
					t.Errorf("delivery = %+v", d)
				}
			}
			if byInq, err := s.DeliveriesByInquiry(ctx, "inq-a"); err != nil || len(byInq) != 4 {
				t.Errorf("DeliveriesByInquiry(inq-a) = %d, %v; want 4 (3 follow-ups, 1 answer)", len(byInq), err)
			}
			if _, err := s.EnqueueDeliveries(ctx, []storage.Delivery{{Kind: "sms", URL: "x"}}); err == nil {
				t.Error("unknown kind accepted")
			}
		})
	}
}

func TestClaimDeliveries(t *testing.T) {
	t.Parallel()
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)
			later := followup("later", "inc-1", 1)
			later.NextAt = 5000
			if _, err := s.EnqueueDeliveries(ctx, []storage.Delivery{followup("a", "inc-1", 1), later}); err != nil {
				t.Fatal(err)
			}
			got, err := s.ClaimDeliveries(ctx, "one", 1000, time.Second, 10)
			if err != nil || len(got) != 1 || got[0].CustomerKey != "web:a" {
				t.Fatalf("claim = %+v, %v; want only the due one", got, err)
			}
			id := got[0].ID
			if again, _ := s.ClaimDeliveries(ctx, "two", 1500, time.Second, 10); len(again) != 0 {
				t.Errorf("claimed while leased: %+v", again)
			}
			// The lease ran out (the owner crashed, say): claimable again.
			again, err := s.ClaimDeliveries(ctx, "two", 2001, time.Second, 10)
			if err != nil || len(again) != 1 || again[0].ID != id {
				t.Fatalf("claim after expiry = %+v, %v", again, err)
			}
			if err := s.MarkDelivered(ctx, id, "one"); !errors.Is(err, storage.ErrLeaseLost) {
				t.Errorf("MarkDelivered by the old owner = %v; want ErrLeaseLost", err)
			}
			if err := s.MarkAttemptFailed(ctx, id, "two", "503", 4000, false); err != nil {
				t.Fatal(err)
			}
			if d, _ := s.Delivery(ctx, id); d.Status != storage.DeliveryPending || d.Attempts != 1 || d.NextAt != 4000 || d.LastError != "503" {
				t.Errorf("after a failed attempt = %+v", d)
			}
			if early, _ := s.ClaimDeliveries(ctx, "two", 3999, time.Second, 10); len(early) != 0 {
				t.Errorf("claimed before next_at: %+v", early)
			}
			retry, err := s.ClaimDeliveries(ctx, "two", 4000, time.Second, 10)
			if err != nil || len(retry) != 1 {
				t.Fatalf("claim at next_at = %+v, %v", retry, err)
			}
			if err := s.MarkDelivered(ctx, id, "two"); err != nil {
				t.Fatal(err)
			}
			d, _ := s.Delivery(ctx, id)
			if d.Status != storage.DeliveryDelivered || d.Attempts != 2 || d.DeliveredAt == 0 {
				t.Errorf("after delivery = %+v", d)
			}
			done, _ := s.ClaimDeliveries(ctx, "three", 1e12, time.Second, 10)
			if len(done) != 1 || done[0].CustomerKey != "web:later" {
				t.Fatalf("claim after delivery = %+v; want only the later one", done)
			}
			if err := s.MarkAttemptFailed(ctx, done[0].ID, "three", "400", 0, true); err != nil {
				t.Fatal(err)
			}
			if d, _ := s.Delivery(ctx, done[0].ID); d.Status != storage.DeliveryFailed {
				t.Errorf("after a final failure = %+v", d)
			}
			if none, _ := s.ClaimDeliveries(ctx, "three", 2e12, time.Second, 10); len(none) != 0 {
				t.Errorf("failed or delivered claimed again: %+v", none)
			}
		})
	}
}

func TestClaimDeliveriesConcurrently(t *testing.T) {
	t.Parallel()
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)
			other, err := storage.Open(ctx, url, 4) // a second instance
			if err != nil {
				t.Fatal(err)
			}
			defer other.Close()
			const n = 200
			var ds []storage.Delivery
			for i := range n {
				ds = append(ds, followup(fmt.Sprint("c", i), "inc-1", 1))
			}
			if _, err := s.EnqueueDeliveries(ctx, ds); err != nil {
				t.Fatal(err)
			}
			var (
				mu      sync.Mutex
				claimed = map[string]string{}
				wg      sync.WaitGroup
			)
			for w, db := range []*storage.Storage{s, other, s, other} {
				owner := fmt.Sprint("owner-", w)
				wg.Go(func() {
					for {
						got, err := db.ClaimDeliveries(ctx, owner, time.Now().UnixMilli(), time.Minute, 7)
						if err != nil {
							t.Error(err)
							return
						}
						if len(got) == 0 {
							return
						}
						mu.Lock()
						for _, d := range got {
							if prev, dup := claimed[d.ID]; dup {
								t.Errorf("%s claimed by %s and %s", d.ID, prev, owner)
							}
							claimed[d.ID] = owner
						}
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			if len(claimed) != n {
				t.Errorf("claimed %d deliveries; want %d", len(claimed), n)
			}
		})
	}
}
