package kb

import (
	"fmt"
	"strings"
	"sync"
	"text/template"
	"time"
)

// TemplateData is what an answer template sees, already in the template's
// locale: {{.Incident.Title}}, {{.Status}}, {{.ETA}}, {{.Workaround}},
// {{.UpdateVersion}}, {{.Text}}. Empty strings (and a zero version) stand
// for what is not known, so templates can say {{if .ETA}}…{{end}}.
type TemplateData struct {
	Incident      TemplateIncident
	Status        string // localised: 조사 중 / investigating, …
	ETA           string // localised time in KST, or empty
	Workaround    string
	UpdateVersion int    // the latest update's version, 0 without one
	Text          string // the latest update's text
}

// TemplateIncident is the incident as a template sees it.
type TemplateIncident struct {
	ID         string
	Title      string
	Severity   string
	Components []string
}

// kst is fixed rather than loaded so that rendering needs no tzdata; Korea
// has no daylight saving time.
var kst = time.FixedZone("KST", 9*60*60)

// Locale reduces a locale tag to the two the knowledge base holds: "ko"
// for any Korean tag, "en" otherwise.
func Locale(tag string) string {
	if strings.HasPrefix(strings.ToLower(tag), "ko") {
		return "ko"
	}
	return "en"
}

// Render writes the answer for a customer in locale, from the incident and
// its latest update (zero values when there is none, as for a FAQ entry).
// When the answer has no template in locale it uses the other locale's,
// and then fills in everything in that locale so the text stays in one
// language.
func Render(a Answer, inc Incident, latest Update, locale string) (string, error) {
	locale = Locale(locale)
	text := a.TemplateEN
	if locale == "ko" {
		text = a.TemplateKO
	}
	if strings.TrimSpace(text) == "" {
		if locale == "ko" {
			locale, text = "en", a.TemplateEN
		} else {
			locale, text = "ko", a.TemplateKO
		}
	}
	if strings.TrimSpace(text) == "" {
		return "", fmt.Errorf("kb: answer %s has no template", a.ID)
	}
	t, err := parseTemplate(text)
	if err != nil {
		return "", fmt.Errorf("kb: answer %s: %w", a.ID, err)
	}
	var out capped
	if err := t.Execute(&out, data(inc, latest, locale)); err != nil {
		return "", fmt.Errorf("kb: answer %s: %w", a.ID, err)
	}
	return out.b.String(), nil
}

// data is what a template in locale sees for the incident and its latest
// update.
func data(inc Incident, latest Update, locale string) TemplateData {
	d := TemplateData{
		Incident: TemplateIncident{ID: inc.ID, Title: inc.Title(locale), Severity: string(inc.Severity),
			// Bounded as validation bounds it: the step budget assumes so.
			Components: inc.Components[:min(len(inc.Components), MaxComponents)]},
		UpdateVersion: latest.Version,
		Workaround:    latest.Workaround(locale),
		Text:          latest.Text(locale),
	}
	status := inc.Status
	if latest.Status != "" {
		status = latest.Status
	}
	if status != "" {
		d.Status = status.Name(locale)
	}
	if !latest.ETA.IsZero() {
		d.ETA = FormatTime(latest.ETA, locale)
	}
	return d
}

// FormatTime writes t in Korea time the way a customer in locale reads it.
func FormatTime(t time.Time, locale string) string {
	t = t.In(kst)
	if locale == "ko" {
		return fmt.Sprintf("%d월 %d일 %02d:%02d", t.Month(), t.Day(), t.Hour(), t.Minute())
	}
	return t.Format("Jan 2, 15:04 KST")
}

// parsed caches templates by their text: parsing costs ten times the
// execution, and Render runs on the intake path for every answer. Texts
// are few (one per answer and locale), so the cache stays small.
var parsed sync.Map // string -> *template.Template

func parseTemplate(text string) (*template.Template, error) {
	if t, ok := parsed.Load(text); ok {
		return t.(*template.Template), nil
	}
	t, err := template.New("answer").Option("missingkey=error").Funcs(templateFuncs).Parse(text)
	if err != nil {
		return nil, err
	}
	if err := checkCost(t); err != nil {
		return nil, err
	}
	parsed.Store(text, t)
	return t, nil
}

// sample fills every field so that executing a template against it finds
// misspelt fields ({{.Incident.Titel}}) at validation time, not when a
// customer is waiting for the answer.
var sample = TemplateData{
	Incident:      TemplateIncident{ID: "inc-1", Title: "title", Severity: "major", Components: []string{"app"}},
	Status:        "investigating",
	ETA:           "Jan 2, 15:04 KST",
	Workaround:    "workaround",
	UpdateVersion: 1,
	Text:          "text",
}

func checkTemplate(text string) error {
	if text == "" {
		return nil
	}
	t, err := parseTemplate(text)
	if err != nil {
		return fmt.Errorf("invalid template: %w", err)
	}
	for _, d := range []TemplateData{sample, {}, largest} {
		if err := t.Execute(&capped{}, d); err != nil {
			return fmt.Errorf("invalid template: %w", err)
		}
	}
	return nil
}
