package desk_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/desk"
	"github.com/surgedesk/surgedesk/storage"
	"github.com/surgedesk/surgedesk/storage/storagetest"
	"github.com/surgedesk/surgedesk/triage"
)

// A draft for a whole problem sees every wording: member texts are taken
// in turn from its open clusters, largest first, up to DraftSamples.
func TestProblemTexts(t *testing.T) {
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) { testProblemTexts(t, url) })
	}
}

func testProblemTexts(t *testing.T, url string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := storagetest.Open(t, url)
	now := time.UnixMilli(1_700_000_000_000)
	d := desk.New(desk.Options{Store: s, ProblemStore: s, Problems: triage.NewGrouper(triage.DefaultProblemOptions()),
		IdleWindow: 6 * time.Hour, Now: func() time.Time { return now }})
	add := func(cluster, problem string, n int, text string) {
		var batch []storage.Inquiry
		for i := range n {
			in := inquiry(fmt.Sprintf("%s-%d", cluster, i), fmt.Sprintf("%s %d", text, i))
			in.ClusterID, in.ReceivedAt, in.Metadata = cluster, now.Add(-time.Minute).UnixMilli()+int64(i), "{}"
			batch = append(batch, in)
		}
		c := storage.Cluster{ID: cluster, Representative: text, Placement: &storage.Problem{ID: problem, Title: text, TitleLang: "ko"}}
		if _, err := s.StoreInquiries(ctx, batch, []storage.Cluster{c}); err != nil {
			t.Fatal(err)
		}
	}
	add("ko", "p-login", 20, "로그인이 안 돼요")
	add("en", "p-login", 3, "login keeps failing")
	add("glued", "p-login", 1, "로그인안됨")
	add("pay", "p-pay", 2, "결제가 안 돼요")

	cases := []struct {
		problem string
		want    map[string]int // texts per wording
	}{
		// 1 + 3 + 8: the two small clusters give all they have, the
		// largest fills the rest.
		{"p-login", map[string]int{"로그인안됨": 1, "login keeps failing": 3, "로그인이 안 돼요": desk.DraftSamples - 4}},
		{"p-pay", map[string]int{"결제가 안 돼요": 2}},
	}
	for _, tc := range cases {
		texts, err := d.ProblemTexts(ctx, tc.problem)
		if err != nil {
			t.Fatalf("%s: %v", tc.problem, err)
		}
		got := map[string]int{}
		for _, text := range texts {
			got[text[:strings.LastIndexByte(text, ' ')]]++
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: texts per wording %v, want %v (%q)", tc.problem, got, tc.want, texts)
		}
		// Largest cluster first, then in turn.
		if tc.problem == "p-login" && (!strings.HasPrefix(texts[0], "로그인이 안 돼요") || !strings.HasPrefix(texts[1], "login keeps failing")) {
			t.Errorf("p-login texts start %q, want the largest cluster's, then the next", texts[:2])
		}
	}

	if err := s.ResolveCluster(ctx, "kim", "pay"); err != nil {
		t.Fatal(err)
	}
	for _, problem := range []string{"p-pay", "nope"} {
		if _, err := d.ProblemTexts(ctx, problem); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("%s: %v, want ErrNotFound", problem, err)
		}
	}
	texts, err := d.ClusterTexts(ctx, "en")
	if err != nil || len(texts) != 3 {
		t.Errorf("ClusterTexts(en) = %q, %v; want its 3 texts", texts, err)
	}
	if _, err := d.ClusterTexts(ctx, "nope"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("ClusterTexts(nope): %v, want ErrNotFound", err)
	}
}
