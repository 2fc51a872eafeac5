package storage_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/storage"
	"github.com/surgedesk/surgedesk/storage/storagetest"
)

// placed stores one inquiry in cluster, placing the cluster in problem.
func placed(t *testing.T, ctx context.Context, s *storage.Storage, id, cluster, customer, text, problem, title string) {
	t.Helper()
	in := regroupMember(id, cluster, customer, text, time.Now().UnixMilli(), "")
	c := storage.Cluster{ID: cluster, Representative: text, Placement: &storage.Problem{ID: problem, Title: title, TitleLang: "ko"}}
	if _, err := s.StoreInquiries(ctx, []storage.Inquiry{in}, []storage.Cluster{c}); err != nil {
		t.Fatal(err)
	}
}

func TestProblems(t *testing.T) {
	t.Parallel()
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)
			since := time.Now().Add(-time.Hour).UnixMilli()

			// Two wordings of one login outage, one customer writing in both.
			placed(t, ctx, s, "i1", "ca", "kim", "로그인이 안 돼요", "p-login", "로그인이 안 돼요")
			placed(t, ctx, s, "i2", "ca", "lee", "로그인이 안 돼요", "p-login", "로그인이 안 돼요")
			placed(t, ctx, s, "i3", "cb", "kim", "login keeps failing", "p-login", "로그인이 안 돼요")
			placed(t, ctx, s, "i4", "cc", "park", "결제가 안 돼요", "p-pay", "결제가 안 돼요")

			list, err := s.Problems(ctx, since, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != 2 || list[0].ID != "p-login" {
				t.Fatalf("problems %+v, want p-login first of two", list)
			}
			if n, err := s.OpenProblems(ctx, since); err != nil || n != len(list) {
				t.Errorf("OpenProblems = %d, %v; want %d, as Problems lists", n, err, len(list))
			}
			if got := list[0]; got.Clusters != 2 || got.Inquiries != 3 || got.Customers != 2 || got.Title != "로그인이 안 돼요" {
				t.Errorf("p-login: %d clusters, %d inquiries, %d customers, title %q; want 2, 3, 2 (kim once), 로그인이 안 돼요",
					got.Clusters, got.Inquiries, got.Customers, got.Title)
			}

			// An agent moves cb out into a problem of its own: pinned, so a
			// later automatic placement leaves it there.
			if err := s.MoveCluster(ctx, "agent:kim", "cb", "p-own", time.Now().UnixMilli()); err != nil {
				t.Fatal(err)
			}
			placed(t, ctx, s, "i5", "cb", "choi", "login keeps failing", "p-login", "")
			own, err := s.Problem(ctx, "p-own")
			if err != nil {
				t.Fatal(err)
			}
			if own.Clusters != 1 || own.Inquiries != 2 || own.Title != "login keeps failing" || own.TitleLang != "en" {
				t.Errorf("p-own after the move %+v, want cb alone with 2 inquiries, titled after it in English", own)
			}

			// Merge p-own into p-pay: cb follows, p-own points at p-pay.
			if err := s.MergeProblems(ctx, "agent:kim", "p-own", "p-pay", time.Now().UnixMilli()); err != nil {
				t.Fatal(err)
			}
			clusters, err := s.ProblemClusters(ctx, "p-pay")
			if err != nil {
				t.Fatal(err)
			}
			if n, err := s.OpenProblems(ctx, since); err != nil || n != 2 {
				t.Errorf("OpenProblems after the merge = %d, %v; want 2 (p-login, p-pay)", n, err)
			}
			if len(clusters) != 2 {
				t.Errorf("p-pay holds %d clusters after the merge, want 2", len(clusters))
			}
			// A placement into the merged problem, decided before the news
			// arrived, lands in p-pay.
			placed(t, ctx, s, "i6", "cd", "jung", "결제 오류", "p-own", "")
			if c, err := s.Cluster(ctx, "cd"); err != nil || c.ProblemID != "p-pay" {
				t.Errorf("cluster cd in %q (%v), want p-pay", c.ProblemID, err)
			}
			rg, err := s.ProblemRegroupings(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if rg.MergedInto["p-own"] != "p-pay" || rg.Pinned["cb"] != "p-pay" || rg.Pinned["ca"] != "" {
				t.Errorf("regroupings %+v, want p-own→p-pay and cb pinned to p-pay only", rg)
			}

			// Bad requests change nothing.
			if err := s.MergeProblems(ctx, "a", "p-own", "p-login", 0); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("merging a merged problem: %v, want ErrNotFound", err)
			}
			if err := s.MergeProblems(ctx, "a", "p-pay", "p-pay", 0); !errors.Is(err, storage.ErrInvalid) {
				t.Errorf("merging into itself: %v, want ErrInvalid", err)
			}
			if err := s.MoveCluster(ctx, "a", "nope", "p-pay", 0); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("moving an unknown cluster: %v, want ErrNotFound", err)
			}
			if err := s.MoveCluster(ctx, "a", "ca", "p-own", 0); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("moving into a merged problem: %v, want ErrNotFound", err)
			}
			if _, err := s.Problem(ctx, "nope"); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("unknown problem: %v, want ErrNotFound", err)
			}
			if c, _ := s.Cluster(ctx, "ca"); c.ProblemID != "p-login" {
				t.Errorf("ca moved to %q by a refused request", c.ProblemID)
			}
		})
	}
}

// An incident's volume counts every wording grouped in its problem, also
// clusters the matcher never linked to it.
func TestIncidentVolumeCountsItsProblem(t *testing.T) {
	t.Parallel()
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)
			for i, text := range []string{"앱이 안 열려요", "app won't open", "앱 실행이 안 돼요"} {
				in := regroupMember(fmt.Sprint("v", i), fmt.Sprint("c", i), fmt.Sprint("u", i), text, time.Now().UnixMilli(), "")
				c := storage.Cluster{ID: in.ClusterID, Representative: text, Placement: &storage.Problem{ID: "p-app", IncidentID: "inc-app", Title: text}}
				if _, err := s.StoreInquiries(ctx, []storage.Inquiry{in}, []storage.Cluster{c}); err != nil {
					t.Fatal(err)
				}
			}
			other := regroupMember("v9", "c9", "u9", "결제가 안 돼요", time.Now().UnixMilli(), "")
			if _, err := s.StoreInquiries(ctx, []storage.Inquiry{other}, []storage.Cluster{{ID: "c9", Placement: &storage.Problem{ID: "p-pay"}}}); err != nil {
				t.Fatal(err)
			}
			buckets, err := s.IncidentVolume(ctx, "inc-app", 3_600_000, 0)
			if err != nil {
				t.Fatal(err)
			}
			var n int64
			for _, b := range buckets {
				n += b.Inquiries
			}
			if n != 3 {
				t.Errorf("volume of inc-app counts %d inquiries, want the 3 of its problem", n)
			}
		})
	}
}
