package desk_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/desk"
	"github.com/surgedesk/surgedesk/storage"
	"github.com/surgedesk/surgedesk/storage/storagetest"
	"github.com/surgedesk/surgedesk/triage"
)

func TestNameProblem(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := storagetest.Open(t, storagetest.SQLite(t))
	d := desk.New(desk.Options{Store: s, ProblemStore: s, Problems: triage.NewGrouper(triage.DefaultProblemOptions()),
		Now: func() time.Time { return time.UnixMilli(1_700_000_000_000) }})
	for _, c := range []struct{ cluster, problem, text, lang string }{
		{"ko", "p-ko", "로그인이 안 돼요", "ko"},
		{"en", "p-en", "login keeps failing", "en"},
	} {
		in := inquiry(c.cluster+"-1", c.text)
		in.ClusterID, in.Metadata = c.cluster, "{}"
		cl := storage.Cluster{ID: c.cluster, Representative: c.text, Placement: &storage.Problem{ID: c.problem, Title: c.text, TitleLang: c.lang}}
		if _, err := s.StoreInquiries(ctx, []storage.Inquiry{in}, []storage.Cluster{cl}); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name, problem, ko, en string
		err                   error
		// the titles after it, in order
		title, lang, other, otherLang string
	}{
		{"both, Korean members: Korean first", "p-ko", "로그인 장애", "Login outage", nil, "로그인 장애", "ko", "Login outage", "en"},
		{"both, English members: English first", "p-en", "로그인 장애", "Login outage", nil, "Login outage", "en", "로그인 장애", "ko"},
		{"Korean only, whitespace folded", "p-en", "  로그인\n 장애 ", "", nil, "로그인 장애", "ko", "", ""},
		{"English only", "p-ko", "", "Login outage", nil, "Login outage", "en", "", ""},
		{"renamed: by its members' language, not its name's", "p-ko", "로그인 장애", "Login outage", nil, "로그인 장애", "ko", "Login outage", "en"},
		{"neither", "p-ko", " ", "", desk.ErrMissing, "로그인 장애", "ko", "Login outage", "en"},
		{"too long", "p-ko", strings.Repeat("가", desk.MaxTitle+1), "", desk.ErrInvalid, "로그인 장애", "ko", "Login outage", "en"},
		{"unknown problem", "nope", "로그인 장애", "", storage.ErrNotFound, "로그인 장애", "ko", "Login outage", "en"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := d.NameProblem(ctx, "api:kim", tc.problem, tc.ko, tc.en)
			if !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
				t.Fatalf("NameProblem: %v, want %v", err, tc.err)
			}
			id := tc.problem
			if id == "nope" {
				id = "p-ko" // unchanged by the refused request
			}
			p, err := s.Problem(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if p.Title != tc.title || p.TitleLang != tc.lang || p.OtherTitle != tc.other || p.OtherLang != tc.otherLang {
				t.Errorf("%s titled %q (%s) / %q (%s); want %q (%s) / %q (%s)", id, p.Title, p.TitleLang, p.OtherTitle, p.OtherLang,
					tc.title, tc.lang, tc.other, tc.otherLang)
			}
		})
	}
}
