package kb_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/kb"
)

func TestCanMoveTo(t *testing.T) {
	cases := []struct {
		name     string
		from, to kb.Status
		want     string // part of the error, "" for allowed
	}{
		{"stay investigating", kb.Investigating, kb.Investigating, ""},
		{"investigating to identified", kb.Investigating, kb.Identified, ""},
		{"identified to monitoring", kb.Identified, kb.Monitoring, ""},
		{"monitoring to resolved", kb.Monitoring, kb.Resolved, ""},
		{"skip to resolved", kb.Investigating, kb.Resolved, ""},
		{"skip to monitoring", kb.Investigating, kb.Monitoring, ""},
		{"stay identified with a new ETA", kb.Identified, kb.Identified, ""},
		{"back to investigating", kb.Identified, kb.Investigating, "cannot move back from identified to investigating"},
		{"back from monitoring", kb.Monitoring, kb.Identified, "cannot move back"},
		{"resolved again", kb.Resolved, kb.Resolved, "is resolved and takes no further updates"},
		{"reopen", kb.Resolved, kb.Investigating, "is resolved"},
		{"unknown next", kb.Identified, "fixed", `unknown status "fixed"`},
		{"empty next", kb.Identified, "", `unknown status ""`},
		{"unknown current", "weird", kb.Resolved, `unknown current status "weird"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.from.CanMoveTo(c.to)
			if c.want == "" {
				if err != nil {
					t.Fatalf("CanMoveTo = %v, want nil", err)
				}
				return
			}
			if err == nil || !errors.Is(err, kb.ErrInvalid) || !strings.Contains(err.Error(), c.want) ||
				!strings.HasPrefix(err.Error(), "kb: ") {
				t.Fatalf("CanMoveTo = %v, want kb.ErrInvalid saying %q", err, c.want)
			}
		})
	}
}

func TestStatusName(t *testing.T) {
	cases := []struct {
		status kb.Status
		ko, en string
	}{
		{kb.Investigating, "조사 중", "investigating"},
		{kb.Identified, "원인 확인", "identified"},
		{kb.Monitoring, "모니터링 중", "monitoring"},
		{kb.Resolved, "해결됨", "resolved"},
	}
	for _, c := range cases {
		if got := c.status.Name("ko"); got != c.ko {
			t.Errorf("%s in ko = %q, want %q", c.status, got, c.ko)
		}
		if got := c.status.Name("en"); got != c.en {
			t.Errorf("%s in en = %q, want %q", c.status, got, c.en)
		}
	}
	if !kb.Identified.Active() || kb.Resolved.Active() {
		t.Error("Active is wrong")
	}
}

var t0 = time.Date(2026, 11, 21, 5, 0, 0, 0, time.UTC)

func validIncident() kb.Incident {
	return kb.Incident{ID: "inc-1", TitleKO: "로그인 실패", Status: kb.Identified, Severity: kb.Major, StartedAt: t0,
		Updates: []kb.Update{
			{Version: 1, Status: kb.Investigating, TextKO: "확인 중", CreatedAt: t0},
			{Version: 2, Status: kb.Identified, TextEN: "found it", CreatedAt: t0.Add(time.Minute)},
		}}
}

func TestIncidentValidate(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(*kb.Incident)
		wants []string // every one must be reported; none means valid
	}{
		{"valid", func(*kb.Incident) {}, nil},
		{"english title only", func(i *kb.Incident) { i.TitleKO, i.TitleEN = "", "Login" }, nil},
		{"everything wrong at once", func(i *kb.Incident) {
			i.ID, i.TitleKO, i.Severity, i.StartedAt = "", " ", "huge", time.Time{}
			i.Components = []string{""}
		}, []string{"id: is required", "title_ko: a title is required", `severity: unknown severity "huge"`,
			"started_at: is required", "components[0]: is empty"}},
		{"oversized title", func(i *kb.Incident) { i.TitleKO = strings.Repeat("장", 201) }, []string{"title_ko: is 201 characters, at most 200"}},
		{"title of exactly 200", func(i *kb.Incident) { i.TitleKO = strings.Repeat("장", 200) }, nil},
		{"versions out of order", func(i *kb.Incident) { i.Updates[0].Version, i.Updates[1].Version = 2, 1 },
			[]string{"updates[0].version: is 2, want 1", "updates[1].version: is 1, want 2"}},
		{"status behind the latest update", func(i *kb.Incident) { i.Status = kb.Investigating },
			[]string{"status: is investigating but the latest update says identified"}},
		{"resolved_at while identified", func(i *kb.Incident) { i.ResolvedAt = t0.Add(time.Hour) },
			[]string{"resolved_at: is set but the status is identified"}},
		{"oversized update text", func(i *kb.Incident) { i.Updates[1].TextEN = strings.Repeat("x", 4001) },
			[]string{"updates[1].text_en: is 4001 characters, at most 4000"}},
		{"update without text", func(i *kb.Incident) { i.Updates[0].TextKO = "" }, []string{"updates[0].text_ko: a text is required"}},
		{"update after resolved", func(i *kb.Incident) {
			i.Updates[0].Status = kb.Resolved
		}, []string{"updates[1].status: the incident is resolved"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			inc := validIncident()
			c.edit(&inc)
			err := inc.Validate()
			if len(c.wants) == 0 {
				if err != nil {
					t.Fatalf("Validate = %v", err)
				}
				return
			}
			if !errors.Is(err, kb.ErrInvalid) {
				t.Fatalf("Validate = %v, want kb.ErrInvalid", err)
			}
			for _, w := range c.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not say %q", err, w)
				}
			}
		})
	}
}

func TestAnswerValidate(t *testing.T) {
	valid := func() kb.Answer {
		return kb.Answer{ID: "a-1", Examples: kb.Examples{KO: []string{"환불 언제 돼요"}}, TemplateKO: "{{.Status}}"}
	}
	cases := []struct {
		name  string
		edit  func(*kb.Answer)
		wants []string
	}{
		{"valid", func(*kb.Answer) {}, nil},
		{"every field a template may use", func(a *kb.Answer) {
			a.TemplateEN = "{{.Incident.Title}} {{.Incident.ID}} {{.Status}} {{.ETA}} {{.Workaround}} {{.UpdateVersion}} {{.Text}}"
		}, nil},
		{"no examples", func(a *kb.Answer) { a.Examples = kb.Examples{} }, []string{"examples: at least one example"}},
		{"empty example", func(a *kb.Answer) { a.Examples.EN = []string{" "} }, []string{"examples.en[0]: is empty"}},
		{"no template", func(a *kb.Answer) { a.TemplateKO = "" }, []string{"template_ko: a template is required"}},
		{"syntax error", func(a *kb.Answer) { a.TemplateKO = "{{if .ETA}}" }, []string{"template_ko: invalid template"}},
		{"unknown field", func(a *kb.Answer) { a.TemplateEN = "{{.Eta}}" }, []string{"template_en: invalid template", "Eta"}},
		{"unknown function", func(a *kb.Answer) { a.TemplateEN = "{{upper .Status}}" }, []string{"template_en: invalid template"}},
		{"oversized template", func(a *kb.Answer) { a.TemplateEN = strings.Repeat("가", 4001) }, []string{"template_en: is 4001 characters"}},
		// The template budget: refused when saved, before any of it runs.
		{"range over a billion", func(a *kb.Answer) { a.TemplateEN = "{{range 1000000000}}{{end}}" },
			[]string{"template_en: invalid template", "range is only available over .Incident.Components"}},
		{"range over a variable", func(a *kb.Answer) { a.TemplateEN = "{{$n := 1000000000}}{{range $n}}x{{end}}" },
			[]string{"range is only available over .Incident.Components"}},
		{"nested ranges over the components", func(a *kb.Answer) {
			a.TemplateEN = "{{range .Incident.Components}}{{range $.Incident.Components}}{{range $.Incident.Components}}{{.}}{{end}}{{end}}{{end}}"
		}, []string{"template_en: invalid template", "steps, at most 10000 allowed"}},
		{"recursive templates", func(a *kb.Answer) {
			a.TemplateEN = `{{define "a"}}{{template "a" .}}{{template "a" .}}{{end}}{{template "a" .}}`
		}, []string{"define, block and template are not available"}},
		{"block", func(a *kb.Answer) { a.TemplateKO = `{{block "b" .}}{{.Status}}{{end}}` }, []string{"define, block and template"}},
		{"printf with a huge width", func(a *kb.Answer) { a.TemplateKO = `{{printf "%01000000000d" 1}}` },
			[]string{"template_ko: invalid template", "widths and precisions above 100"}},
		{"printf with a star width", func(a *kb.Answer) { a.TemplateKO = `{{printf "%*d" 1000000000 1}}` },
			[]string{"'*' and argument indexes"}},
		{"output over the cap at the largest data", func(a *kb.Answer) { a.TemplateEN = "{{.Text}}{{.Text}}{{.Text}}" },
			[]string{"template_en: invalid template", "would exceed 32768 bytes"}},
		{"every component with the text", func(a *kb.Answer) { a.TemplateKO = "{{range .Incident.Components}}{{$.Text}}{{end}}" },
			[]string{"template_ko: invalid template", "would exceed"}},
		{"one range, modest printf: allowed", func(a *kb.Answer) {
			a.TemplateKO = `{{.Incident.Title}} ({{range $i, $c := .Incident.Components}}{{if $i}}, {{end}}{{$c}}{{end}}) {{printf "%-10s|%.3s" .Status .Text}} {{.Text}}`
		}, nil},
		{"bad incident id and id", func(a *kb.Answer) { a.ID, a.IncidentID = "a/1", "x y" },
			[]string{`id: "a/1" may hold only`, `incident_id: "x y" is not a valid id`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := valid()
			c.edit(&a)
			err := a.Validate()
			if len(c.wants) == 0 {
				if err != nil {
					t.Fatalf("Validate = %v", err)
				}
				return
			}
			if !errors.Is(err, kb.ErrInvalid) {
				t.Fatalf("Validate = %v, want kb.ErrInvalid", err)
			}
			for _, w := range c.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not say %q", err, w)
				}
			}
		})
	}
}
