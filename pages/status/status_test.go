package status_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/bus/bustest"
	"github.com/surgedesk/surgedesk/kb"
	"github.com/surgedesk/surgedesk/pages/status"
	"github.com/surgedesk/surgedesk/storage/storagetest"
)

// fakeSource serves fixed incidents, or an error.
type fakeSource struct {
	mu   sync.Mutex
	incs []kb.Incident
	err  error
}

func (f *fakeSource) Incidents(context.Context, bool) ([]kb.Incident, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.incs, f.err
}

var now = time.Date(2026, 11, 22, 6, 0, 0, 0, time.UTC)

func voucherIncident() kb.Incident {
	return kb.Incident{ID: "inc-voucher", TitleKO: "모바일 상품권 결제 장애", TitleEN: "Mobile vouchers not accepted",
		Status: kb.Identified, Severity: kb.Critical, Components: []string{"voucher"},
		StartedAt: now.Add(-time.Hour), UpdatedAt: now.Add(-10 * time.Minute),
		Updates: []kb.Update{
			{Version: 1, Status: kb.Investigating, TextKO: "원인을 확인하고 있습니다.", TextEN: "We are looking into it.",
				CreatedAt: now.Add(-time.Hour), Author: "manager-kim"},
			{Version: 2, Status: kb.Identified, TextKO: "원인을 찾았습니다.", TextEN: "We found the cause.",
				WorkaroundKO: "종이 상품권을 사용해 주세요.", WorkaroundEN: "Please use paper vouchers.",
				ETA: now.Add(time.Hour), CreatedAt: now.Add(-10 * time.Minute), Author: "manager-kim"},
		}}
}

func newPage(t *testing.T, src status.Source) *status.Page {
	t.Helper()
	p := status.New(status.Options{Source: src, Now: func() time.Time { return now }})
	if err := p.Rebuild(context.Background()); err != nil {
		t.Fatal(err)
	}
	return p
}

func get(h http.HandlerFunc, target string, header map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h(rec, req)
	return rec
}

func TestPageLanguages(t *testing.T) {
	resolved := kb.Incident{ID: "inc-login", TitleKO: "로그인 실패", TitleEN: "Login failures", Status: kb.Resolved,
		Severity: kb.Major, StartedAt: now.Add(-5 * time.Hour), ResolvedAt: now.Add(-2 * time.Hour), UpdatedAt: now.Add(-2 * time.Hour),
		Updates: []kb.Update{{Version: 1, Status: kb.Resolved, TextKO: "해결되었습니다.", TextEN: "Fixed.", CreatedAt: now.Add(-2 * time.Hour)}}}
	old := kb.Incident{ID: "inc-old", TitleKO: "오래된 장애", TitleEN: "Old outage", Status: kb.Resolved, Severity: kb.Minor,
		StartedAt: now.Add(-30 * 24 * time.Hour), ResolvedAt: now.Add(-29 * 24 * time.Hour), UpdatedAt: now.Add(-29 * 24 * time.Hour)}
	p := newPage(t, &fakeSource{incs: []kb.Incident{voucherIncident(), resolved, old}})
	tests := []struct {
		name     string
		target   string
		accept   string
		want     []string
		wantNot  []string
		language string
		vary     bool
	}{
		{"Korean by Accept-Language", "/status", "ko-KR,ko;q=0.9,en;q=0.8",
			[]string{`lang="ko"`, "모바일 상품권 결제 장애", "원인 확인", "원인을 찾았습니다.", "종이 상품권을 사용해 주세요.", "이전 안내", "원인을 확인하고 있습니다.", "최근 해결된 장애", "로그인 실패", "심각"},
			[]string{"Mobile vouchers", "오래된 장애", "manager-kim"}, "ko", true},
		{"English by Accept-Language", "/status", "en-US,en;q=0.9,ko;q=0.5",
			[]string{`lang="en"`, "Mobile vouchers not accepted", "We found the cause.", "Please use paper vouchers.", "Earlier updates", "Recently resolved", "Login failures"},
			[]string{"모바일 상품권", "Old outage", "manager-kim"}, "en", true},
		{"English by the switch", "/status?lang=en", "ko", []string{"Mobile vouchers not accepted"}, nil, "en", false},
		{"Korean when no language is known", "/status", "fr", []string{"모바일 상품권 결제 장애"}, nil, "ko", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := get(p.HTML, tc.target, map[string]string{"Accept-Language": tc.accept})
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d", rec.Code)
			}
			body := rec.Body.String()
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			for _, w := range tc.wantNot {
				if strings.Contains(body, w) {
					t.Errorf("page shows %q", w)
				}
			}
			if got := rec.Header().Get("Content-Language"); got != tc.language {
				t.Errorf("Content-Language %q, want %q", got, tc.language)
			}
			if got := rec.Header().Get("Vary") == "Accept-Language"; got != tc.vary {
				t.Errorf("Vary: Accept-Language is %v, want %v", got, tc.vary)
			}
		})
	}
}

func TestPageNormal(t *testing.T) {
	p := newPage(t, &fakeSource{})
	for locale, want := range map[string]string{"ko": "모든 시스템이 정상 작동 중입니다", "en": "All systems normal"} {
		if body := get(p.HTML, "/status?lang="+locale, nil).Body.String(); !strings.Contains(body, want) {
			t.Errorf("%s page lacks %q", locale, want)
		}
	}
	var doc status.Document
	if err := json.Unmarshal(get(p.JSON, "/status.json", nil).Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Status != "normal" || doc.Active == nil || len(doc.Active) != 0 {
		t.Errorf("status.json = %+v, want normal with an empty list", doc)
	}
	// The script shows nothing when all is well: its data is an empty list.
	if js := get(p.Embed, "/status/embed.js", nil).Body.String(); !strings.Contains(js, "var items = [];") {
		t.Errorf("embed.js with no incident does not carry an empty list:\n%s", js)
	}
}

func TestPageValidators(t *testing.T) {
	src := &fakeSource{incs: []kb.Incident{voucherIncident()}}
	p := newPage(t, src)
	for _, h := range []struct {
		name    string
		handler http.HandlerFunc
		target  string
	}{{"html", p.HTML, "/status?lang=ko"}, {"json", p.JSON, "/status.json"}, {"feed", p.Feed, "/status/feed.atom?lang=en"}, {"embed", p.Embed, "/status/embed.js"}} {
		t.Run(h.name, func(t *testing.T) {
			first := get(h.handler, h.target, nil)
			etag, lm := first.Header().Get("ETag"), first.Header().Get("Last-Modified")
			if etag == "" || lm == "" || first.Header().Get("Cache-Control") != status.CacheControl {
				t.Fatalf("headers %v lack ETag, Last-Modified or Cache-Control", first.Header())
			}
			if want := now.Add(-10 * time.Minute).Format(http.TimeFormat); lm != want {
				t.Errorf("Last-Modified %s, want %s (the latest change)", lm, want)
			}
			if rec := get(h.handler, h.target, map[string]string{"If-None-Match": etag}); rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
				t.Errorf("If-None-Match with the ETag: %d with %d bytes, want 304 and none", rec.Code, rec.Body.Len())
			}
			if rec := get(h.handler, h.target, map[string]string{"If-Modified-Since": lm}); rec.Code != http.StatusNotModified {
				t.Errorf("If-Modified-Since Last-Modified: %d, want 304", rec.Code)
			}
			if rec := get(h.handler, h.target, map[string]string{"If-None-Match": `"other"`}); rec.Code != http.StatusOK {
				t.Errorf("another ETag: %d, want 200", rec.Code)
			}
		})
	}
	// The same incidents built by another instance give the same ETag: a
	// CDN in front of several instances revalidates with any of them.
	other := newPage(t, src)
	if a, b := get(p.HTML, "/status?lang=ko", nil).Header().Get("ETag"), get(other.HTML, "/status?lang=ko", nil).Header().Get("ETag"); a != b {
		t.Errorf("two builds of the same incidents differ: %s vs %s", a, b)
	}
}

func TestPageJSONAndFeed(t *testing.T) {
	p := newPage(t, &fakeSource{incs: []kb.Incident{voucherIncident()}})
	rec := get(p.JSON, "/status.json", nil)
	if rec.Header().Get("Access-Control-Allow-Origin") != "*" {
		t.Error("status.json is not readable from other origins")
	}
	if strings.Contains(rec.Body.String(), "manager-kim") || strings.Contains(rec.Body.String(), "author") {
		t.Errorf("status.json names the author: %s", rec.Body)
	}
	var doc status.Document
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Status != "disrupted" || len(doc.Active) != 1 {
		t.Fatalf("status.json = %+v", doc)
	}
	inc := doc.Active[0]
	if inc.ID != "inc-voucher" || inc.Title.KO != "모바일 상품권 결제 장애" || inc.Title.EN != "Mobile vouchers not accepted" ||
		len(inc.Updates) != 2 || inc.Updates[0].Version != 2 || inc.Updates[0].Workaround == nil || inc.Updates[0].ETA == nil {
		t.Errorf("incident = %+v", inc)
	}

	var feed struct {
		XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
		Updated string   `xml:"updated"`
		Entries []struct {
			Title   string `xml:"title"`
			ID      string `xml:"id"`
			Content string `xml:"content"`
		} `xml:"entry"`
	}
	body := get(p.Feed, "/status/feed.atom?lang=ko", nil).Body.Bytes()
	if err := xml.Unmarshal(body, &feed); err != nil {
		t.Fatalf("feed does not parse: %v\n%s", err, body)
	}
	if len(feed.Entries) != 2 || feed.Entries[0].Title != "[원인 확인] 모바일 상품권 결제 장애" ||
		!strings.Contains(feed.Entries[0].Content, "종이 상품권") || feed.Entries[0].ID == feed.Entries[1].ID {
		t.Errorf("feed = %+v", feed)
	}
}

// TestPageEscapes checks that what a manager typed cannot break out of the
// page, the feed or the script.
func TestPageEscapes(t *testing.T) {
	inc := voucherIncident()
	inc.TitleEN = `</script><script>alert(1)</script> & "x"`
	inc.Updates[1].TextEN = `<img src=x onerror=alert(1)>`
	p := newPage(t, &fakeSource{incs: []kb.Incident{inc}})
	for _, c := range []struct {
		h      http.HandlerFunc
		target string
	}{{p.HTML, "/status?lang=en"}, {p.Feed, "/status/feed.atom?lang=en"}, {p.Embed, "/status/embed.js"}} {
		body := get(c.h, c.target, nil).Body.String()
		if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x") {
			t.Errorf("%s carries the markup unescaped:\n%s", c.target, body)
		}
	}
}

func TestPageNotReadyAndFailedRebuild(t *testing.T) {
	src := &fakeSource{err: errors.New("database down")}
	p := status.New(status.Options{Source: src})
	if err := p.Rebuild(context.Background()); err == nil {
		t.Fatal("Rebuild with a failing source succeeded")
	}
	if rec := get(p.HTML, "/status", nil); rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Errorf("before any build: %d, want 503 with Retry-After", rec.Code)
	}
	src.mu.Lock()
	src.incs, src.err = []kb.Incident{voucherIncident()}, nil
	src.mu.Unlock()
	if err := p.Rebuild(context.Background()); err != nil {
		t.Fatal(err)
	}
	src.mu.Lock()
	src.err = errors.New("database down again")
	src.mu.Unlock()
	if err := p.Rebuild(context.Background()); err == nil {
		t.Fatal("Rebuild with a failing source succeeded")
	}
	if body := get(p.HTML, "/status?lang=ko", nil).Body.String(); !strings.Contains(body, "모바일 상품권 결제 장애") {
		t.Error("a failed rebuild dropped the page that was built")
	}
}

// TestPageWithoutDatabase builds the page from a real database, closes the
// database, and serves every representation: nothing on the request path
// needs SQL. Then, on a second database, a change announced over NATS
// reaches the page without a request touching SQL either.
func TestPageWithoutDatabase(t *testing.T) {
	for name, url := range storagetest.URLs(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db := storagetest.Open(t, url)
			inc := voucherIncident()
			updates := inc.Updates
			inc.Updates, inc.Status = nil, kb.Investigating
			if _, err := db.CreateIncident(ctx, "test", inc); err != nil {
				t.Fatal(err)
			}
			if _, err := db.AddIncidentUpdate(ctx, "test", inc.ID, updates[0]); err != nil {
				t.Fatal(err)
			}
			b := bustest.Embedded(t)
			p := status.New(status.Options{Source: db, Resync: time.Hour})
			followCtx, stop := context.WithCancel(ctx)
			defer stop()
			if err := p.Follow(followCtx, b.Conn); err != nil {
				t.Fatal(err)
			}
			if err := p.Rebuild(ctx); err != nil {
				t.Fatal(err)
			}
			if body := get(p.HTML, "/status?lang=ko", nil).Body.String(); strings.Contains(body, "원인을 찾았습니다.") {
				t.Fatal("the update is on the page before it was posted")
			}
			// An update posted by "another instance": SQL, then the announcement.
			builds := p.Builds()
			if _, err := db.AddIncidentUpdate(ctx, "test", inc.ID, updates[1]); err != nil {
				t.Fatal(err)
			}
			if err := kb.AnnounceChange(b.Conn, "incident:"+inc.ID); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(5 * time.Second)
			for p.Builds() == builds && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if body := get(p.HTML, "/status?lang=ko", nil).Body.String(); !strings.Contains(body, "원인을 찾았습니다.") {
				t.Fatal("the announced update did not reach the page")
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				h      http.HandlerFunc
				target string
				want   string
			}{{p.HTML, "/status?lang=en", "We found the cause."}, {p.JSON, "/status.json", "inc-voucher"},
				{p.Feed, "/status/feed.atom", "원인을 찾았습니다."}, {p.Embed, "/status/embed.js", "inc-voucher"}} {
				rec := get(c.h, c.target, nil)
				if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), c.want) {
					t.Errorf("%s with the database closed: %d, lacks %q", c.target, rec.Code, c.want)
				}
			}
		})
	}
}
