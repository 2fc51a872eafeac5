package kb_test

import (
	"bytes"
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/kb"
	"github.com/surgedesk/surgedesk/storage/storagetest"
)

const examplePath = "../configs/kb.example.yaml"

func loadExample(t *testing.T) kb.Document {
	t.Helper()
	f, err := os.Open(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := kb.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", examplePath, err)
	}
	return d
}

// TestExample keeps configs/kb.example.yaml valid, complete, and
// renderable in both locales.
func TestExample(t *testing.T) {
	d := loadExample(t)
	incidents := map[string]kb.Incident{}
	for _, inc := range d.Incidents {
		incidents[inc.ID] = inc
		if len(inc.Updates) < 2 || inc.TitleKO == "" || inc.TitleEN == "" {
			t.Errorf("incident %s: want both titles and several updates", inc.ID)
		}
	}
	for _, id := range []string{"inc-app-login-event", "inc-refund-delay", "inc-voucher-platform-down"} {
		if _, ok := incidents[id]; !ok {
			t.Errorf("incident %s missing", id)
		}
	}
	faqs := 0
	for _, a := range d.Answers {
		if a.IncidentID == "" {
			faqs++
		}
		if len(a.Examples.KO) < 2 || len(a.Examples.EN) < 2 || a.TemplateKO == "" || a.TemplateEN == "" {
			t.Errorf("answer %s: want several examples and a template in each locale", a.ID)
		}
	}
	if faqs < 2 {
		t.Errorf("%d general FAQ answers, want 2 or more", faqs)
	}

	cases := []struct {
		answer, locale string
		wants          []string
	}{
		{"ans-app-login-event", "ko", []string{"로그인 실패", "원인 확인", "11월 21일 11:30", "웹사이트에서 로그인"}},
		{"ans-app-login-event", "en", []string{"login failures", "identified", "Nov 21, 11:30 KST", "internet banking website"}},
		{"ans-refund-delay", "ko", []string{"모니터링 중", "11월 26일 18:00까지"}},
		{"ans-refund-delay", "en", []string{"monitoring", "Nov 26, 18:00 KST"}},
		{"ans-voucher-use", "ko", []string{"종이 상품권", "잔액 조회", "11월 21일 18:00"}},
		{"ans-voucher-use", "en", []string{"Use paper vouchers", "check your balance on the website"}},
		{"ans-voucher-balance", "ko", []string{"웹사이트", "원인 확인"}},
		{"faq-support-hours", "en", []string{"9:00 to 18:00"}},
	}
	answers := map[string]kb.Answer{}
	for _, a := range d.Answers {
		answers[a.ID] = a
	}
	for _, c := range cases {
		a := answers[c.answer]
		inc := incidents[a.IncidentID]
		text, err := kb.Render(a, inc, inc.Latest(), c.locale)
		if err != nil {
			t.Errorf("%s in %s: %v", c.answer, c.locale, err)
			continue
		}
		for _, w := range c.wants {
			if !strings.Contains(text, w) {
				t.Errorf("%s in %s = %q, does not say %q", c.answer, c.locale, text, w)
			}
		}
		if strings.Contains(text, "<no value>") || strings.Contains(text, "  ") {
			t.Errorf("%s in %s = %q", c.answer, c.locale, text)
		}
	}
}

// TestExampleImport puts the example into SQLite twice and reads the same
// knowledge base back.
func TestExampleImport(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := storagetest.Open(t, storagetest.SQLite(t))
	d := loadExample(t)
	for range 2 {
		if err := s.ImportKB(ctx, "test", d); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.ExportKB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Incidents) != len(d.Incidents) || len(got.Answers) != len(d.Answers) {
		t.Fatalf("exported %d incidents and %d answers, want %d and %d",
			len(got.Incidents), len(got.Answers), len(d.Incidents), len(d.Answers))
	}
	// Times come back in UTC; compare what the YAML says.
	var want, back bytes.Buffer
	if err := kb.Encode(&want, normalise(d)); err != nil {
		t.Fatal(err)
	}
	if err := kb.Encode(&back, normalise(got)); err != nil {
		t.Fatal(err)
	}
	if want.String() != back.String() {
		t.Errorf("export differs from the example:\n%s\nwant\n%s", back.String(), want.String())
	}
	active, err := s.Incidents(ctx, true)
	if err != nil || len(active) != 3 {
		t.Errorf("active incidents = %d, %v", len(active), err)
	}
}

// normalise orders a document by id and puts its times in UTC.
func normalise(d kb.Document) kb.Document {
	utc := func(t *time.Time) {
		if !t.IsZero() {
			*t = t.UTC()
		}
	}
	var out kb.Document
	for _, inc := range d.Incidents {
		utc(&inc.StartedAt)
		utc(&inc.ResolvedAt)
		inc.CreatedAt, inc.UpdatedAt = time.Time{}, time.Time{}
		updates := make([]kb.Update, len(inc.Updates))
		for i, u := range inc.Updates {
			utc(&u.ETA)
			utc(&u.CreatedAt)
			updates[i] = u
		}
		inc.Updates = updates
		out.Incidents = append(out.Incidents, inc)
	}
	for _, a := range d.Answers {
		a.CreatedAt, a.UpdatedAt = time.Time{}, time.Time{}
		out.Answers = append(out.Answers, a)
	}
	slices.SortFunc(out.Incidents, func(a, b kb.Incident) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(out.Answers, func(a, b kb.Answer) int { return strings.Compare(a.ID, b.ID) })
	return out
}
