package workers

import (
	"context"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/kb"
	"github.com/surgedesk/surgedesk/storage"
	"github.com/surgedesk/surgedesk/storage/storagetest"
)

// An update committed by a process that stopped before queuing its
// follow-ups is owed in SQL, and FollowUpOwed (any instance, later) queues
// them once; a follow-up queued as usual leaves nothing owed.
func TestFollowUpOwedAfterACrash(t *testing.T) {
	t.Parallel()
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			db := storagetest.Open(t, url)
			inc, err := db.CreateIncident(ctx, "manager", kb.Incident{ID: "inc-login", TitleKO: "로그인 장애", TitleEN: "Login failures",
				Severity: kb.Major, StartedAt: time.Now().Add(-time.Minute)})
			if err != nil {
				t.Fatal(err)
			}
			// kim was answered about it; her answer came from a Slack thread.
			kim := storage.Inquiry{ID: "iq_kim", Source: "slack", CustomerID: "UKIM", Text: "로그인이 안 돼요", Locale: "ko",
				ReplyURL: "slack:DKIM/1700000000.000100", Metadata: "{}", State: storage.StateStored, AnswerID: "ans-login",
				IncidentID: inc.ID, UpdateVersion: 0, ReceivedAt: time.Now().UnixMilli(), StoredAt: time.Now().UnixMilli()}
			if _, err := db.StoreInquiries(ctx, []storage.Inquiry{kim}, nil); err != nil {
				t.Fatal(err)
			}
			owed := func() []storage.OwedFollowUp {
				t.Helper()
				o, err := db.OwedFollowUps(ctx, time.Now().Add(time.Hour).UnixMilli(), 10)
				if err != nil {
					t.Fatal(err)
				}
				return o
			}

			// Update 1 goes the usual way: queued at once, nothing owed.
			u1, err := db.AddIncidentUpdate(ctx, "manager", inc.ID, kb.Update{Status: kb.Identified, TextKO: "원인을 찾았습니다"})
			if err != nil {
				t.Fatal(err)
			}
			if n, err := FollowUp(ctx, db, inc.ID, u1); err != nil || n != 1 {
				t.Fatalf("FollowUp = %d, %v; want kim's one", n, err)
			}
			if o := owed(); len(o) != 0 {
				t.Fatalf("owed after a queued follow-up: %+v", o)
			}

			// Update 2's process dies after the commit.
			if _, err := db.AddIncidentUpdate(ctx, "manager", inc.ID, kb.Update{Status: kb.Monitoring, TextKO: "복구 중입니다"}); err != nil {
				t.Fatal(err)
			}
			if o := owed(); len(o) != 1 || o[0].IncidentID != inc.ID || o[0].Version != 2 {
				t.Fatalf("owed = %+v, want update 2 of %s", o, inc.ID)
			}
			// Within its grace it is left to its own request.
			if n, err := FollowUpOwed(ctx, db, time.Now().Add(-time.Minute)); err != nil || n != 0 {
				t.Fatalf("FollowUpOwed within the grace = %d, %v; want nothing", n, err)
			}
			for run, want := range []int{1, 0} { // once, however often it runs
				if n, err := FollowUpOwed(ctx, db, time.Now().Add(time.Minute)); err != nil || n != want {
					t.Fatalf("FollowUpOwed run %d = %d, %v; want %d", run, n, err, want)
				}
			}
			if o := owed(); len(o) != 0 {
				t.Fatalf("still owed: %+v", o)
			}
			ds, err := db.DeliveriesByInquiry(ctx, "iq_kim")
			if err != nil {
				t.Fatal(err)
			}
			versions := map[int]string{}
			for _, d := range ds {
				if d.Kind == storage.KindFollowup {
					versions[d.UpdateVersion] = d.URL
				}
			}
			if len(versions) != 2 || versions[2] != kim.ReplyURL {
				t.Fatalf("kim's follow-ups by version: %v; want versions 1 and 2, to her thread", versions)
			}
		})
	}
}
