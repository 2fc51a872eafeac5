package storage_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/storage"
	"github.com/surgedesk/surgedesk/storage/storagetest"
)

// A problem an agent named keeps its name while the triage engine goes
// on placing clusters in it with titles of its own; naming is audited,
// and an unknown or merged problem is refused.
func TestNameProblem(t *testing.T) {
	t.Parallel()
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)
			placed(t, ctx, s, "i1", "ca", "kim", "로그인이 안 돼요", "p-login", "로그인이 안 돼요")
			placed(t, ctx, s, "i2", "cb", "lee", "결제가 안 돼요", "p-pay", "결제가 안 돼요")

			if err := s.NameProblem(ctx, "api:kim", "p-login", "로그인 장애", "ko", "Login outage", "en", time.Now().UnixMilli()); err != nil {
				t.Fatal(err)
			}
			placed(t, ctx, s, "i3", "cc", "park", "로그인 버튼이 안 눌려요", "p-login", "로그인 버튼이 안 눌려요")
			p, err := s.Problem(ctx, "p-login")
			if err != nil {
				t.Fatal(err)
			}
			if p.Title != "로그인 장애" || p.TitleLang != "ko" || p.OtherTitle != "Login outage" || p.OtherLang != "en" || p.NamedBy != "api:kim" || p.Clusters != 2 {
				t.Errorf("p-login after a placement: %+v; want the name kept, named by api:kim, with both clusters", p)
			}
			// An unnamed problem is still retitled.
			placed(t, ctx, s, "i4", "cb", "choi", "결제 오류", "p-pay", "결제 오류")
			if p, _ := s.Problem(ctx, "p-pay"); p.Title != "결제 오류" || p.NamedBy != "" {
				t.Errorf("p-pay: %+v; want the engine's new title, not named", p)
			}
			if entries, err := s.AuditEntries(ctx, "p-login", 10); err != nil || len(entries) != 1 || entries[0].Action != "name_problem" {
				t.Errorf("audit of p-login: %+v, %v; want the naming", entries, err)
			}

			if err := s.MergeProblems(ctx, "api:kim", "p-pay", "p-login", time.Now().UnixMilli()); err != nil {
				t.Fatal(err)
			}
			for _, id := range []string{"p-pay", "nope"} {
				if err := s.NameProblem(ctx, "api:kim", id, "결제", "ko", "", "", 0); !errors.Is(err, storage.ErrNotFound) {
					t.Errorf("naming %s: %v, want ErrNotFound", id, err)
				}
			}
		})
	}
}
