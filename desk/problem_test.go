package desk_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/desk"
	"github.com/surgedesk/surgedesk/storage"
	"github.com/surgedesk/surgedesk/storage/storagetest"
	"github.com/surgedesk/surgedesk/triage"
)

// The queue by problem, and reply to all and resolve on a whole problem.
func TestProblemActions(t *testing.T) {
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)
			now := time.UnixMilli(1_700_000_000_000)
			g := triage.NewGrouper(triage.DefaultProblemOptions())
			d := desk.New(desk.Options{Store: s, ProblemStore: s, Problems: g, IdleWindow: 6 * time.Hour, Now: func() time.Time { return now }})
			add := func(cluster, problem string, n int, text string) {
				var batch []storage.Inquiry
				for i := range n {
					in := inquiry(fmt.Sprintf("%s-%d", cluster, i), text)
					in.ClusterID, in.ReceivedAt, in.ReplyURL = cluster, now.Add(-time.Minute).UnixMilli()+int64(i), "https://example.com/hook"
					in.Metadata = "{}"
					batch = append(batch, in)
				}
				c := storage.Cluster{ID: cluster, Representative: text, Placement: &storage.Problem{ID: problem, Title: text, TitleLang: "ko"}}
				if _, err := s.StoreInquiries(ctx, batch, []storage.Cluster{c}); err != nil {
					t.Fatal(err)
				}
			}
			add("ko", "p-login", 4, "로그인이 안 돼요")
			add("en", "p-login", 2, "login keeps failing")
			add("pay", "p-pay", 3, "결제가 안 돼요")

			items, err := d.ProblemQueue(ctx)
			if err != nil {
				t.Fatal(err)
			}
			byID := map[string]desk.ProblemItem{}
			for _, it := range items {
				byID[it.ProblemID] = it
			}
			// The payment problem mentions money: it ranks first.
			if login := byID["p-login"]; len(items) != 2 || items[0].ProblemID != "p-pay" || len(login.Clusters) != 2 || login.Inquiries != 6 || login.Customers != 6 {
				t.Fatalf("queue by problem: %d items, first %s, p-login %d clusters, %d inquiries, %d customers; want p-pay first, p-login with 2, 6, 6",
					len(items), items[0].ProblemID, len(login.Clusters), login.Inquiries, login.Customers)
			}

			if _, _, err := d.ReplyToProblem(ctx, "kim", "p-login", "  "); !errors.Is(err, desk.ErrMissing) {
				t.Errorf("empty reply: %v, want ErrMissing", err)
			}
			if _, _, err := d.ReplyToProblem(ctx, "kim", "nope", "복구되었습니다"); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("reply to an unknown problem: %v, want ErrNotFound", err)
			}
			queued, replied, err := d.ReplyToProblem(ctx, "kim", "p-login", "복구되었습니다. 다시 시도해 주세요")
			if err != nil {
				t.Fatal(err)
			}
			if replied != 2 || queued != 6 {
				t.Errorf("reply to p-login: %d clusters, %d deliveries; want 2 and 6", replied, queued)
			}
			if _, replied, _ := d.ReplyToProblem(ctx, "kim", "p-login", "again"); replied != 0 {
				t.Errorf("a second reply replied to %d clusters again, want 0", replied)
			}

			resolved, skipped, err := d.ResolveProblem(ctx, "kim", "p-login")
			if err != nil {
				t.Fatal(err)
			}
			if resolved != 2 || skipped != 0 {
				t.Errorf("resolve p-login: %d resolved, %d skipped; want 2, 0", resolved, skipped)
			}
			items, err = d.ProblemQueue(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(items) != 1 || items[0].ProblemID != "p-pay" {
				t.Errorf("after resolving p-login the queue is %+v, want p-pay alone", items)
			}
		})
	}
}
