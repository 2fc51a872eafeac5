package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/surgedesk/surgedesk/config"
	"github.com/surgedesk/surgedesk/pages/dashboard"
)

// ChromiumEnv names the variable that points the browser tests at a
// Chromium binary (Debian's chromium package: /usr/bin/chromium).
// ScreenshotsEnv, when set, names a directory for the pages' screenshots
// (docs/ keeps them).
const (
	ChromiumEnv    = "SURGEDESK_TEST_CHROMIUM"
	ScreenshotsEnv = "SURGEDESK_TEST_SCREENSHOTS"
)

// Tokens of the browser tests: one that may only read, one manager.
const (
	viewerToken  = "viewer-token-0123456789abcdef"
	managerToken = "manager-token-0123456789abcdef"
)

// browser starts headless Chromium with this machine's flags and a fresh
// profile, or skips the test when ChromiumEnv is unset.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := os.Getenv(ChromiumEnv)
	if path == "" {
		t.Skip("browser tests skipped: set " + ChromiumEnv + " to a Chromium binary (apt-get install chromium; " + ChromiumEnv + "=/usr/bin/chromium)")
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("%s=%s: %v", ChromiumEnv, path, err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 1000),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		_ = chromedp.Cancel(ctx)
		cancel()
		cancelAlloc()
	})
	// The first Run starts the browser; it must not carry a timeout.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("chromium did not start: %v", err)
	}
	return ctx
}

// within runs steps with a time limit.
func within(t *testing.T, ctx context.Context, d time.Duration, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

// jsEval evaluates a JavaScript expression in the page.
func jsEval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// waitFor evaluates expr until it is true.
func waitFor(t *testing.T, ctx context.Context, d time.Duration, what, expr string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		if jsEval[bool](t, ctx, expr) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s (%s)", d, what, expr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv(ScreenshotsEnv)
	if dir == "" {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// api calls the HTTP API with a token.
func api(t *testing.T, base, token, method, path string, body any, out any) int {
	t.Helper()
	var rd *strings.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	} else {
		rd = strings.NewReader("")
	}
	req, _ := http.NewRequest(method, base+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		_ = json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

// postInquiries posts n inquiries from distinct customers and waits until
// they are stored; it returns their ids.
func postInquiries(t *testing.T, c client, prefix string, n int, texts ...string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var ids []string
	for i := range n {
		code, id, err := c.post(ctx, fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano(), i), texts[i%len(texts)])
		if err != nil || code != http.StatusAccepted {
			t.Fatalf("post: %d, %v", code, err)
		}
		ids = append(ids, id)
	}
	c.settle(t, ctx)
	return ids
}

func clusterOf(t *testing.T, base, inquiryID string) string {
	t.Helper()
	var in struct {
		ClusterID string `json:"cluster_id"`
	}
	if code := api(t, base, testToken, "GET", "/v1/inquiries/"+inquiryID, nil, &in); code != 200 || in.ClusterID == "" {
		t.Fatalf("inquiry %s: %d, cluster %q", inquiryID, code, in.ClusterID)
	}
	return in.ClusterID
}

// TestPagesInBrowser drives both pages in headless Chromium against a
// whole server (serve, embedded NATS and SQLite).
func TestPagesInBrowser(t *testing.T) {
	t.Parallel()
	ctx := browser(t)
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.Auth.AdminToken = testToken
	cfg.Auth.Tokens = []config.Token{
		{Name: "viewer", Token: viewerToken, Roles: []string{config.RoleRead}},
		{Name: "manager-kim", Token: managerToken, Roles: []string{config.RoleRead, config.RoleManager}},
	}
	cfg.Alerts.SurgePerMinute, cfg.Alerts.MinCustomers = 1, 3
	c := serveInProcess(t, cfg)
	base := c.base

	// An incident declared through the API, and a cluster of inquiries
	// about it (two customers: too few for a surge alert).
	var inc struct {
		ID string `json:"id"`
	}
	if code := api(t, base, managerToken, "POST", "/v1/incidents", map[string]any{
		"title_ko": "모바일 상품권 결제 장애", "title_en": "Mobile vouchers not accepted", "severity": "critical",
		"status": "investigating", "components": []string{"voucher"},
	}, &inc); code != http.StatusCreated || inc.ID == "" {
		t.Fatalf("declare: %d %+v", code, inc)
	}
	if code := api(t, base, managerToken, "POST", "/v1/incidents/"+inc.ID+"/updates", map[string]any{
		"status": "investigating", "text_ko": "원인을 확인하고 있습니다.", "text_en": "We are looking into it.",
	}, nil); code != http.StatusCreated {
		t.Fatalf("first update: %d", code)
	}
	voucher := []string{"모바일 상품권 결제가 안 돼요", "모바일 상품권 결제가 안 돼요ㅠㅠ"}
	ids := postInquiries(t, c, "v", 2, voucher...)
	voucherCluster := clusterOf(t, base, ids[0])
	if code := api(t, base, testToken, "POST", "/v1/clusters/"+voucherCluster+"/link", map[string]string{"incident_id": inc.ID}, nil); code != 200 {
		t.Fatalf("link: %d", code)
	}
	postInquiries(t, c, "v", 4, voucher...)

	t.Run("dashboard refuses without a valid session", func(t *testing.T) {
		within(t, ctx, 20*time.Second, chromedp.Navigate(base+"/dashboard?lang=en"), chromedp.WaitVisible(chromedp.CSS("#token")))
		if loc := jsEval[string](t, ctx, "location.pathname + location.search"); loc != "/dashboard/login?lang=en&reason=signin" {
			t.Errorf("without a session the dashboard sent the browser to %s", loc)
		}
		// A forged cookie: a real sign-in's cookie with its expiry moved.
		forged := "v1.0123456789abcdef01234567." + fmt.Sprint(time.Now().Add(time.Hour).Unix()) + ".00.AAAA"
		// An expired one, signed properly by a dashboard whose clock is 13 hours behind.
		past := dashboard.New(dashboard.Options{Auth: cfg.Auth, Now: func() time.Time { return time.Now().Add(-13 * time.Hour) }})
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("POST", "/dashboard/login", strings.NewReader(url.Values{"token": {managerToken}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		past.Login(rec, req)
		var expired string
		for _, ck := range rec.Result().Cookies() {
			if ck.Name == dashboard.CookieName {
				expired = ck.Value
			}
		}
		if expired == "" {
			t.Fatal("no session cookie from the sign-in with a past clock")
		}
		httpOnly := true
		for _, tc := range []struct{ name, value, reason, text string }{
			{"forged", forged, "invalid", "Your session is not valid"},
			{"expired", expired, "expired", "Your session expired"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if _, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: dashboard.CookieName, Value: tc.value, URL: base + "/dashboard", Path: "/dashboard", HTTPOnly: &httpOnly}); err != nil {
					t.Fatal(err)
				}
				within(t, ctx, 20*time.Second, chromedp.Navigate(base+"/dashboard?lang=en"), chromedp.WaitVisible(chromedp.CSS("#reason")))
				if loc := jsEval[string](t, ctx, "location.pathname + location.search"); loc != "/dashboard/login?lang=en&reason="+tc.reason {
					t.Errorf("with a %s session the dashboard sent the browser to %s", tc.name, loc)
				}
				if text := jsEval[string](t, ctx, `document.querySelector("#reason").textContent`); !strings.Contains(text, tc.text) {
					t.Errorf("the form says %q", text)
				}
				// The live part refuses it too.
				status := jsEval[float64](t, ctx, `fetch("/dashboard/live").then(r => r.status)`)
				if status != 401 {
					t.Errorf("/dashboard/live with a %s session: %v, want 401", tc.name, status)
				}
			})
		}
	})

	t.Run("sign-in shows the incident and its chart grows", func(t *testing.T) {
		within(t, ctx, 20*time.Second,
			chromedp.Navigate(base+"/dashboard/login?lang=en"),
			chromedp.WaitVisible(chromedp.CSS("#token")),
			chromedp.SendKeys(chromedp.CSS("#token"), "not-a-token"),
			chromedp.Click(chromedp.CSS("#signin")),
			chromedp.WaitVisible(chromedp.CSS("#reason")),
		)
		if text := jsEval[string](t, ctx, `document.querySelector("#reason").textContent`); !strings.Contains(text, "Unknown token") {
			t.Errorf("a wrong token: the form says %q", text)
		}
		within(t, ctx, 20*time.Second,
			chromedp.SendKeys(chromedp.CSS("#token"), viewerToken),
			chromedp.Click(chromedp.CSS("#signin")),
			chromedp.WaitVisible(chromedp.CSS("#incident-"+inc.ID)),
		)
		if cookie := jsEval[string](t, ctx, "document.cookie"); strings.Contains(cookie, dashboard.CookieName) {
			t.Error("the session cookie is readable from JavaScript (not HttpOnly)")
		}
		title := jsEval[string](t, ctx, `document.querySelector("#incident-`+inc.ID+`-h").textContent`)
		if title != "Mobile vouchers not accepted" {
			t.Errorf("the incident's title is %q", title)
		}
		chart := "chart-" + inc.ID
		sum := `(() => { const c = window.surgedeskCharts && window.surgedeskCharts["` + chart + `"]; return c ? c.plot.data[1].reduce((a, b) => a + b, 0) : -1; })()`
		waitFor(t, ctx, 10*time.Second, "the incident's chart", sum+" > 0")
		before := jsEval[float64](t, ctx, sum)
		if got := jsEval[string](t, ctx, `document.querySelector("#incident-`+inc.ID+` .f-inquiries").textContent`); got != "6" {
			t.Errorf("the incident counts %s inquiries, want 6", got)
		}
		// The viewer may not act: no buttons.
		if n := jsEval[float64](t, ctx, `document.querySelectorAll("button[id^=declare-]").length`); n != 0 {
			t.Errorf("a read-only session sees %v declare buttons", n)
		}
		jsEval[bool](t, ctx, "window.notReloaded = true")
		postInquiries(t, c, "v", 10, voucher...)
		waitFor(t, ctx, 15*time.Second, "the chart to grow without a reload", sum+" > "+fmt.Sprint(before))
		if !jsEval[bool](t, ctx, "window.notReloaded === true") {
			t.Error("the page reloaded itself to show new figures")
		}
		waitFor(t, ctx, 10*time.Second, "the count to follow", `document.querySelector("#incident-`+inc.ID+` .f-inquiries").textContent === "16"`)
		screenshot(t, ctx, "dashboard.png")
	})

	t.Run("a manager declares a surge alert from the page", func(t *testing.T) {
		login := []string{"앱 로그인이 안 돼요", "앱 로그인이 안 돼요ㅠㅠ", "앱 로그인이 계속 안 돼요"}
		ids := postInquiries(t, c, "l", 8, login...)
		loginCluster := clusterOf(t, base, ids[0])
		var alerts struct {
			Alerts []struct {
				ClusterID string `json:"cluster_id"`
				Status    string `json:"status"`
			} `json:"alerts"`
		}
		deadline := time.Now().Add(10 * time.Second)
		for found := false; !found; {
			api(t, base, testToken, "GET", "/v1/alerts", nil, &alerts)
			for _, a := range alerts.Alerts {
				found = found || (a.ClusterID == loginCluster && a.Status == "open")
			}
			if !found && time.Now().After(deadline) {
				t.Fatalf("no open alert for cluster %s: %+v", loginCluster, alerts)
			}
			time.Sleep(100 * time.Millisecond)
		}
		// Sign out (the viewer), in as the manager, in Korean.
		within(t, ctx, 20*time.Second,
			chromedp.Navigate(base+"/dashboard?lang=ko"),
			chromedp.Click(chromedp.CSS("form.signout button")),
			chromedp.WaitVisible(chromedp.CSS("#token")),
			chromedp.SendKeys(chromedp.CSS("#token"), managerToken),
			chromedp.Click(chromedp.CSS("#signin")),
			chromedp.WaitVisible(chromedp.CSS("#declare-"+loginCluster)),
		)
		if h := jsEval[string](t, ctx, `document.querySelector("#alerts-h").textContent`); h != "급증 알림" {
			t.Errorf("the alerts heading is %q in Korean", h)
		}
		// By keyboard: focus the button and press Enter.
		within(t, ctx, 20*time.Second,
			chromedp.Focus(chromedp.CSS("#declare-"+loginCluster)),
			chromedp.KeyEvent("\r"),
			chromedp.WaitVisible(chromedp.CSS("#notice-incident")),
		)
		declared := jsEval[string](t, ctx, `document.querySelector("#notice-incident").textContent`)
		var got struct {
			ID      string `json:"id"`
			TitleKO string `json:"title_ko"`
		}
		if code := api(t, base, testToken, "GET", "/v1/incidents/"+declared, nil, &got); code != 200 || !strings.HasPrefix(got.TitleKO, "문의 급증") {
			t.Fatalf("the declared incident %q: %d %+v", declared, code, got)
		}
		api(t, base, testToken, "GET", "/v1/alerts", nil, &alerts)
		for _, a := range alerts.Alerts {
			if a.ClusterID == loginCluster && a.Status != "declared" {
				t.Errorf("the alert is %s after Declare", a.Status)
			}
		}
		waitFor(t, ctx, 10*time.Second, "the new incident on the dashboard", `!!document.querySelector("#incident-`+declared+`")`)
		if n := jsEval[float64](t, ctx, `document.querySelectorAll("#declare-`+loginCluster+`").length`); n != 0 {
			t.Error("the declared alert still offers Declare")
		}
		screenshot(t, ctx, "dashboard-declared.png")
	})

	t.Run("the status page in Korean and English follows updates", func(t *testing.T) {
		setLanguage := func(l string) {
			if _, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": l}}); err != nil {
				t.Fatal(err)
			}
		}
		setLanguage("ko-KR,ko;q=0.9")
		within(t, ctx, 20*time.Second, chromedp.Navigate(base+"/status"), chromedp.WaitVisible(chromedp.CSS("#"+inc.ID)))
		body := jsEval[string](t, ctx, "document.body.innerText")
		for _, want := range []string{"서비스 상태", "모바일 상품권 결제 장애", "조사 중", "원인을 확인하고 있습니다."} {
			if !strings.Contains(body, want) {
				t.Errorf("the Korean status page lacks %q", want)
			}
		}
		screenshot(t, ctx, "status.png")
		setLanguage("en-US,en;q=0.9")
		within(t, ctx, 20*time.Second, chromedp.Navigate(base+"/status"), chromedp.WaitVisible(chromedp.CSS("#"+inc.ID)))
		body = jsEval[string](t, ctx, "document.body.innerText")
		for _, want := range []string{"Service status", "Mobile vouchers not accepted", "investigating", "We are looking into it."} {
			if !strings.Contains(body, want) {
				t.Errorf("the English status page lacks %q", want)
			}
		}
		if strings.Contains(body, "manager-kim") || strings.Contains(body, voucherCluster) {
			t.Error("the status page shows who posted or an internal id")
		}
		// The language switch, by keyboard.
		within(t, ctx, 20*time.Second, chromedp.Focus(chromedp.CSS(`a[hreflang="ko"]`)), chromedp.KeyEvent("\r"),
			chromedp.WaitVisible(chromedp.CSS(`html[lang="ko"] #overall`)))

		if code := api(t, base, managerToken, "POST", "/v1/incidents/"+inc.ID+"/updates", map[string]any{
			"status": "identified", "text_ko": "원인을 찾았습니다. 결제사와 복구 중입니다.", "text_en": "Found it: fixing it with the payment provider.",
			"workaround_ko": "종이 상품권을 사용해 주세요.", "workaround_en": "Please use paper vouchers.",
		}, nil); code != http.StatusCreated {
			t.Fatalf("update: %d", code)
		}
		// The page may be kept for 15 s (Cache-Control: max-age=15, for
		// CDNs and browsers): what the server sends is what is checked.
		if _, err := chromedp.Call(ctx, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true}); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			within(t, ctx, 20*time.Second, chromedp.Navigate(base+"/status?lang=en"), chromedp.WaitVisible(chromedp.CSS("#"+inc.ID)))
			if strings.Contains(jsEval[string](t, ctx, "document.body.innerText"), "Found it: fixing it with the payment provider.") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the status page did not show the new update")
			}
			time.Sleep(200 * time.Millisecond)
		}
		body = jsEval[string](t, ctx, "document.body.innerText")
		for _, want := range []string{"identified", "Please use paper vouchers.", "Earlier updates", "We are looking into it."} {
			if !strings.Contains(body, want) {
				t.Errorf("after the update the page lacks %q", want)
			}
		}
		setLanguage("ko")
		within(t, ctx, 20*time.Second, chromedp.Navigate(base+"/status"), chromedp.WaitVisible(chromedp.CSS("#"+inc.ID)))
		if body := jsEval[string](t, ctx, "document.body.innerText"); !strings.Contains(body, "원인을 찾았습니다.") || !strings.Contains(body, "원인 확인") {
			t.Error("the Korean page lacks the update")
		}
		screenshot(t, ctx, "status-updated.png")
	})

	t.Run("the embed snippet shows the known issue above a form", func(t *testing.T) {
		form := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, `<!doctype html><html lang="ko"><body><h1>1:1 문의</h1>
<script src="%s/status/embed.js" data-lang="ko"></script>
<form id="inquiry"><label for="q">문의 내용</label><textarea id="q"></textarea></form></body></html>`, base)
		}))
		defer form.Close()
		within(t, ctx, 20*time.Second, chromedp.Navigate(form.URL), chromedp.WaitVisible(chromedp.CSS(".surgedesk-status")))
		text := jsEval[string](t, ctx, `document.querySelector(".surgedesk-status").innerText`)
		if !strings.Contains(text, "알려진 장애: 모바일 상품권 결제 장애") || !strings.Contains(text, "원인을 찾았습니다.") {
			t.Errorf("the notice says %q", text)
		}
		if !jsEval[bool](t, ctx, `document.querySelector(".surgedesk-status").nextElementSibling.nextElementSibling.id === "inquiry"`) {
			t.Error("the notice is not just above the form")
		}
		screenshot(t, ctx, "embed.png")
	})

	t.Run("accessibility and phone width", func(t *testing.T) {
		for _, page := range []struct{ name, path, ready string }{
			{"status", "/status?lang=ko", "#overall"},
			{"dashboard", "/dashboard?lang=ko", "#desk"},
			{"login", "/dashboard/login?lang=en", "#main"},
		} {
			t.Run(page.name, func(t *testing.T) {
				for _, width := range []int64{1280, 390} {
					within(t, ctx, 20*time.Second, chromedp.EmulateViewport(width, 844), chromedp.Navigate(base+page.path), chromedp.WaitVisible(chromedp.CSS(page.ready)))
					if overflow := jsEval[float64](t, ctx, "document.documentElement.scrollWidth - window.innerWidth"); overflow > 0 {
						t.Errorf("at %d px wide the page scrolls sideways by %v px", width, overflow)
					}
					if problems := jsEval[[]string](t, ctx, a11yAudit); len(problems) > 0 {
						t.Errorf("at %d px: %s", width, strings.Join(problems, "; "))
					}
					if width == 390 && page.name != "login" {
						screenshot(t, ctx, page.name+"-phone.png")
					}
				}
			})
		}
		within(t, ctx, 10*time.Second, chromedp.EmulateViewport(1280, 1000))
	})
}

// a11yAudit lists what a basic accessibility check finds wrong: a form
// control without a label, a button or link without a name, an image or
// chart without a text alternative, text with a contrast under 4.5:1
// against its background (3:1 for large text), a page without a main
// landmark or language. It returns a list of problems (empty when none).
const a11yAudit = `(() => {
  const problems = [];
  if (!document.documentElement.lang) problems.push("no lang on <html>");
  if (!document.querySelector("main")) problems.push("no <main>");
  for (const el of document.querySelectorAll("input:not([type=hidden]), textarea, select")) {
    const labelled = (el.id && document.querySelector("label[for='" + el.id + "']")) || el.getAttribute("aria-label") || el.closest("label");
    if (!labelled) problems.push("control without a label: " + (el.id || el.name));
  }
  for (const el of document.querySelectorAll("button, a[href]")) {
    if (!(el.getAttribute("aria-label") || el.textContent.trim())) problems.push("control without a name: " + el.outerHTML.slice(0, 80));
  }
  for (const el of document.querySelectorAll("[role=img], img, canvas")) {
    if (el.tagName === "CANVAS" && el.closest("[role=img]")) continue;
    if (!(el.getAttribute("aria-label") || el.getAttribute("alt"))) problems.push("image without a text alternative: " + (el.id || el.tagName));
  }
  const rgb = s => { const m = s.match(/[\d.]+/g); return m ? m.map(Number) : [0, 0, 0, 0]; };
  const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  const background = el => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length < 4 || c[3] > 0) return c;
    }
    return [255, 255, 255];
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!n.textContent.trim() || seen.has(el) || el.closest("script, style, .visually-hidden, .skip, .u-legend, .chart")) continue;
    seen.add(el);
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height) continue;
    const st = getComputedStyle(el);
    const fg = lum(rgb(st.color)), bg = lum(background(el));
    const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    const large = parseFloat(st.fontSize) >= 24 || (parseFloat(st.fontSize) >= 18.66 && Number(st.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) problems.push("contrast " + ratio.toFixed(2) + " for " + JSON.stringify(n.textContent.trim().slice(0, 30)));
  }
  return problems;
})()`
