package status

import (
	"encoding/json"
	"html/template"
	"strings"
	"time"

	"github.com/surgedesk/surgedesk/kb"
	"github.com/surgedesk/surgedesk/pages"
)

var messages = pages.Messages{
	"title":       {"서비스 상태", "Service status"},
	"skip":        {"본문으로 건너뛰기", "Skip to content"},
	"language":    {"언어", "Language"},
	"normal":      {"모든 시스템이 정상 작동 중입니다", "All systems normal"},
	"normal_more": {"현재 알려진 장애가 없습니다.", "There are no known problems right now."},
	"disrupted":   {"장애가 발생했습니다", "We are having problems"},
	"active":      {"진행 중인 장애", "Current incidents"},
	"resolved":    {"최근 해결된 장애", "Recently resolved"},
	"latest":      {"최신 안내", "Latest update"},
	"earlier":     {"이전 안내", "Earlier updates"},
	"started":     {"발생", "Started"},
	"resolved_at": {"해결", "Resolved"},
	"eta":         {"예상 복구 시각", "Expected fix"},
	"workaround":  {"임시 해결 방법", "Workaround"},
	"components":  {"영향 범위", "Affected"},
	"severity":    {"심각도", "Severity"},
	"updated":     {"마지막 변경", "Last changed"},
	"feed":        {"Atom 피드", "Atom feed"},
	"json":        {"JSON", "JSON"},
	"critical":    {"심각", "critical"},
	"major":       {"주요", "major"},
	"minor":       {"경미", "minor"},
	"times":       {"시각은 한국 표준시(KST)입니다.", "Times are Korea Standard Time (KST)."},
}

// view is the page in one language.
type view struct {
	Locale, Other, OtherName string
	msg                      func(string) string
	CSS                      template.CSS
	Active, Resolved         []incidentView
	Updated                  string
	UpdatedISO               string
	Status                   string // "normal" or "disrupted"
}

type incidentView struct {
	ID, Title, Status, StatusName, Severity, SeverityName string
	Components                                            []string
	Started, StartedISO, Resolved, ResolvedISO            string
	Latest                                                updateView
	HasLatest                                             bool
	Earlier                                               []updateView
	All                                                   []updateView // newest first
}

// incidentItem is what the "incident" template gets: its page and itself.
type incidentItem struct {
	Page     view
	Incident incidentView
}

type updateView struct {
	Version                     int
	Status, StatusName          string
	Text, Workaround, ETA       string
	At, AtISO, Title, EntryText string
}

func newView(s state, locale string) view {
	t := messages.In(locale)
	v := view{Locale: locale, msg: t, CSS: template.CSS(pages.BaseCSS + pageCSS),
		Updated: kb.FormatTime(s.LastModified, locale), UpdatedISO: s.LastModified.UTC().Format(time.RFC3339), Status: "normal"}
	v.Other, v.OtherName = "en", "English"
	if locale == "en" {
		v.Other, v.OtherName = "ko", "한국어"
	}
	for _, inc := range s.Active {
		v.Active = append(v.Active, newIncidentView(inc, locale, t))
	}
	for _, inc := range s.Resolved {
		v.Resolved = append(v.Resolved, newIncidentView(inc, locale, t))
	}
	if len(v.Active) > 0 {
		v.Status = "disrupted"
	}
	return v
}

// T is the page's string for key in its language.
func (v view) T(key string) string { return v.msg(key) }

func newIncidentView(inc kb.Incident, locale string, t func(string) string) incidentView {
	iv := incidentView{ID: inc.ID, Title: inc.Title(locale), Status: string(inc.Status), StatusName: inc.Status.Name(locale),
		Severity: string(inc.Severity), SeverityName: t(string(inc.Severity)), Components: inc.Components,
		Started: kb.FormatTime(inc.StartedAt, locale), StartedISO: inc.StartedAt.UTC().Format(time.RFC3339)}
	if !inc.ResolvedAt.IsZero() {
		iv.Resolved, iv.ResolvedISO = kb.FormatTime(inc.ResolvedAt, locale), inc.ResolvedAt.UTC().Format(time.RFC3339)
	}
	for i := len(inc.Updates) - 1; i >= 0; i-- {
		u := inc.Updates[i]
		uv := updateView{Version: u.Version, Status: string(u.Status), StatusName: u.Status.Name(locale),
			Text: u.Text(locale), Workaround: u.Workaround(locale),
			At: kb.FormatTime(u.CreatedAt, locale), AtISO: u.CreatedAt.UTC().Format(time.RFC3339)}
		if !u.ETA.IsZero() {
			uv.ETA = kb.FormatTime(u.ETA, locale)
		}
		uv.Title = "[" + uv.StatusName + "] " + iv.Title
		uv.EntryText = uv.Text
		if uv.Workaround != "" {
			uv.EntryText += "\n" + t("workaround") + ": " + uv.Workaround
		}
		if uv.ETA != "" {
			uv.EntryText += "\n" + t("eta") + ": " + uv.ETA
		}
		iv.All = append(iv.All, uv)
		if i == len(inc.Updates)-1 {
			iv.Latest, iv.HasLatest = uv, true
			continue
		}
		iv.Earlier = append(iv.Earlier, uv)
	}
	return iv
}

// Document is /status.json: both languages, newest update first.
type Document struct {
	Status    string     `json:"status"` // "normal" or "disrupted"
	UpdatedAt time.Time  `json:"updated_at"`
	Active    []Incident `json:"active"`
	Resolved  []Incident `json:"resolved"`
}

// Text is a text in both languages; one may fall back to the other.
type Text struct {
	KO string `json:"ko"`
	EN string `json:"en"`
}

// Incident is an incident as the public sees it.
type Incident struct {
	ID         string     `json:"id"`
	Title      Text       `json:"title"`
	Status     string     `json:"status"`
	StatusName Text       `json:"status_name"`
	Severity   string     `json:"severity"`
	Components []string   `json:"components"`
	StartedAt  time.Time  `json:"started_at"`
	ResolvedAt *time.Time `json:"resolved_at,omitempty"`
	Updates    []Update   `json:"updates"`
}

// Update is one public status update.
type Update struct {
	Version    int        `json:"version"`
	Status     string     `json:"status"`
	Text       Text       `json:"text"`
	Workaround *Text      `json:"workaround,omitempty"`
	ETA        *time.Time `json:"eta,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
}

func newDocument(s state) Document {
	d := Document{Status: "normal", UpdatedAt: s.LastModified.UTC(), Active: []Incident{}, Resolved: []Incident{}}
	for _, inc := range s.Active {
		d.Active = append(d.Active, newIncident(inc))
	}
	for _, inc := range s.Resolved {
		d.Resolved = append(d.Resolved, newIncident(inc))
	}
	if len(d.Active) > 0 {
		d.Status = "disrupted"
	}
	return d
}

func newIncident(inc kb.Incident) Incident {
	out := Incident{ID: inc.ID, Title: Text{inc.Title("ko"), inc.Title("en")}, Status: string(inc.Status),
		StatusName: Text{inc.Status.Name("ko"), inc.Status.Name("en")}, Severity: string(inc.Severity),
		Components: append([]string{}, inc.Components...), StartedAt: inc.StartedAt.UTC(), Updates: []Update{}}
	if !inc.ResolvedAt.IsZero() {
		r := inc.ResolvedAt.UTC()
		out.ResolvedAt = &r
	}
	for i := len(inc.Updates) - 1; i >= 0; i-- {
		u := inc.Updates[i]
		pu := Update{Version: u.Version, Status: string(u.Status), Text: Text{u.Text("ko"), u.Text("en")}, CreatedAt: u.CreatedAt.UTC()}
		if u.WorkaroundKO != "" || u.WorkaroundEN != "" {
			pu.Workaround = &Text{u.Workaround("ko"), u.Workaround("en")}
		}
		if !u.ETA.IsZero() {
			eta := u.ETA.UTC()
			pu.ETA = &eta
		}
		out.Updates = append(out.Updates, pu)
	}
	return out
}

// embedItem is what the inquiry-form script shows per active incident.
type embedItem struct {
	ID     string `json:"id"`
	Title  Text   `json:"title"`
	Status Text   `json:"status"`
	Text   Text   `json:"text"`
}

type embedView struct {
	Data string
}

func embedData(d Document) embedView {
	items := []embedItem{}
	for _, inc := range d.Active {
		it := embedItem{ID: inc.ID, Title: inc.Title, Status: inc.StatusName}
		if len(inc.Updates) > 0 {
			it.Text = inc.Updates[0].Text
		}
		items = append(items, it)
	}
	// json.Marshal escapes <, > and &, so the data cannot end the script.
	data, _ := json.Marshal(items)
	return embedView{Data: string(data)}
}

// xmlText escapes s for XML character data and attributes.
func xmlText(s string) string {
	return xmlEscaper.Replace(s)
}

var xmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;")

const pageCSS = `
.banner { border-radius: .5rem; padding: 1rem; margin-bottom: 1rem; font-size: 1.2rem; font-weight: 700; border: 2px solid currentColor; }
.banner.normal { color: #166534; background: #f0fdf4; }
.banner.disrupted { color: #9a3412; background: #fff7ed; }
.banner p { font-size: 1rem; font-weight: 400; margin: .25rem 0 0; color: #1b1f24; }
.incident header { display: flex; flex-wrap: wrap; gap: .5rem; align-items: baseline; }
.incident h3 { margin: 0; font-size: 1.15rem; flex: 1 1 16rem; }
.update { border-left: 4px solid #d0d7de; padding-left: .75rem; margin: .75rem 0; }
.update.latest { border-color: #c2410c; }
.update p { margin: .25rem 0; white-space: pre-line; }
ol.earlier { list-style: none; padding: 0; margin: 0; }
footer { font-size: .875rem; }
`
