package dashboard

import (
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/surgedesk/surgedesk/desk"
	"github.com/surgedesk/surgedesk/kb"
	"github.com/surgedesk/surgedesk/pages"
)

var messages = pages.Messages{
	"title":          {"surgedesk 대시보드", "surgedesk dashboard"},
	"skip":           {"본문으로 건너뛰기", "Skip to content"},
	"language":       {"언어", "Language"},
	"signed_in_as":   {"로그인", "Signed in as"},
	"signout":        {"로그아웃", "Sign out"},
	"signin":         {"로그인", "Sign in"},
	"signin_title":   {"대시보드 로그인", "Sign in to the dashboard"},
	"token":          {"API 토큰", "API token"},
	"token_help":     {"read 권한 이상이 있는 토큰을 입력하세요. 토큰은 저장되지 않고, 서명된 세션 쿠키만 남습니다.", "A token with the read role or higher. The token is not kept: only a signed session cookie is."},
	"r_signin":       {"로그인해 주세요.", "Please sign in."},
	"r_expired":      {"세션이 만료되었습니다. 다시 로그인해 주세요.", "Your session expired. Please sign in again."},
	"r_invalid":      {"세션이 유효하지 않습니다. 다시 로그인해 주세요.", "Your session is not valid. Please sign in again."},
	"r_signedout":    {"로그아웃했습니다.", "You are signed out."},
	"r_unknown":      {"알 수 없는 토큰입니다.", "Unknown token."},
	"r_norole":       {"이 토큰에는 read 권한이 없습니다.", "This token lacks the read role."},
	"r_malformed":    {"요청을 읽을 수 없습니다.", "The form could not be read."},
	"n_declared":     {"장애를 선언했습니다", "Incident declared"},
	"n_dismissed":    {"알림을 무시했습니다.", "Alert dismissed."},
	"n_decided":      {"이 알림은 이미 처리되었습니다.", "This alert was already declared or dismissed."},
	"desk":           {"데스크 전체", "The whole desk"},
	"desk_chart":     {"최근 1시간 분당 문의", "Inquiries per minute, last hour"},
	"last_hour":      {"최근 1시간 문의", "Inquiries, last hour"},
	"last_5":         {"최근 5분 분당 문의", "Per minute, last 5 min"},
	"deflection":     {"자동 응답률", "Answered without an agent"},
	"oldest":         {"가장 오래 기다린 문의", "Oldest unanswered"},
	"first_reply":    {"첫 상담원 답변까지 (중앙값, 24시간)", "Time to first human reply (median, 24 h)"},
	"none":           {"없음", "none"},
	"no_data":        {"자료 없음", "no data"},
	"alerts":         {"급증 알림", "Surge alerts"},
	"no_alerts":      {"열린 알림이 없습니다.", "No open alerts."},
	"declare":        {"장애 선언", "Declare incident"},
	"dismiss":        {"무시", "Dismiss"},
	"manager_only":   {"선언과 무시는 manager 권한이 필요합니다.", "Declaring and dismissing need the manager role."},
	"per_minute":     {"분당", "per minute"},
	"inquiries":      {"문의", "Inquiries"},
	"customers":      {"고객", "Customers"},
	"raised":         {"발생", "Raised"},
	"incidents":      {"진행 중인 장애", "Active incidents"},
	"no_incidents":   {"진행 중인 장애가 없습니다.", "No active incidents."},
	"answered":       {"자동 응답", "Answered automatically"},
	"queued":         {"상담 대기열", "Queued for agents"},
	"replied":        {"상담원이 답한 묶음의 문의", "In clusters an agent replied to"},
	"followups_sent": {"후속 안내 발송", "Follow-ups sent"},
	"followups_fail": {"후속 안내 실패", "Follow-ups failed"},
	"followups_wait": {"후속 안내 대기", "Follow-ups pending"},
	"started":        {"시작", "Started"},
	"updates":        {"상태 안내", "Status updates"},
	"chart_inc":      {"분당 문의 (시작 이후)", "Inquiries per minute since it started"},
	"problems":       {"상위 문제", "Top problems"},
	"no_problems":    {"열린 문제가 없습니다.", "No open problems."},
	"problem":        {"문제", "Problem"},
	"n_clusters":     {"묶음", "Clusters"},
	"clusters":       {"상위 문의 묶음", "Top clusters"},
	"no_clusters":    {"열린 묶음이 없습니다.", "No open clusters."},
	"label":          {"내용", "About"},
	"last5":          {"최근 5분", "Last 5 min"},
	"last15":         {"최근 15분", "Last 15 min"},
	"growth":         {"추세", "Trend"},
	"growing":        {"증가", "growing"},
	"steady":         {"유지·감소", "steady or falling"},
	"incident":       {"장애", "Incident"},
	"updated":        {"갱신", "Updated"},
	"refresh":        {"몇 초마다 자동으로 갱신됩니다.", "Refreshes itself every few seconds."},
	"s_total":        {"전체 문의", "All inquiries"},
	"s_answered":     {"자동 응답", "Answered automatically"},
	"s_queued":       {"상담 대기열", "Queued"},
	"severity":       {"심각도", "Severity"},
	"critical":       {"심각", "critical"},
	"major":          {"주요", "major"},
	"minor":          {"경미", "minor"},
	"chart_summary":  {"%s: 최근 %s, 최고 %s (분당)", "%s: latest %s, peak %s per minute"},
	"minutes":        {"%d분", "%d min"},
	"hours":          {"%d시간 %d분", "%d h %d min"},
	"seconds":        {"%d초", "%d s"},
}

//go:embed templates/*.html
var templateFiles embed.FS

var templates = template.Must(template.New("").Funcs(template.FuncMap{"n": groupDigits}).ParseFS(templateFiles, "templates/*.html"))

// groupDigits writes a count with thousands separators (1,072,508).
func groupDigits(v any) string {
	var n int64
	switch x := v.(type) {
	case int:
		n = int64(x)
	case int64:
		n = x
	default:
		return fmt.Sprint(v)
	}
	digits := strconv.FormatInt(n, 10)
	sign := ""
	if n < 0 {
		sign, digits = "-", digits[1:]
	}
	var b strings.Builder
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	return sign + b.String()
}

// base is what every dashboard template gets.
type base struct {
	Locale, Other, OtherName string
	msg                      func(string) string
	CSRF                     string
	User                     string
	Manager                  bool
	CSS                      template.CSS
	Assets                   map[string]string
}

// T is the page's string for key.
func (b base) T(key string) string { return b.msg(key) }

// F formats the page's string for key with args.
func (b base) F(key string, args ...any) string { return fmt.Sprintf(b.msg(key), args...) }

func newBase(locale string) base {
	b := base{Locale: locale, msg: messages.In(locale), CSS: template.CSS(pages.BaseCSS + pageCSS), Assets: assetURLs}
	b.Other, b.OtherName = "en", "English"
	if locale == "en" {
		b.Other, b.OtherName = "ko", "한국어"
	}
	return b
}

type pageView struct {
	base
	Notice, NoticeIncident string
	Refresh                int64 // ms
	Live                   liveView
}

type liveView struct {
	base
	Updated, UpdatedISO string
	Desk                deskView
	Alerts              []alertView
	Incidents           []incidentView
	Problems            []problemView
	Clusters            []clusterView
}

type deskView struct {
	LastHour, PerMinute5, Deflection string
	Waiting                          *waitingView
	FirstReply                       string
	Replies                          int
	Chart                            chartView
}

type waitingView struct {
	ID, Label, Since, For string
	Customers             int64
}

type alertView struct {
	ClusterID, Label, Representative, PerMinute, Raised string
	Inquiries, Customers                                int64
}

type incidentView struct {
	ID, Title, Status, StatusName, Severity, SeverityName, Started string
	Totals                                                         incidentTotals
	Chart                                                          chartView
	Updates                                                        []updateView
}

type updateView struct {
	Version          int
	StatusName, At   string
	Text, AtISOFixed string
}

// problemView is one problem: its title in the language of most of its
// members, the other language's beside it.
type problemView struct {
	ID, Title, OtherTitle, IncidentID string
	Clusters, Inquiries, Customers    int64
}

type clusterView struct {
	ID, Label, Representative, IncidentID string
	Inquiries, Customers                  int64
	Last5, Last15                         int
	Growing                               bool
}

// chartView is a chart's container and its data for uPlot.
type chartView struct {
	ID, Title, Summary string
	Data               template.JS
}

// chartData is what dashboard.js hands uPlot: x in unix seconds, then one
// series per line, as inquiries per minute; marks are status updates.
type chartData struct {
	X      []int64     `json:"x"`
	Bucket int64       `json:"bucket"` // seconds
	Series [][]float64 `json:"series"`
	Labels []string    `json:"labels"`
	Marks  []chartMark `json:"marks"`
}

type chartMark struct {
	X     int64  `json:"x"`
	Label string `json:"label"`
}

func (d *Dashboard) newPageView(r *http.Request, locale string, sess session, snap *snapshot) pageView {
	v := pageView{Live: d.newLiveView(locale, sess, snap), Refresh: d.opts.Refresh.Milliseconds()}
	v.base = v.Live.base
	q := r.URL.Query()
	switch n := q.Get("notice"); n {
	case "declared", "dismissed", "decided":
		v.Notice = "n_" + n
		if inc := q.Get("incident"); n == "declared" && clusterIDPattern.MatchString(inc) {
			v.NoticeIncident = inc
		}
	}
	return v
}

func (d *Dashboard) newLiveView(locale string, sess session, snap *snapshot) liveView {
	b := newBase(locale)
	b.CSRF, b.User, b.Manager = sess.csrf(), sess.token.name, sess.token.has("manager")
	v := liveView{base: b, Updated: snap.At.In(kst).Format("15:04:05"), UpdatedISO: snap.At.UTC().Format(time.RFC3339)}
	t := b.T

	figures := snap.Desk
	v.Desk.LastHour = groupDigits(figures.LastHour)
	v.Desk.PerMinute5 = perMinute(float64(figures.Last5Minutes) / 5)
	v.Desk.Deflection = t("no_data")
	if f := figures.Deflection(); f >= 0 {
		v.Desk.Deflection = fmt.Sprintf("%.0f%%", f*100)
	}
	if w := figures.Waiting; w != nil {
		v.Desk.Waiting = &waitingView{ID: w.ID, Label: desk.ClusterLabel(*w), Customers: w.Customers,
			Since: kb.FormatTime(time.UnixMilli(w.FirstSeen), locale), For: b.duration(snap.At.Sub(time.UnixMilli(w.FirstSeen)))}
	}
	v.Desk.Replies = len(figures.ReplyTimes)
	v.Desk.FirstReply = t("no_data")
	if v.Desk.Replies > 0 {
		v.Desk.FirstReply = b.duration(time.Duration(figures.MedianReplyMS) * time.Millisecond)
	}
	v.Desk.Chart = b.chart("chart-desk", t("desk_chart"), figures.PerMinute, nil, []string{t("s_total"), t("s_answered")})

	for _, a := range snap.Alerts {
		v.Alerts = append(v.Alerts, alertView{ClusterID: a.ClusterID, Label: strings.Join(a.Label, " · "), Representative: a.Representative,
			PerMinute: perMinute(a.PerMinute), Inquiries: a.Inquiries, Customers: a.Customers,
			Raised: kb.FormatTime(time.UnixMilli(a.RaisedAt), locale)})
	}
	for _, f := range snap.Incidents {
		inc := f.Incident
		iv := incidentView{ID: inc.ID, Title: inc.Title(locale), Status: string(inc.Status), StatusName: inc.Status.Name(locale),
			Severity: string(inc.Severity), SeverityName: t(string(inc.Severity)), Started: kb.FormatTime(inc.StartedAt, locale), Totals: f.Totals}
		marks := []chartMark{{X: inc.StartedAt.Unix(), Label: t("started")}}
		for _, u := range inc.Updates {
			marks = append(marks, chartMark{X: u.CreatedAt.Unix(), Label: fmt.Sprintf("#%d %s", u.Version, u.Status.Name(locale))})
			iv.Updates = append(iv.Updates, updateView{Version: u.Version, StatusName: u.Status.Name(locale),
				At: kb.FormatTime(u.CreatedAt, locale), Text: u.Text(locale)})
		}
		iv.Chart = b.chart("chart-"+inc.ID, t("chart_inc")+": "+iv.Title, f.Volume, marks, []string{t("s_total"), t("s_answered"), t("s_queued")})
		v.Incidents = append(v.Incidents, iv)
	}
	for _, p := range snap.Problems {
		v.Problems = append(v.Problems, problemView{ID: p.ID, Title: p.Title, OtherTitle: p.OtherTitle, IncidentID: p.IncidentID,
			Clusters: p.Clusters, Inquiries: p.Inquiries, Customers: p.Customers})
	}
	for _, c := range snap.Clusters {
		v.Clusters = append(v.Clusters, clusterView{ID: c.ID, Label: desk.ClusterLabel(c.Cluster), Representative: otherThan(c.Representative, desk.ClusterLabel(c.Cluster)),
			IncidentID: c.IncidentID, Inquiries: c.Inquiries, Customers: c.Customers, Last5: c.Last5m, Last15: c.Last15m, Growing: c.Growing()})
	}
	return v
}

func perMinute(f float64) string {
	if f >= 10 || f == math.Trunc(f) {
		return fmt.Sprintf("%.0f", f)
	}
	return fmt.Sprintf("%.1f", f)
}

// chart prepares a series for uPlot: counts per bucket become inquiries
// per minute. With three labels the third line is the queued ones.
func (b base) chart(id, title string, s series, marks []chartMark, labels []string) chartView {
	minutes := float64(s.BucketMS) / float64(time.Minute.Milliseconds())
	if minutes <= 0 {
		minutes = 1
	}
	d := chartData{X: make([]int64, len(s.Start)), Bucket: s.BucketMS / 1000, Labels: labels, Marks: marks}
	if d.Marks == nil {
		d.Marks = []chartMark{}
	}
	d.Series = make([][]float64, len(labels))
	for i := range d.Series {
		d.Series[i] = make([]float64, len(s.Start))
	}
	peak, latest := 0.0, 0.0
	for i, start := range s.Start {
		d.X[i] = start / 1000
		total, answered := float64(s.Inquiries[i])/minutes, float64(s.Answered[i])/minutes
		d.Series[0][i] = round(total)
		if len(labels) > 1 {
			d.Series[1][i] = round(answered)
		}
		if len(labels) > 2 {
			d.Series[2][i] = round(total - answered)
		}
		peak = max(peak, total)
		latest = total
	}
	data, _ := json.Marshal(d)
	return chartView{ID: id, Title: title, Data: template.JS(data), Summary: b.F("chart_summary", title, perMinute(latest), perMinute(peak))}
}

func round(f float64) float64 { return math.Round(f*100) / 100 }

// duration says how long, in minutes (or seconds, or hours and minutes).
func (b base) duration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return b.F("seconds", int(d.Seconds()))
	case d < time.Hour:
		return b.F("minutes", int(d.Minutes()))
	default:
		return b.F("hours", int(d.Hours()), int(d.Minutes())%60)
	}
}

var kst = time.FixedZone("KST", 9*60*60)

func (d *Dashboard) renderLogin(w http.ResponseWriter, locale string, status int, reason string) {
	v := struct {
		base
		Reason string
		Error  bool
	}{base: newBase(locale)}
	switch reason {
	case "signin", "expired", "invalid", "signedout", "unknown", "norole", "malformed":
		v.Reason = "r_" + reason
	}
	v.Error = status >= 400 || reason == "expired" || reason == "invalid"
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := templates.ExecuteTemplate(w, "login", v); err != nil {
		d.opts.Log.Error("login form not rendered", "err", err)
	}
}

//go:embed assets
var assetFiles embed.FS

// assets are the embedded scripts and styles, served with a long cache
// life under URLs that change with their content.
var assets, assetURLs = loadAssets()

func loadAssets() (map[string]pages.Body, map[string]string) {
	types := map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
	bodies, urls := map[string]pages.Body{}, map[string]string{}
	entries, err := assetFiles.ReadDir("assets")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		ct, ok := types[path.Ext(e.Name())]
		if !ok {
			continue // the licence and README stay in the source tree
		}
		data, err := assetFiles.ReadFile("assets/" + e.Name())
		if err != nil {
			panic(err)
		}
		b := pages.NewBody(ct, data, time.Time{}, "public, max-age=31536000, immutable")
		bodies[e.Name()] = b
		urls[e.Name()] = "/dashboard/assets/" + e.Name() + "?v=" + strings.Trim(b.ETag, `"`)[:10]
	}
	return bodies, urls
}

// Asset serves GET /dashboard/assets/{name}.
func (d *Dashboard) Asset(w http.ResponseWriter, r *http.Request) {
	b, ok := assets[r.PathValue("name")]
	if !ok {
		pages.Error(w, http.StatusNotFound, "not_found", "no such asset")
		return
	}
	b.Serve(w, r)
}

const pageCSS = `
.notice { border: 2px solid #166534; background: #f0fdf4; color: #14532d; border-radius: .5rem; padding: .75rem 1rem; margin-bottom: 1rem; }
.notice.error { border-color: #b91c1c; background: #fef2f2; color: #7f1d1d; }
.chart { min-height: 240px; width: 100%; overflow: hidden; }
.chart-fallback { font-size: .875rem; }
.incident-head { display: flex; flex-wrap: wrap; gap: .5rem; align-items: baseline; }
.incident-head h3 { margin: 0; flex: 1 1 16rem; }
.actions { display: flex; gap: .5rem; flex-wrap: wrap; }
.actions form { margin: 0; }
ol.updates { padding-left: 1.25rem; margin: .5rem 0 0; }
.signout { display: inline; margin: 0; }
.signout button { min-height: 2.25rem; padding: .25rem .75rem; background: #fff; color: #1b1f24; }
.up { color: #b91c1c; font-weight: 700; }
.sample { color: #57606a; font-size: .875rem; }
footer { font-size: .875rem; }
`

// otherThan is text, or "" when it says what shown does already.
func otherThan(text, shown string) string {
	if strings.Join(strings.Fields(text), " ") == shown {
		return ""
	}
	return text
}
