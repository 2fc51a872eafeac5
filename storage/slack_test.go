package storage_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/storage"
	"github.com/surgedesk/surgedesk/storage/storagetest"
)

func TestAcquireLease(t *testing.T) {
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)
			t0 := time.UnixMilli(1_700_000_000_000)
			steps := []struct {
				name  string
				owner string
				at    time.Duration // after t0
				want  bool
			}{
				{"a takes the free lease", "a", 0, true},
				{"b cannot while a holds it", "b", time.Second, false},
				{"a renews", "a", 2 * time.Second, true},
				{"b still cannot: the renewal counts", "b", 6 * time.Second, false},
				{"b takes it once expired", "b", 7*time.Second + time.Millisecond, true},
				{"a has lost it", "a", 8 * time.Second, false},
			}
			for _, st := range steps {
				got, err := s.AcquireLease(ctx, "board", st.owner, t0.Add(st.at), 5*time.Second)
				if err != nil || got != st.want {
					t.Fatalf("%s: AcquireLease = %v, %v; want %v", st.name, got, err, st.want)
				}
			}
			if err := s.ReleaseLease(ctx, "board", "a"); err != nil {
				t.Fatal(err)
			}
			if got, _ := s.AcquireLease(ctx, "board", "a", t0.Add(9*time.Second), 5*time.Second); got {
				t.Fatal("a released a lease it did not hold and took b's")
			}
			if err := s.ReleaseLease(ctx, "board", "b"); err != nil {
				t.Fatal(err)
			}
			if got, _ := s.AcquireLease(ctx, "board", "a", t0.Add(9*time.Second), 5*time.Second); !got {
				t.Fatal("a cannot take the lease b released")
			}
			if got, _ := s.AcquireLease(ctx, "other", "b", t0.Add(9*time.Second), 5*time.Second); !got {
				t.Fatal("leases of other names are not independent")
			}
		})
	}
}

func TestSlackMessages(t *testing.T) {
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)
			live := storage.SlackMessage{Subject: "cluster:c1", Channel: "CAGENTS", TS: "1.000100", Digest: "d1", UpdatedAt: 1000}
			done := storage.SlackMessage{Subject: "cluster:c2", Channel: "CAGENTS", TS: "1.000200", Digest: "d2", Done: true, UpdatedAt: 2000}
			for _, m := range []storage.SlackMessage{live, done} {
				if err := s.SaveSlackMessage(ctx, m); err != nil {
					t.Fatal(err)
				}
			}
			got, err := s.SlackMessages(ctx, nil)
			if err != nil || len(got) != 1 || got["cluster:c1"] != live {
				t.Fatalf("pending messages = %+v, %v; want only %+v", got, err, live)
			}
			got, err = s.SlackMessages(ctx, []string{"cluster:c2", "cluster:none"})
			if err != nil || len(got) != 2 || got["cluster:c2"] != done {
				t.Fatalf("messages = %+v, %v; want c1 and %+v", got, err, done)
			}

			live.Digest, live.UpdatedAt = "d3", 3000
			if err := s.SaveSlackMessage(ctx, live); err != nil {
				t.Fatal(err)
			}
			if err := s.RefreshSlackMessage(ctx, "cluster:c1"); err != nil {
				t.Fatal(err)
			}
			if err := s.RefreshSlackMessage(ctx, "cluster:none"); err != nil {
				t.Fatalf("refreshing a subject with no message: %v", err)
			}
			got, _ = s.SlackMessages(ctx, nil)
			if m := got["cluster:c1"]; m.Digest != "" || m.UpdatedAt != 0 || m.TS != "1.000100" {
				t.Fatalf("refreshed message = %+v, want its ts kept and digest and time cleared", m)
			}
		})
	}
}

func TestDecideAlert(t *testing.T) {
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)
			for _, id := range []string{"c1", "c2"} {
				if _, err := s.RaiseAlert(ctx, storage.Alert{ClusterID: id, RaisedAt: 1000, PerMinute: 12, Inquiries: 60,
					Customers: 40, Label: []string{"결제", "오류"}}); err != nil {
					t.Fatal(err)
				}
			}
			steps := []struct {
				name, cluster, from, to, incident string
				want                              error
			}{
				{"declare", "c1", storage.AlertOpen, storage.AlertDeclared, "inc-1", nil},
				{"declare twice", "c1", storage.AlertOpen, storage.AlertDeclared, "inc-2", storage.ErrExists},
				{"dismiss a declared one", "c1", storage.AlertOpen, storage.AlertDismissed, "", storage.ErrExists},
				{"dismiss", "c2", storage.AlertOpen, storage.AlertDismissed, "", nil},
				{"no such alert", "c3", storage.AlertOpen, storage.AlertDismissed, "", storage.ErrNotFound},
			}
			for _, st := range steps {
				if err := s.DecideAlert(ctx, "slack:UMANAGER", st.cluster, st.from, st.to, st.incident, 5000); !errors.Is(err, st.want) {
					t.Fatalf("%s: err = %v, want %v", st.name, err, st.want)
				}
			}
			got, err := s.AlertDecisions(ctx, []string{"c1", "c2", "c3"})
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]storage.AlertDecision{
				"c1": {ClusterID: "c1", Status: storage.AlertDeclared, By: "slack:UMANAGER", At: 5000, IncidentID: "inc-1"},
				"c2": {ClusterID: "c2", Status: storage.AlertDismissed, By: "slack:UMANAGER", At: 5000},
			}
			if len(got) != len(want) || got["c1"] != want["c1"] || got["c2"] != want["c2"] {
				t.Fatalf("decisions = %+v, want %+v", got, want)
			}
			if open, _ := s.Alerts(ctx, storage.AlertOpen, 10); len(open) != 0 {
				t.Fatalf("open alerts = %+v, want none", open)
			}
			// The listing (GET /v1/alerts) shows the decision too.
			declared, err := s.Alerts(ctx, storage.AlertDeclared, 10)
			if err != nil || len(declared) != 1 || declared[0].DecidedBy != "slack:UMANAGER" || declared[0].DecidedAt != 5000 ||
				declared[0].IncidentID != "inc-1" {
				t.Fatalf("declared alerts = %+v, %v", declared, err)
			}
			entries, err := s.AuditEntries(ctx, "", 10)
			if err != nil {
				t.Fatal(err)
			}
			actions := map[string]bool{}
			for _, e := range entries {
				actions[e.Action+" "+e.Subject] = true
			}
			if !actions["alert.declared alert:c1"] || !actions["alert.dismissed alert:c2"] {
				t.Fatalf("audit = %+v, want the declaration and the dismissal", entries)
			}
		})
	}
}

func TestRecentCounts(t *testing.T) {
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)
			now := time.Now().UnixMilli()
			var batch []storage.Inquiry
			for i, age := range []time.Duration{time.Minute, 4 * time.Minute, 10 * time.Minute, 20 * time.Minute} {
				in := inquiry(string(rune('a'+i)), "", "로그인이 안 돼요")
				in.ClusterID, in.ReceivedAt = "cl-1", now-age.Milliseconds()
				batch = append(batch, in)
			}
			if _, err := s.StoreInquiries(ctx, batch, nil); err != nil {
				t.Fatal(err)
			}
			got, err := s.RecentCounts(ctx, []string{"cl-1", "cl-none"}, now)
			if err != nil || len(got) != 1 || got["cl-1"] != (storage.Recent{Last5m: 2, Last15m: 3}) {
				t.Fatalf("RecentCounts = %+v, %v; want 2 in 5 minutes, 3 in 15", got, err)
			}
		})
	}
}
