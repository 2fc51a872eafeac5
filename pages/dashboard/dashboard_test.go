package dashboard

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/config"
	"github.com/surgedesk/surgedesk/kb"
	"github.com/surgedesk/surgedesk/storage"
)

var testNow = time.Date(2026, 11, 22, 6, 0, 30, 0, time.UTC)

// fakeStore serves fixed figures and counts the reads.
type fakeStore struct {
	reads atomic.Int64
	err   error
}

func (f *fakeStore) read() error { f.reads.Add(1); return f.err }

func (f *fakeStore) Incidents(context.Context, bool) ([]kb.Incident, error) {
	return []kb.Incident{{ID: "inc-voucher", TitleKO: "모바일 상품권 결제 장애", TitleEN: "Mobile vouchers not accepted",
		Status: kb.Identified, Severity: kb.Critical, StartedAt: testNow.Add(-20 * time.Minute),
		Updates: []kb.Update{{Version: 1, Status: kb.Identified, TextKO: "원인을 찾았습니다.", TextEN: "Found it.", CreatedAt: testNow.Add(-10 * time.Minute)}}}}, f.read()
}

func (f *fakeStore) IncidentCounts(_ context.Context, _ string, bucketMS, since int64) ([]storage.VolumeBucket, error) {
	// Two non-empty minutes; the rest must be filled in as zero.
	m := testNow.Add(-20*time.Minute).UnixMilli() / bucketMS * bucketMS
	var out []storage.VolumeBucket
	for _, b := range []storage.VolumeBucket{{Start: m, Inquiries: 3, Answered: 1}, {Start: m + 5*bucketMS, Inquiries: 7, Answered: 7}} {
		if b.Start >= since {
			out = append(out, b)
		}
	}
	return out, f.read()
}

func (f *fakeStore) IncidentReach(context.Context, string) (storage.IncidentReach, error) {
	return storage.IncidentReach{InReplied: 1, Customers: 9, FollowupsSent: 5, FollowupsFailed: 2}, f.read()
}

func (f *fakeStore) DeskVolume(_ context.Context, bucketMS, since int64) ([]storage.VolumeBucket, error) {
	return []storage.VolumeBucket{{Start: since / bucketMS * bucketMS, Inquiries: 4, Answered: 3}}, f.read()
}

func (f *fakeStore) OpenClusters(context.Context, int64, int) ([]storage.Cluster, error) {
	return []storage.Cluster{{ID: "cl-login", Label: []string{"로그인"}, Representative: "로그인이 안 돼요", Inquiries: 40, Customers: 30}}, f.read()
}

func (f *fakeStore) Problems(context.Context, int64, int) ([]storage.Problem, error) {
	return []storage.Problem{{ID: "p-login", Title: "로그인이 계속 실패해요", TitleLang: "ko", OtherTitle: "login keeps failing", OtherLang: "en",
		Clusters: 7, Inquiries: 312, Customers: 280}}, f.read()
}

func (f *fakeStore) RecentCounts(context.Context, []string, int64) (map[string]storage.Recent, error) {
	return map[string]storage.Recent{"cl-login": {Last5m: 20, Last15m: 25}}, f.read()
}

func (f *fakeStore) Alerts(context.Context, string, int) ([]storage.Alert, error) {
	return []storage.Alert{{ClusterID: "cl-login", Label: []string{"로그인"}, PerMinute: 4, Inquiries: 40, Customers: 30, RaisedAt: testNow.UnixMilli()}}, f.read()
}

func (f *fakeStore) OldestWaiting(context.Context, int64) (storage.Cluster, error) {
	return storage.Cluster{}, errors.Join(storage.ErrNotFound, f.read())
}

func (f *fakeStore) FirstReplyTimes(context.Context, int64, int) ([]int64, error) {
	return []int64{60_000, 180_000, 600_000}, f.read()
}

// fakeAlerts records the actions and answers with err.
type fakeAlerts struct {
	mu    sync.Mutex
	calls []string
	err   error
}

func (f *fakeAlerts) DeclareAlert(_ context.Context, actor, id string) (kb.Incident, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "declare "+id+" by "+actor)
	if f.err != nil {
		return kb.Incident{}, f.err
	}
	return kb.Incident{ID: "inc_new"}, nil
}

func (f *fakeAlerts) DismissAlert(_ context.Context, actor, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "dismiss "+id+" by "+actor)
	return f.err
}

const managerSecret = "manager-token-0123456789abcdef"

func newTestDashboard(store Store, alerts Alerts) *Dashboard {
	auth := testAuth()
	auth.Tokens = append(auth.Tokens, config.Token{Name: "kim", Token: managerSecret, Roles: []string{config.RoleRead, config.RoleManager}})
	return New(Options{Auth: auth, Store: store, Alerts: alerts, Now: func() time.Time { return testNow }})
}

// signIn posts a token to the form and returns the response.
func signIn(d *Dashboard, secret string, tls bool) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/dashboard/login", strings.NewReader(url.Values{"token": {secret}, "lang": {"en"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if tls {
		req.TLS = &tlsState
	}
	rec := httptest.NewRecorder()
	d.Login(rec, req)
	return rec
}

var tlsState = tls.ConnectionState{}

func sessionCookie(t *testing.T, rec *httptest.ResponseRecorder) *http.Cookie {
	t.Helper()
	for _, c := range rec.Result().Cookies() {
		if c.Name == CookieName {
			return c
		}
	}
	t.Fatalf("no session cookie in %v", rec.Header())
	return nil
}

func TestLogin(t *testing.T) {
	d := newTestDashboard(&fakeStore{}, &fakeAlerts{})
	tests := []struct {
		name   string
		secret string
		status int
		says   string
	}{
		{"unknown token", "nope", http.StatusUnauthorized, "Unknown token."},
		{"token without the read role", "intake-token-0123456789abcdef", http.StatusForbidden, "lacks the read role"},
		{"empty", "", http.StatusUnauthorized, "Unknown token."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := signIn(d, tc.secret, false)
			if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.says) || len(rec.Result().Cookies()) != 0 {
				t.Errorf("%d, cookies %v, body lacks %q", rec.Code, rec.Result().Cookies(), tc.says)
			}
		})
	}
	for _, overTLS := range []bool{false, true} {
		rec := signIn(d, "viewer-token-0123456789abcdef", overTLS)
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/dashboard?lang=en" {
			t.Fatalf("sign-in: %d to %s", rec.Code, rec.Header().Get("Location"))
		}
		c := sessionCookie(t, rec)
		if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/dashboard" || c.Secure != overTLS || c.MaxAge != int((12*time.Hour).Seconds()) {
			t.Errorf("over TLS %v the cookie is %+v", overTLS, c)
		}
		if strings.Contains(c.Value, "viewer-token") {
			t.Error("the cookie carries the token")
		}
	}
}

func get(d *Dashboard, h http.HandlerFunc, target string, c *http.Cookie, header map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, target, nil)
	if c != nil {
		req.AddCookie(c)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h(rec, req)
	return rec
}

func TestPageAndLive(t *testing.T) {
	store := &fakeStore{}
	d := newTestDashboard(store, &fakeAlerts{})
	if rec := get(d, d.Page, "/dashboard?lang=en", nil, nil); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/dashboard/login?lang=en&reason=signin" {
		t.Errorf("no session: %d to %s", rec.Code, rec.Header().Get("Location"))
	}
	if rec := get(d, d.Live, "/dashboard/live", nil, nil); rec.Code != http.StatusUnauthorized {
		t.Errorf("live without a session: %d", rec.Code)
	}
	c := sessionCookie(t, signIn(d, "viewer-token-0123456789abcdef", false))
	rec := get(d, d.Page, "/dashboard", c, map[string]string{"Accept-Language": "ko-KR,ko"})
	body := rec.Body.String()
	if rec.Code != http.StatusOK || rec.Header().Get("Cache-Control") != "no-store" || !strings.Contains(rec.Header().Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Fatalf("page: %d %v", rec.Code, rec.Header())
	}
	for _, want := range []string{`lang="ko"`, "모바일 상품권 결제 장애", "원인 확인", "데스크 전체", "75%", "3분", "로그인이 안 돼요", "▲ 증가",
		"상위 문제", "로그인이 계속 실패해요", "login keeps failing", `data-label="묶음">7<`, `data-label="문의">312<`,
		`class="f-sent">5<`, `class="f-failed">2<`, `class="f-replied">1<`, `class="f-customers">9<`, `class="f-inquiries">10<`, `class="f-queued">2<`, "선언과 무시는 manager 권한이 필요합니다."} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(body, "declare-cl-login") {
		t.Error("a read-only session gets a declare button")
	}
	// The incident's chart: 21 one-minute buckets (20 minutes ago to now),
	// the two non-empty ones in place, zero between.
	start := strings.Index(body, `data-for="chart-inc-voucher">`)
	if start < 0 {
		t.Fatal("no chart data for the incident")
	}
	data := body[start:]
	data = data[strings.Index(data, ">")+1 : strings.Index(data, "</script>")]
	if !strings.Contains(data, `"series":[[3,0,0,0,0,7,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],[1,0,0,0,0,7,0,`) ||
		!strings.Contains(data, `[2,0,0,0,0,0,0,`) || !strings.Contains(data, `"marks":[{"x":`) {
		t.Errorf("chart data %s", data)
	}

	live := get(d, d.Live, "/dashboard/live?lang=en", c, nil)
	if live.Code != http.StatusOK || live.Header().Get("ETag") == "" || strings.Contains(live.Body.String(), "<html") ||
		!strings.Contains(live.Body.String(), "Mobile vouchers not accepted") {
		t.Fatalf("live: %d %v", live.Code, live.Header())
	}
	if again := get(d, d.Live, "/dashboard/live?lang=en", c, map[string]string{"If-None-Match": live.Header().Get("ETag")}); again.Code != http.StatusNotModified {
		t.Errorf("live with its ETag: %d, want 304", again.Code)
	}

	store.err = errors.New("database down")
	d.mu.Lock()
	d.snap = nil
	d.mu.Unlock()
	if rec := get(d, d.Live, "/dashboard/live", c, nil); rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), `"unavailable"`) {
		t.Errorf("live with the database down: %d %s", rec.Code, rec.Body)
	}
}

// TestOneComputationForManyViewers: fifty viewers at once cost one
// computation; the next one after the TTL costs one more.
func TestOneComputationForManyViewers(t *testing.T) {
	store := &fakeStore{}
	now := testNow
	var mu sync.Mutex
	d := newTestDashboard(store, &fakeAlerts{})
	d.opts.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	c := sessionCookie(t, signIn(d, "viewer-token-0123456789abcdef", false))
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if rec := get(d, d.Live, "/dashboard/live", c, nil); rec.Code != http.StatusOK {
				t.Errorf("live: %d", rec.Code)
			}
		})
	}
	wg.Wait()
	if n := d.Computations(); n != 1 {
		t.Errorf("50 viewers cost %d computations, want 1", n)
	}
	mu.Lock()
	now = now.Add(d.opts.CacheTTL)
	mu.Unlock()
	get(d, d.Live, "/dashboard/live", c, nil)
	if n := d.Computations(); n != 2 {
		t.Errorf("after the TTL: %d computations, want 2", n)
	}
}

func TestActions(t *testing.T) {
	alerts := &fakeAlerts{}
	d := newTestDashboard(&fakeStore{}, alerts)
	viewer := signIn(d, "viewer-token-0123456789abcdef", false)
	manager := signIn(d, managerSecret, false)
	csrfOf := func(rec *httptest.ResponseRecorder) string {
		sess, err := d.sessions.verify(sessionCookie(t, rec).Value)
		if err != nil {
			t.Fatal(err)
		}
		return sess.csrf()
	}
	post := func(h http.HandlerFunc, id string, c *http.Cookie, csrf string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/dashboard/alerts/"+url.PathEscape(id)+"/declare?lang=ko", strings.NewReader(url.Values{"csrf": {csrf}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetPathValue("id", id)
		if c != nil {
			req.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		h(rec, req)
		return rec
	}
	mc, mcsrf := sessionCookie(t, manager), csrfOf(manager)
	// The live part, rendered once for all managers, carries each one's
	// own CSRF token.
	for _, rec := range []*httptest.ResponseRecorder{manager, signIn(d, managerSecret, false)} {
		body := get(d, d.Live, "/dashboard/live", sessionCookie(t, rec), nil).Body.String()
		if !strings.Contains(body, `name="csrf" value="`+csrfOf(rec)+`"`) || strings.Contains(body, csrfPlaceholder) {
			t.Errorf("the live part lacks the session's CSRF token")
		}
	}
	tests := []struct {
		name     string
		h        http.HandlerFunc
		id       string
		cookie   *http.Cookie
		csrf     string
		err      error
		status   int
		location string
		code     string
		call     string
	}{
		{"no session", d.Declare, "cl-login", nil, "", nil, http.StatusSeeOther, "/dashboard/login?lang=ko&reason=signin", "", ""},
		{"viewer", d.Declare, "cl-login", sessionCookie(t, viewer), csrfOf(viewer), nil, http.StatusForbidden, "", "forbidden", ""},
		{"no CSRF token", d.Declare, "cl-login", mc, "", nil, http.StatusForbidden, "", "csrf", ""},
		{"another session's CSRF token", d.Declare, "cl-login", mc, csrfOf(viewer), nil, http.StatusForbidden, "", "csrf", ""},
		{"bad id", d.Declare, "cl login<", mc, mcsrf, nil, http.StatusBadRequest, "", "invalid_field", ""},
		{"declare", d.Declare, "cl-login", mc, mcsrf, nil, http.StatusSeeOther, "/dashboard?incident=inc_new&lang=ko&notice=declared#alerts", "", "declare cl-login by dashboard:kim"},
		{"dismiss", d.Dismiss, "cl-login", mc, mcsrf, nil, http.StatusSeeOther, "/dashboard?lang=ko&notice=dismissed#alerts", "", "dismiss cl-login by dashboard:kim"},
		{"decided already", d.Declare, "cl-login", mc, mcsrf, storage.ErrExists, http.StatusSeeOther, "/dashboard?lang=ko&notice=decided#alerts", "", "declare cl-login by dashboard:kim"},
		{"no such alert", d.Dismiss, "cl-gone", mc, mcsrf, storage.ErrNotFound, http.StatusSeeOther, "/dashboard?lang=ko&notice=decided#alerts", "", "dismiss cl-gone by dashboard:kim"},
		{"failure", d.Declare, "cl-login", mc, mcsrf, errors.New("database down"), http.StatusInternalServerError, "", "internal", "declare cl-login by dashboard:kim"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			alerts.mu.Lock()
			alerts.calls, alerts.err = nil, tc.err
			alerts.mu.Unlock()
			rec := post(tc.h, tc.id, tc.cookie, tc.csrf)
			if rec.Code != tc.status || rec.Header().Get("Location") != tc.location {
				t.Errorf("%d to %q, want %d to %q (%s)", rec.Code, rec.Header().Get("Location"), tc.status, tc.location, rec.Body)
			}
			if tc.code != "" && !strings.Contains(rec.Body.String(), `"code":"`+tc.code+`"`) {
				t.Errorf("body %s, want code %s", rec.Body, tc.code)
			}
			alerts.mu.Lock()
			defer alerts.mu.Unlock()
			if got := strings.Join(alerts.calls, ","); got != tc.call {
				t.Errorf("calls %q, want %q", got, tc.call)
			}
		})
	}
}

func TestFill(t *testing.T) {
	base := time.Date(2026, 11, 22, 6, 0, 0, 0, time.UTC)
	min := time.Minute.Milliseconds()
	s := fill([]storage.VolumeBucket{{Start: base.UnixMilli() + 2*min, Inquiries: 5, Answered: 2}, {Start: base.UnixMilli() - min, Inquiries: 9}},
		time.Minute, base.Add(30*time.Second), base.Add(3*time.Minute+10*time.Second))
	if len(s.Start) != 4 || s.Start[0] != base.UnixMilli() || s.Start[3] != base.UnixMilli()+3*min {
		t.Fatalf("buckets %v", s.Start)
	}
	if want := []int64{0, 0, 5, 0}; !equal(s.Inquiries, want) {
		t.Errorf("inquiries %v, want %v (one outside dropped)", s.Inquiries, want)
	}
	for _, tc := range []struct {
		span time.Duration
		want time.Duration
	}{{time.Minute, time.Minute}, {3 * time.Hour, time.Minute}, {5 * time.Hour, 2 * time.Minute}, {3 * 24 * time.Hour, 30 * time.Minute}, {400 * 24 * time.Hour, 24 * time.Hour}} {
		if got := bucketFor(tc.span); got != tc.want {
			t.Errorf("bucketFor(%s) = %s, want %s", tc.span, got, tc.want)
		}
	}
}

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// minuteRows is a series of inquiries per minute that counts itself like
// storage does, and records what it was asked.
type minuteRows struct {
	rows  map[int64]int64 // minute start → inquiries
	asked []string
}

func (m *minuteRows) count(_ context.Context, bucketMS, since int64) ([]storage.VolumeBucket, error) {
	m.asked = append(m.asked, fmt.Sprintf("%s from %d", time.Duration(bucketMS)*time.Millisecond, since/time.Minute.Milliseconds()))
	sums := map[int64]int64{}
	for start, n := range m.rows {
		if start >= since {
			sums[start/bucketMS*bucketMS] += n
		}
	}
	var out []storage.VolumeBucket
	for start, n := range sums {
		out = append(out, storage.VolumeBucket{Start: start, Inquiries: n})
	}
	return out, nil
}

func total(bs []storage.VolumeBucket) (n int64) {
	for _, b := range bs {
		n += b.Inquiries
	}
	return n
}

func TestBucketCacheMinutes(t *testing.T) {
	minute := time.Minute.Milliseconds()
	t0 := time.Unix(0, 0)
	series := &minuteRows{rows: map[int64]int64{}}
	for m := range int64(66) { // minutes 0 to 65
		series.rows[m*minute] = 1
	}
	var c bucketCache
	read := func(now time.Time) []storage.VolumeBucket {
		got, err := c.read(context.Background(), series.count, time.Minute, now.Add(-time.Hour), now)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	at := func(m int, sec int) time.Time {
		return t0.Add(time.Duration(m)*time.Minute + time.Duration(sec)*time.Second)
	}

	if got := read(at(65, 40)); total(got) != 61 || len(got) != 61 {
		t.Fatalf("first read: %d inquiries in %d buckets, want 61 (minutes 5 to 65)", total(got), len(got))
	}
	// Minute 65 is not final yet: a late arrival in it is taken in; minute
	// 40 is, so one there waits for the recount.
	series.rows[65*minute], series.rows[40*minute] = 5, 9
	series.asked = nil
	if got := read(at(66, 40)); total(got) != 59+5 {
		t.Errorf("second read: %d inquiries, want 64", total(got))
	}
	if want := "1m0s from 65,1m0s from 66"; strings.Join(series.asked, ",") != want {
		t.Errorf("second read asked %v, want %s: only what is not final", series.asked, want)
	}
	series.asked = nil
	if got := read(at(66, 40).Add(recount)); total(got) != 48+9+5 {
		t.Errorf("after the recount: %d inquiries, want 62", total(got))
	}
	if len(series.asked) == 0 || series.asked[0] != "1m0s from 16" {
		t.Errorf("the recount asked %v, want the whole hour from minute 16", series.asked)
	}
}

// TestBucketCacheHours: an old incident's chart has hour buckets; a
// refresh still counts only the last minutes, and the current hour is the
// sum of its minutes.
func TestBucketCacheHours(t *testing.T) {
	minute := time.Minute.Milliseconds()
	series := &minuteRows{rows: map[int64]int64{}}
	for m := range int64(10 * 60) { // ten hours, one a minute
		series.rows[m*minute] = 1
	}
	var c bucketCache
	start := time.Unix(0, 0)
	read := func(now time.Time) []storage.VolumeBucket {
		got, err := c.read(context.Background(), series.count, time.Hour, start, now)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	now := start.Add(9*time.Hour + 59*time.Minute + 50*time.Second)
	got := read(now)
	if total(got) != 600 || len(got) != 10 || got[9].Inquiries != 60 {
		t.Fatalf("first read: %d in %d buckets (last %+v)", total(got), len(got), got[len(got)-1])
	}
	series.rows[599*minute] = 3 // late, in a minute not final
	series.asked = nil
	got = read(now.Add(5 * time.Second))
	if got[9].Inquiries != 62 || strings.Join(series.asked, ",") != "1m0s from 599" {
		t.Errorf("refresh: the current hour has %d, asked %v; want 62 from minute 599 only", got[9].Inquiries, series.asked)
	}
	// The hour ends: it is counted whole once, as an hour bucket.
	series.rows[600*minute] = 1
	series.asked = nil
	got = read(start.Add(10*time.Hour + 31*time.Second))
	if len(got) != 11 || got[9].Inquiries != 62 || got[10].Inquiries != 1 || strings.Join(series.asked, ",") != "1h0m0s from 540,1m0s from 600" {
		t.Errorf("after the hour: %d buckets, asked %v", len(got), series.asked)
	}
}

func TestGroupDigits(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want string
	}{{int64(0), "0"}, {999, "999"}, {int64(1000), "1,000"}, {int64(1072508), "1,072,508"}, {-12345, "-12,345"}, {"x", "x"}} {
		if got := groupDigits(tc.in); got != tc.want {
			t.Errorf("groupDigits(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
