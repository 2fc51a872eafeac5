package kb_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/surgedesk/surgedesk/bus/bustest"
	"github.com/surgedesk/surgedesk/kb"
	"github.com/surgedesk/surgedesk/storage/storagetest"
)

// Two instances share one NATS and one database: a change made through
// one reaches the other's in-memory copy. The goal is a second; the
// test logs the time taken and fails only when the change never arrives
// (a timed assertion would fail on a loaded machine, not on a bug).
func TestKnowledgeFollowsChangesAcrossInstances(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b := bustest.Embedded(t)
	db := storagetest.Open(t, storagetest.SQLite(t))
	// Each instance has a NATS connection of its own.
	instance := func() (*kb.Live, *nats.Conn) {
		nc, err := b.Connect("test-instance")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc.Close)
		// As serve does: follow first, then load, so nothing falls between.
		k := kb.NewLive(db, slog.New(slog.DiscardHandler))
		if err := k.Follow(ctx, nc); err != nil {
			t.Fatal(err)
		}
		if err := k.Load(ctx); err != nil {
			t.Fatal(err)
		}
		return k, nc
	}
	a, ncA := instance()
	other, _ := instance()

	if _, err := db.CreateIncident(ctx, "manager", kb.Incident{ID: "inc-login", TitleKO: "로그인 장애", TitleEN: "Login failures", Severity: kb.Major}); err != nil {
		t.Fatal(err)
	}
	const bound = 15 * time.Second
	changedAt := time.Now()
	if err := kb.AnnounceChange(ncA, "incident:inc-login"); err != nil {
		t.Fatal(err)
	}
	for _, k := range []*kb.Live{a, other} {
		for {
			incidents, _, _ := k.Snapshot()
			if len(incidents) == 1 && incidents[0].ID == "inc-login" {
				break
			}
			if time.Since(changedAt) > bound {
				t.Fatalf("an instance did not see the new incident within %v", bound)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	t.Logf("both instances saw the change %v after the announcement (goal: 1s)", time.Since(changedAt))
	// Resolving removes it from the active copy everywhere.
	if _, err := db.AddIncidentUpdate(ctx, "manager", "inc-login", kb.Update{Status: kb.Resolved, TextKO: "복구되었습니다"}); err != nil {
		t.Fatal(err)
	}
	_, _, before := other.Snapshot()
	if err := kb.AnnounceChange(ncA, "incident:inc-login"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(bound)
	for {
		incidents, _, v := other.Snapshot()
		if v > before && len(incidents) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the resolved incident is still active on the other instance: %+v", incidents)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
