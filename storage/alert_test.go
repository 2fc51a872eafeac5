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

func TestAlertsRaisedOncePerUnlinkedCluster(t *testing.T) {
	t.Parallel()
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)
			a := storage.Alert{ClusterID: "cl-1", RaisedAt: 1000, PerMinute: 12.5, Inquiries: 80, Customers: 75,
				Label: []string{"상품권", "사용"}, Representative: "상품권 사용이 안 돼요", Samples: []string{"상품권 결제 안됨", "바우처 안돼요"}}
			for i, want := range []bool{true, false} {
				raised, err := s.RaiseAlert(ctx, a)
				if err != nil || raised != want {
					t.Fatalf("RaiseAlert #%d = %v, %v; want %v", i+1, raised, err, want)
				}
			}
			got, err := s.Alerts(ctx, "open", 10)
			if err != nil || len(got) != 1 {
				t.Fatalf("Alerts = %+v, %v", got, err)
			}
			if g := got[0]; g.PerMinute != 12.5 || g.Customers != 75 || len(g.Samples) != 2 || g.Label[0] != "상품권" || g.Status != "open" {
				t.Errorf("alert = %+v", g)
			}
			if none, _ := s.Alerts(ctx, "declared", 10); len(none) != 0 {
				t.Errorf("declared alerts = %+v", none)
			}
			// A cluster already linked to an active incident raises nothing;
			// once that incident is resolved, a surge alerts again.
			if _, err := s.CreateIncident(ctx, "test", kb.Incident{ID: "inc-1", TitleKO: "장애", Severity: kb.Major}); err != nil {
				t.Fatal(err)
			}
			linked := storage.Inquiry{ID: "x", Source: "web", CustomerID: "c", Text: "t", State: storage.StateStored, ClusterID: "cl-2", Metadata: "{}"}
			if _, err := s.StoreInquiries(ctx, []storage.Inquiry{linked}, nil); err != nil {
				t.Fatal(err)
			}
			if err := s.LinkCluster(ctx, "test", "cl-2", "inc-1"); err != nil {
				t.Fatal(err)
			}
			if raised, err := s.RaiseAlert(ctx, storage.Alert{ClusterID: "cl-2", RaisedAt: 2000}); err != nil || raised {
				t.Errorf("alert on a linked cluster = %v, %v", raised, err)
			}
			if _, err := s.AddIncidentUpdate(ctx, "test", "inc-1", kb.Update{Status: kb.Resolved, TextKO: "복구"}); err != nil {
				t.Fatal(err)
			}
			if raised, err := s.RaiseAlert(ctx, storage.Alert{ClusterID: "cl-2", RaisedAt: 3000}); err != nil || !raised {
				t.Errorf("alert on a cluster of a resolved incident = %v, %v; want raised", raised, err)
			}
			if err := s.LinkCluster(ctx, "test", "cl-none", "inc-1"); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("LinkCluster(unknown) = %v", err)
			}
		})
	}
}
