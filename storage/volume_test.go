package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/kb"

	"github.com/surgedesk/surgedesk/storage"
	"github.com/surgedesk/surgedesk/storage/storagetest"
)

func TestIncidentVolumeRecipientsAndClosing(t *testing.T) {
	t.Parallel()
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)
			if _, err := s.CreateIncident(ctx, "test", kb.Incident{ID: "inc-v", TitleKO: "상품권 장애", Severity: kb.Major}); err != nil {
				t.Fatal(err)
			}
			const minute = 60_000
			mk := func(id, customer, cluster string, at int64, answered bool, reply string) storage.Inquiry {
				in := inquiry(id, "", "상품권 사용이 안 돼요")
				in.CustomerID, in.ClusterID, in.ReceivedAt, in.ReplyURL = customer, cluster, at, reply
				if answered {
					in.State, in.AnswerID, in.IncidentID, in.UpdateVersion = storage.StateAnswered, "a-v", "inc-v", 1
				}
				return in
			}
			rows := []storage.Inquiry{
				mk("a", "kim", "cl-v", 10*minute+1, true, "https://gw.example/kim/1"),
				mk("b", "lee", "cl-v", 10*minute+500, false, "https://gw.example/lee"),
				mk("c", "kim", "cl-v", 11*minute+2, false, "https://gw.example/kim/2"), // kim again, later
				mk("d", "park", "cl-other", 11*minute+3, false, "https://gw.example/park"),
				mk("e", "choi", "cl-v", 11*minute+4, false, ""), // no reply channel
			}
			if _, err := s.StoreInquiries(ctx, rows, nil); err != nil {
				t.Fatal(err)
			}
			vol, err := s.IncidentVolume(ctx, "inc-v", minute, 0)
			if err != nil || len(vol) != 2 {
				t.Fatalf("IncidentVolume = %+v, %v", vol, err)
			}
			first, second := vol[0], vol[1]
			if first.Start != 10*minute || first.Inquiries != 2 || first.Answered != 1 || first.Queued() != 1 || first.Customers != 2 {
				t.Errorf("first bucket = %+v", first)
			}
			if second.Start != 11*minute || second.Inquiries != 2 || second.Answered != 0 || second.Customers != 2 {
				t.Errorf("second bucket = %+v (park's cluster is not linked)", second)
			}
			rec, err := s.IncidentRecipients(ctx, "inc-v", 0, 2)
			if err != nil || len(rec) != 2 {
				t.Fatalf("IncidentRecipients = %+v, %v; want kim and lee", rec, err)
			}
			if rec[0].CustomerKey != "web:kim" || rec[0].InquiryID != "c" || rec[0].ReplyURL != "https://gw.example/kim/2" {
				t.Errorf("kim = %+v; want her latest inquiry's channel", rec[0])
			}
			if late, _ := s.IncidentRecipients(ctx, "inc-v", 11*minute, 2); len(late) != 1 || late[0].CustomerKey != "web:kim" {
				t.Errorf("recipients since 11m = %+v; want kim only", late)
			}
			// lee, answered about another incident in the same cluster, is
			// that incident's customer, not this one's.
			other := mk("f", "lee2", "cl-v", 11*minute+9, false, "https://gw.example/lee2")
			other.State, other.AnswerID, other.IncidentID = storage.StateAnswered, "a-x", "inc-x"
			if _, err := s.StoreInquiries(ctx, []storage.Inquiry{other}, nil); err != nil {
				t.Fatal(err)
			}
			if rec, _ := s.IncidentRecipients(ctx, "inc-v", 0, 2); len(rec) != 2 {
				t.Errorf("recipients = %+v; an inquiry answered about inc-x does not belong to inc-v", rec)
			}
			if vol, _ := s.IncidentVolume(ctx, "inc-v", minute, 0); len(vol) != 2 || vol[1].Inquiries != 2 {
				t.Errorf("volume = %+v; lee2 counted under inc-v", vol)
			}
			// A customer whose latest inquiry was answered from version 3
			// already has version 3's news.
			fresh := mk("g", "kim", "cl-v", 12*minute, true, "https://gw.example/kim/3")
			fresh.UpdateVersion = 3
			if _, err := s.StoreInquiries(ctx, []storage.Inquiry{fresh}, nil); err != nil {
				t.Fatal(err)
			}
			if rec, _ := s.IncidentRecipients(ctx, "inc-v", 0, 3); len(rec) != 1 || rec[0].CustomerKey != "web:lee" {
				t.Errorf("recipients of version 3 = %+v; want lee only", rec)
			}
			if rec, _ := s.IncidentRecipients(ctx, "inc-v", 0, 4); len(rec) != 2 {
				t.Errorf("recipients of version 4 = %+v; want kim and lee", rec)
			}
			closed, err := s.CloseClustersOfIncident(ctx, "inc-v")
			if err != nil || len(closed) != 1 || closed[0] != "cl-v" {
				t.Fatalf("CloseClustersOfIncident = %v, %v", closed, err)
			}
			if c, _ := s.Cluster(ctx, "cl-v"); c.Status != storage.ClusterClosed {
				t.Errorf("cluster status = %s", c.Status)
			}
			if again, _ := s.CloseClustersOfIncident(ctx, "inc-v"); len(again) != 0 {
				t.Errorf("closed twice: %v", again)
			}
		})
	}
}
