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

func TestDashboardFigures(t *testing.T) {
	t.Parallel()
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)
			const minute = 60_000
			base := int64(1_700_000_000_000) / minute * minute
			if _, err := s.OldestWaiting(ctx, 0); !errors.Is(err, storage.ErrNotFound) {
				t.Fatalf("OldestWaiting on an empty desk = %v, want ErrNotFound", err)
			}
			if _, err := s.CreateIncident(ctx, "test", kb.Incident{ID: "inc-f", TitleKO: "결제 장애", Severity: kb.Major}); err != nil {
				t.Fatal(err)
			}
			mk := func(id, customer, cluster string, at int64, answered bool) storage.Inquiry {
				in := inquiry(id, "", "결제가 안 돼요")
				in.CustomerID, in.ClusterID, in.ReceivedAt = customer, cluster, at
				if answered {
					in.State, in.AnswerID, in.IncidentID, in.UpdateVersion = storage.StateAnswered, "a-f", "inc-f", 1
				}
				return in
			}
			clusters := []storage.Cluster{
				{ID: "cl-pay", Representative: "결제가 안 돼요", LabelJSON: `["결제"]`, FirstSeen: base, LastSeen: base + 2*minute, Status: "open"},
				{ID: "cl-old", Representative: "환불 언제 돼요", LabelJSON: `["환불"]`, FirstSeen: base - 30*minute, LastSeen: base + minute, Status: "open"},
				{ID: "cl-new", Representative: "로그인 안 됨", LabelJSON: `["로그인"]`, FirstSeen: base + minute, LastSeen: base + minute, Status: "open"},
			}
			rows := []storage.Inquiry{
				mk("a", "kim", "cl-pay", base+1, true),
				mk("b", "lee", "cl-pay", base+2, false),
				mk("c", "kim", "cl-pay", base+2*minute, false),
				mk("d", "park", "cl-old", base-30*minute, false),
				mk("e", "choi", "cl-new", base+minute, false),
			}
			if _, err := s.StoreInquiries(ctx, rows, clusters); err != nil {
				t.Fatal(err)
			}
			if err := s.LinkCluster(ctx, "test", "cl-pay", "inc-f"); err != nil {
				t.Fatal(err)
			}

			vol, err := s.DeskVolume(ctx, minute, base)
			if err != nil {
				t.Fatal(err)
			}
			want := []storage.VolumeBucket{{Start: base, Inquiries: 2, Answered: 1}, {Start: base + minute, Inquiries: 1}, {Start: base + 2*minute, Inquiries: 1}}
			if len(vol) != len(want) {
				t.Fatalf("DeskVolume = %+v, want %+v", vol, want)
			}
			for i := range want {
				if vol[i] != want[i] {
					t.Errorf("DeskVolume[%d] = %+v, want %+v", i, vol[i], want[i])
				}
			}

			// The oldest waiting is cl-old until someone replies to it.
			if c, err := s.OldestWaiting(ctx, base-time.Hour.Milliseconds()); err != nil || c.ID != "cl-old" {
				t.Errorf("OldestWaiting = %s, %v; want cl-old", c.ID, err)
			}
			if _, err := s.ReplyToCluster(ctx, "agent-kim", "cl-old", "확인 중입니다."); err != nil {
				t.Fatal(err)
			}
			if c, err := s.OldestWaiting(ctx, base-time.Hour.Milliseconds()); err != nil || c.ID != "cl-new" {
				t.Errorf("OldestWaiting after a reply = %s, %v; want cl-new (cl-pay is linked to an incident)", c.ID, err)
			}
			times, err := s.FirstReplyTimes(ctx, 0, 10)
			if err != nil || len(times) != 1 || times[0] <= 0 {
				t.Errorf("FirstReplyTimes = %v, %v; want one positive wait", times, err)
			}

			if _, err := s.ReplyToCluster(ctx, "agent-kim", "cl-pay", "복구 중입니다."); err != nil {
				t.Fatal(err)
			}
			counts, err := s.IncidentCounts(ctx, "inc-f", minute, base)
			if err != nil || len(counts) != 2 || counts[0] != (storage.VolumeBucket{Start: base, Inquiries: 2, Answered: 1}) ||
				counts[1] != (storage.VolumeBucket{Start: base + 2*minute, Inquiries: 1}) {
				t.Errorf("IncidentCounts = %+v, %v", counts, err)
			}
			reach, err := s.IncidentReach(ctx, "inc-f")
			if err != nil {
				t.Fatal(err)
			}
			// cl-pay: kim and lee, three inquiries, replied.
			if reach.Customers != 2 || reach.InReplied != 3 || reach.FollowupsSent+reach.FollowupsFailed+reach.FollowupsPending != 0 {
				t.Errorf("IncidentReach = %+v", reach)
			}
			if err := s.LinkCluster(ctx, "test", "cl-new", "inc-f"); err != nil {
				t.Fatal(err)
			}
			if reach, _ := s.IncidentReach(ctx, "inc-f"); reach.Customers != 3 || reach.InReplied != 3 {
				t.Errorf("after linking cl-new (choi, no reply): %+v", reach)
			}
		})
	}
}
