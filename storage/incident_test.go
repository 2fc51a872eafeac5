package storage_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/kb"
	"github.com/surgedesk/surgedesk/storage"
	"github.com/surgedesk/surgedesk/storage/storagetest"
)

var started = time.Date(2026, 11, 21, 5, 0, 0, 0, time.UTC)

func loginIncident() kb.Incident {
	return kb.Incident{ID: "inc-login", TitleKO: "이벤트 중 앱 로그인 실패", TitleEN: "App login failures during the event",
		Components: []string{"app", "login"}, Severity: kb.Major, StartedAt: started}
}

func update(status kb.Status, text string) kb.Update {
	return kb.Update{Status: status, TextKO: text, TextEN: text}
}

func TestIncidentLifecycle(t *testing.T) {
	t.Parallel()
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)

			inc, err := s.CreateIncident(ctx, "mgr-kim", loginIncident())
			if err != nil {
				t.Fatal(err)
			}
			if inc.Status != kb.Investigating {
				t.Errorf("new incident status = %s, want investigating", inc.Status)
			}
			if _, err := s.CreateIncident(ctx, "mgr-kim", loginIncident()); !errors.Is(err, storage.ErrExists) {
				t.Errorf("second CreateIncident = %v, want ErrExists", err)
			}

			eta := started.Add(2 * time.Hour)
			steps := []struct {
				name    string
				update  kb.Update
				wantErr bool
				want    kb.Status // the incident's status afterwards
			}{
				{"stay investigating", update(kb.Investigating, "확인 중입니다"), false, kb.Investigating},
				{"identified with an ETA", kb.Update{Status: kb.Identified, TextKO: "원인을 찾았습니다", ETA: eta, WorkaroundKO: "웹에서 로그인"}, false, kb.Identified},
				{"back to investigating", update(kb.Investigating, "다시 조사"), true, kb.Identified},
				{"unknown status", update("broken", "?"), true, kb.Identified},
				{"skip to resolved", update(kb.Resolved, "해결되었습니다"), false, kb.Resolved},
				{"nothing after resolved", update(kb.Resolved, "또 해결"), true, kb.Resolved},
				{"not even monitoring", update(kb.Monitoring, "모니터링"), true, kb.Resolved},
			}
			version := 0
			for _, st := range steps {
				u, err := s.AddIncidentUpdate(ctx, "mgr-lee", "inc-login", st.update)
				if st.wantErr {
					if !errors.Is(err, kb.ErrInvalid) {
						t.Errorf("%s: err = %v, want kb.ErrInvalid", st.name, err)
					}
				} else {
					if err != nil {
						t.Fatalf("%s: %v", st.name, err)
					}
					version++
					if u.Version != version || u.Author != "mgr-lee" {
						t.Errorf("%s: version %d author %q, want %d mgr-lee", st.name, u.Version, u.Author, version)
					}
				}
				got, err := s.Incident(ctx, "inc-login")
				if err != nil {
					t.Fatal(err)
				}
				if got.Status != st.want || len(got.Updates) != version {
					t.Errorf("%s: incident %s with %d updates, want %s with %d", st.name, got.Status, len(got.Updates), st.want, version)
				}
			}

			got, err := s.Incident(ctx, "inc-login")
			if err != nil {
				t.Fatal(err)
			}
			if got.ResolvedAt.IsZero() || got.TitleKO != "이벤트 중 앱 로그인 실패" || len(got.Components) != 2 || got.Severity != kb.Major {
				t.Errorf("incident = %+v", got)
			}
			updates, err := s.IncidentUpdates(ctx, "inc-login")
			if err != nil || len(updates) != 3 {
				t.Fatalf("IncidentUpdates = %+v, %v", updates, err)
			}
			for i, u := range updates {
				if u.Version != i+1 {
					t.Errorf("update %d has version %d", i, u.Version)
				}
			}
			if !updates[1].ETA.Equal(eta) || updates[1].WorkaroundKO != "웹에서 로그인" || !updates[0].ETA.IsZero() {
				t.Errorf("update 2 = %+v", updates[1])
			}

			if _, err := s.Incident(ctx, "nope"); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("Incident(nope) = %v", err)
			}
			if _, err := s.IncidentUpdates(ctx, "nope"); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("IncidentUpdates(nope) = %v", err)
			}
			if _, err := s.AddIncidentUpdate(ctx, "mgr", "nope", update(kb.Identified, "x")); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("AddIncidentUpdate(nope) = %v", err)
			}

			// Three create/update audit rows for the three stored updates
			// and the creation; failed attempts leave none.
			audit, err := s.AuditEntries(ctx, "incident:inc-login", 100)
			if err != nil {
				t.Fatal(err)
			}
			var actions []string
			for _, e := range audit {
				actions = append(actions, e.Actor+" "+e.Action)
			}
			want := "mgr-lee incident.resolve,mgr-lee incident.update,mgr-lee incident.update,mgr-kim incident.create"
			if strings.Join(actions, ",") != want {
				t.Errorf("audit = %s, want %s", strings.Join(actions, ","), want)
			}
			if audit[0].At.IsZero() || !strings.Contains(audit[0].Detail, "해결되었습니다") {
				t.Errorf("newest audit entry = %+v", audit[0])
			}
		})
	}
}

func TestIncidentsActive(t *testing.T) {
	t.Parallel()
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)
			a := loginIncident()
			b := kb.Incident{ID: "inc-refund", TitleKO: "환불 지연", Severity: kb.Minor, StartedAt: started.Add(time.Hour)}
			for _, inc := range []kb.Incident{a, b} {
				if _, err := s.CreateIncident(ctx, "mgr", inc); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := s.AddIncidentUpdate(ctx, "mgr", "inc-login", update(kb.Resolved, "해결")); err != nil {
				t.Fatal(err)
			}
			all, err := s.Incidents(ctx, false)
			if err != nil || len(all) != 2 || all[0].ID != "inc-refund" {
				t.Errorf("Incidents(false) = %+v, %v", all, err)
			}
			active, err := s.Incidents(ctx, true)
			if err != nil || len(active) != 1 || active[0].ID != "inc-refund" {
				t.Errorf("Incidents(true) = %+v, %v", active, err)
			}
		})
	}
}

func TestIncidentBadInput(t *testing.T) {
	t.Parallel()
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)
			cases := []struct {
				name  string
				edit  func(*kb.Incident)
				wants []string
			}{
				{"no title", func(i *kb.Incident) { i.TitleKO, i.TitleEN = "", "" }, []string{"title_ko: a title is required"}},
				{"bad status and severity", func(i *kb.Incident) { i.Status, i.Severity = "done", "huge" },
					[]string{`status: unknown status "done"`, `severity: unknown severity "huge"`}},
				{"oversized title", func(i *kb.Incident) { i.TitleEN = strings.Repeat("가", kb.MaxTitle+1) }, []string{"title_en: is 201 characters"}},
				{"bad id", func(i *kb.Incident) { i.ID = "a b" }, []string{"id: \"a b\" may hold only"}},
				{"with updates", func(i *kb.Incident) { i.Updates = []kb.Update{update(kb.Identified, "x")} }, []string{"AddIncidentUpdate"}},
			}
			for _, c := range cases {
				inc := loginIncident()
				c.edit(&inc)
				_, err := s.CreateIncident(ctx, "mgr", inc)
				if !errors.Is(err, kb.ErrInvalid) {
					t.Errorf("%s: err = %v, want kb.ErrInvalid", c.name, err)
					continue
				}
				for _, w := range c.wants {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("%s: %q does not say %q", c.name, err, w)
					}
				}
			}
			if all, _ := s.Incidents(ctx, false); len(all) != 0 {
				t.Errorf("bad input stored %+v", all)
			}
			if audit, _ := s.AuditEntries(ctx, "", 10); len(audit) != 0 {
				t.Errorf("bad input audited %+v", audit)
			}
			if _, err := s.CreateIncident(ctx, "mgr", loginIncident()); err != nil {
				t.Fatal(err)
			}
			_, err := s.AddIncidentUpdate(ctx, "mgr", "inc-login", kb.Update{Status: kb.Identified, TextKO: strings.Repeat("a", kb.MaxText+1)})
			if !errors.Is(err, kb.ErrInvalid) || !strings.Contains(err.Error(), "text_ko: is 4001 characters") {
				t.Errorf("oversized update text: %v", err)
			}
			if got, _ := s.Incident(ctx, "inc-login"); got.Status != kb.Investigating || len(got.Updates) != 0 {
				t.Errorf("after a bad update: %+v", got)
			}
		})
	}
}

func TestAudit(t *testing.T) {
	t.Parallel()
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)
			for i, subject := range []string{"token:ops", "token:ops", "kb"} {
				if err := s.AddAudit(ctx, "admin", "token.rotate", subject, map[string]int{"n": i}); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.AddAudit(ctx, "", "x", "y", nil); err == nil {
				t.Error("AddAudit without an actor succeeded")
			}
			got, err := s.AuditEntries(ctx, "token:ops", 1)
			if err != nil || len(got) != 1 || got[0].Actor != "admin" || got[0].Action != "token.rotate" {
				t.Fatalf("AuditEntries = %+v, %v", got, err)
			}
			var detail map[string]int
			if err := jsonUnmarshal(got[0].Detail, &detail); err != nil || detail["n"] != 1 {
				t.Errorf("detail %q: %v", got[0].Detail, err)
			}
			if all, _ := s.AuditEntries(ctx, "", 10); len(all) != 3 || all[0].Subject != "kb" {
				t.Errorf("all entries = %+v", all)
			}
		})
	}
}

// Concurrent updates of one incident, as from several instances, get
// versions 1..n with no gap and no duplicate.
func TestIncidentUpdateVersionsConcurrent(t *testing.T) {
	t.Parallel()
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)
			if _, err := s.CreateIncident(ctx, "mgr", loginIncident()); err != nil {
				t.Fatal(err)
			}
			const n = 8
			errs := make(chan error, n)
			for i := range n {
				go func() {
					_, err := s.AddIncidentUpdate(ctx, "mgr", "inc-login", update(kb.Identified, strings.Repeat("x", i+1)))
					errs <- err
				}()
			}
			for range n {
				if err := <-errs; err != nil {
					t.Fatal(err)
				}
			}
			updates, err := s.IncidentUpdates(ctx, "inc-login")
			if err != nil || len(updates) != n {
				t.Fatalf("IncidentUpdates = %d, %v", len(updates), err)
			}
			for i, u := range updates {
				if u.Version != i+1 {
					t.Errorf("update %d has version %d", i, u.Version)
				}
			}
			if audit, _ := s.AuditEntries(ctx, "incident:inc-login", 100); len(audit) != n+1 {
				t.Errorf("%d audit entries, want %d", len(audit), n+1)
			}
		})
	}
}
