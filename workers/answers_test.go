package workers

import (
	"log/slog"
	"testing"

	"github.com/surgedesk/surgedesk/kb"
	"github.com/surgedesk/surgedesk/storage"
	"github.com/surgedesk/surgedesk/triage"
)

// An answer given from update 1 while update 2 was being posted is followed
// by update 2, queued with the answer.
func TestCatchUpQueuesTheNewerUpdate(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	db := openStorage(t)
	if _, err := db.CreateIncident(ctx, "test", kb.Incident{ID: "inc-v", TitleKO: "상품권 장애", Severity: kb.Major}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []kb.Update{{Status: kb.Identified, TextKO: "원인 확인"}, {Status: kb.Monitoring, TextKO: "복구 후 모니터링"}} {
		if _, err := db.AddIncidentUpdate(ctx, "test", "inc-v", u); err != nil {
			t.Fatal(err)
		}
	}
	s := NewIngest(nil, db, triage.NewClusterer(triage.DefaultOptions()), nil, options(), slog.New(slog.DiscardHandler), nil)
	answer := func(version int) storage.Delivery {
		return storage.Delivery{Kind: storage.KindAnswer, InquiryID: "iq_1", CustomerKey: "kakao:kim", IncidentID: "inc-v",
			UpdateVersion: version, URL: "https://gw.example/kim", Source: "kakao", Locale: "ko", Text: "답변"}
	}
	got := s.catchUp(ctx, []storage.Delivery{answer(1)})
	if len(got) != 1 || got[0].Kind != storage.KindFollowup || got[0].UpdateVersion != 2 || got[0].CustomerKey != "kakao:kim" {
		t.Fatalf("catchUp(answer v1) = %+v; want one follow-up for v2", got)
	}
	if up := s.catchUp(ctx, []storage.Delivery{answer(2)}); len(up) != 0 {
		t.Errorf("catchUp(answer v2) = %+v; want nothing", up)
	}
}
