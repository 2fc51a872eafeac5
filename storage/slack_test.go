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

func TestAcquireLease(t *testing.T) {
	t.Parallel()
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)
			if dialect == "postgres" {
				testLeaseDatabaseClock(ctx, t, s)
				return
			}
			// SQLite: the callers' clock, which is one host's.
			t0 := time.UnixMilli(1_700_000_000_000)
			steps := []struct {
				name  string
				owner string
				at    time.Duration // after t0
				renew bool          // RenewLease rather than AcquireLease
				want  bool
			}{
				{"a takes the free lease", "a", 0, false, true},
				{"b cannot while a holds it", "b", time.Second, false, false},
				{"b cannot renew what it does not hold", "b", time.Second, true, false},
				{"a renews", "a", 2 * time.Second, true, true},
				{"b still cannot: the renewal counts", "b", 6 * time.Second, false, false},
				{"b takes it once expired", "b", 7*time.Second + time.Millisecond, false, true},
				{"a has lost it", "a", 8 * time.Second, false, false},
				{"a cannot renew it either", "a", 8 * time.Second, true, false},
			}
			for _, st := range steps {
				take := s.AcquireLease
				if st.renew {
					take = s.RenewLease
				}
				got, err := take(ctx, "board", st.owner, t0.Add(st.at), 5*time.Second)
				if err != nil || got != st.want {
					t.Fatalf("%s: = %v, %v; want %v", st.name, got, err, st.want)
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

// testLeaseDatabaseClock checks that on PostgreSQL leases expire by the
// database's clock: a caller whose clock is far ahead takes nothing.
func testLeaseDatabaseClock(ctx context.Context, t *testing.T, s *storage.Storage) {
	t.Helper()
	ahead := time.Now().Add(24 * time.Hour) // a host whose clock is a day ahead
	steps := []struct {
		name  string
		owner string
		ttl   time.Duration
		renew bool
		want  bool
	}{
		{"a takes the free lease", "a", time.Hour, false, true},
		{"b, a day ahead, cannot", "b", time.Hour, false, false},
		{"b cannot renew it", "b", time.Hour, true, false},
		{"a renews it, expired already by the database's clock", "a", -time.Second, true, true},
		{"b takes it", "b", time.Hour, false, true},
		{"a cannot renew it", "a", time.Hour, true, false},
	}
	for _, st := range steps {
		take := s.AcquireLease
		if st.renew {
			take = s.RenewLease
		}
		if got, err := take(ctx, "board", st.owner, ahead, st.ttl); err != nil || got != st.want {
			t.Fatalf("%s: = %v, %v; want %v", st.name, got, err, st.want)
		}
	}
}

func TestSlackMessages(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
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
			type decision struct {
				Status, By string
				At         int64
				IncidentID string
			}
			want := map[string]decision{
				"c1": {Status: storage.AlertDeclared, By: "slack:UMANAGER", At: 5000, IncidentID: "inc-1"},
				"c2": {Status: storage.AlertDismissed, By: "slack:UMANAGER", At: 5000},
			}
			for id, w := range want {
				al, err := s.Alert(ctx, id)
				if got := (decision{al.Status, al.DecidedBy, al.DecidedAt, al.IncidentID}); err != nil || got != w {
					t.Fatalf("decision on %s = %+v, %v; want %+v", id, got, err, w)
				}
			}
			if _, err := s.Alert(ctx, "c3"); !errors.Is(err, storage.ErrNotFound) {
				t.Fatalf("alert c3: %v, want ErrNotFound", err)
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

func TestSlackMessageReservation(t *testing.T) {
	t.Parallel()
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)
			const subject = "cluster:c1"
			reserve := func(channel string, at int64) bool {
				t.Helper()
				ok, err := s.ReserveSlackMessage(ctx, subject, channel, at)
				if err != nil {
					t.Fatal(err)
				}
				return ok
			}
			get := func() storage.SlackMessage {
				t.Helper()
				ms, err := s.SlackMessages(ctx, []string{subject})
				if err != nil {
					t.Fatal(err)
				}
				return ms[subject]
			}
			if !reserve("CAGENTS", 1000) {
				t.Fatal("the first reservation failed")
			}
			if reserve("CAGENTS", 1001) {
				t.Fatal("a second instance reserved the same subject")
			}
			m := get()
			if m.TS != "" || m.ReservedAt != 1000 || m.UpdatedAt != 1000 {
				t.Fatalf("reservation = %+v", m)
			}
			// An unknown outcome: one instance takes the next attempt.
			if ok, err := s.RetrySlackPost(ctx, subject, 1000, 5000); err != nil || !ok {
				t.Fatalf("RetrySlackPost = %v, %v", ok, err)
			}
			if ok, _ := s.RetrySlackPost(ctx, subject, 1000, 5001); ok {
				t.Fatal("two instances took the same attempt")
			}
			// A click while the post is under way keeps its attempt time.
			if err := s.RefreshSlackMessage(ctx, subject); err != nil {
				t.Fatal(err)
			}
			if m := get(); m.UpdatedAt != 5000 || m.Version != 1 {
				t.Fatalf("refreshed reservation = %+v, want its attempt kept and version 1", m)
			}
			// Surely failed: forgotten, the subject can be reserved again.
			if err := s.ForgetSlackMessage(ctx, storage.SlackMessage{Subject: subject, ReservedAt: 999}); err != nil {
				t.Fatal(err)
			}
			if m := get(); m.Subject == "" {
				t.Fatal("another reservation's forget dropped this one")
			}
			if err := s.ForgetSlackMessage(ctx, storage.SlackMessage{Subject: subject, ReservedAt: 1000}); err != nil {
				t.Fatal(err)
			}
			if !reserve("CAGENTS", 6000) {
				t.Fatal("a forgotten subject cannot be reserved")
			}
			posted := storage.SlackMessage{Subject: subject, Channel: "CAGENTS", TS: "1.000100", Digest: "d1", UpdatedAt: 7000, ReservedAt: 6000}
			if err := s.SaveSlackMessage(ctx, posted); err != nil {
				t.Fatal(err)
			}
			if reserve("CAGENTS", 8000) {
				t.Fatal("a posted subject was reserved again")
			}
			// The agents' channel changed: the subject is posted anew there.
			if !reserve("CNEW", 9000) {
				t.Fatal("a subject of the old channel cannot be reserved in the new one")
			}
			if m := get(); m.Channel != "CNEW" || m.TS != "" || m.ReservedAt != 9000 {
				t.Fatalf("reservation in the new channel = %+v", m)
			}
		})
	}
}

func TestSaveSlackMessageAfterRefresh(t *testing.T) {
	t.Parallel()
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)
			m := storage.SlackMessage{Subject: "alert:c1", Channel: "CAGENTS", TS: "1.000100", Digest: "d1", UpdatedAt: 1000}
			if err := s.SaveSlackMessage(ctx, m); err != nil {
				t.Fatal(err)
			}
			read, _ := s.SlackMessages(ctx, nil)
			m = read[m.Subject]                                           // the leader reads it and renders…
			if err := s.RefreshSlackMessage(ctx, m.Subject); err != nil { // …a click…
				t.Fatal(err)
			}
			m.Digest, m.Done, m.UpdatedAt = "d2", true, 2000 // …and it saves what it rendered before
			if err := s.SaveSlackMessage(ctx, m); err != nil {
				t.Fatal(err)
			}
			got, _ := s.SlackMessages(ctx, nil)
			if g := got[m.Subject]; g.TS != "1.000100" || g.Digest != "" || g.UpdatedAt != 0 || g.Done || g.Version != 1 {
				t.Fatalf("saved after a refresh = %+v, want its ts, still due at once and not done", g)
			}
			// Saved from the current version, it is up to date.
			m = got[m.Subject]
			m.Digest, m.UpdatedAt = "d3", 3000
			if err := s.SaveSlackMessage(ctx, m); err != nil {
				t.Fatal(err)
			}
			if g, _ := s.SlackMessages(ctx, nil); g[m.Subject].Digest != "d3" || g[m.Subject].UpdatedAt != 3000 {
				t.Fatalf("saved = %+v", g[m.Subject])
			}
		})
	}
}

func TestDeclareAlertOnce(t *testing.T) {
	t.Parallel()
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)
			if _, err := s.RaiseAlert(ctx, storage.Alert{ClusterID: "c1", RaisedAt: 1000, Label: []string{"결제"}}); err != nil {
				t.Fatal(err)
			}
			// Four managers at once, on as many instances.
			const n = 4
			errs := make(chan error, n)
			for i := range n {
				go func() {
					_, err := s.DeclareAlert(ctx, "slack:U"+string(rune('A'+i)), "c1", kb.Incident{
						ID: "inc-" + string(rune('a'+i)), TitleKO: "문의 급증: 결제", Severity: kb.Major})
					errs <- err
				}()
			}
			ok := 0
			for range n {
				switch err := <-errs; {
				case err == nil:
					ok++
				case !errors.Is(err, storage.ErrExists):
					t.Fatalf("DeclareAlert: %v, want nil or ErrExists", err)
				}
			}
			incs, err := s.Incidents(ctx, false)
			if ok != 1 || err != nil || len(incs) != 1 {
				t.Fatalf("%d declarations succeeded, %d incidents (%v); want one", ok, len(incs), err)
			}
			al, err := s.Alert(ctx, "c1")
			if err != nil || al.Status != storage.AlertDeclared || al.IncidentID != incs[0].ID {
				t.Fatalf("alert = %+v, %v; want declared as %s", al, err, incs[0].ID)
			}
			entries, _ := s.AuditEntries(ctx, "", 20)
			actions := map[string]bool{}
			for _, e := range entries {
				actions[e.Action+" "+e.Subject] = true
			}
			if !actions["alert.declared alert:c1"] || !actions["incident.create incident:"+incs[0].ID] {
				t.Fatalf("audit = %+v", entries)
			}
			if _, err := s.DeclareAlert(ctx, "slack:UA", "c9", kb.Incident{TitleKO: "x", Severity: kb.Major}); !errors.Is(err, storage.ErrNotFound) {
				t.Fatalf("declaring no alert: %v, want ErrNotFound", err)
			}
			if _, err := s.Alert(ctx, "c9"); !errors.Is(err, storage.ErrNotFound) {
				t.Fatalf("Alert of none: %v", err)
			}
		})
	}
}

func TestRecentCounts(t *testing.T) {
	t.Parallel()
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
