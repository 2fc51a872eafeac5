package kb

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrInvalid is wrapped by every error about bad input (validation, an
// impossible status change, an unknown reference), so that callers can tell
// the client's mistakes from failures.
var ErrInvalid = errors.New("kb: invalid")

// Size limits, in characters.
const (
	MaxTitle      = 200
	MaxText       = 4000 // an update's text, per locale
	MaxWorkaround = 2000
	MaxTemplate   = 4000
	MaxExample    = 500
	MaxExamples   = 200 // per answer
	MaxKeyword    = 100
	MaxKeywords   = 50
	MaxComponent  = 100
	MaxComponents = 50
	MaxAuthor     = 100
	MaxID         = 64
)

// Status is where an incident stands. It only moves forward.
type Status string

// The statuses, in lifecycle order.
const (
	Investigating Status = "investigating"
	Identified    Status = "identified"
	Monitoring    Status = "monitoring"
	Resolved      Status = "resolved"
)

var statusOrder = []Status{Investigating, Identified, Monitoring, Resolved}

var statusNames = map[Status][2]string{ // ko, en
	Investigating: {"조사 중", "investigating"},
	Identified:    {"원인 확인", "identified"},
	Monitoring:    {"모니터링 중", "monitoring"},
	Resolved:      {"해결됨", "resolved"},
}

// Valid reports whether s is one of the four statuses.
func (s Status) Valid() bool { return slices.Contains(statusOrder, s) }

// Active reports whether the incident still needs answers: not resolved.
func (s Status) Active() bool { return s.Valid() && s != Resolved }

// Name is the status as a customer reads it in locale ("ko" or "en").
func (s Status) Name(locale string) string {
	n, ok := statusNames[s]
	if !ok {
		return string(s)
	}
	if locale == "ko" {
		return n[0]
	}
	return n[1]
}

// CanMoveTo says whether an incident in s may get an update with status
// next. Staying is allowed (a new ETA while still identified), so is
// skipping ahead (investigating → resolved); going back is not, and a
// resolved incident takes no further updates: a follow-up would tell
// customers their problem is back, which needs a new incident.
func (s Status) CanMoveTo(next Status) error {
	switch {
	case !next.Valid():
		return fmt.Errorf("%w: unknown status %q (want investigating, identified, monitoring or resolved)", ErrInvalid, next)
	case !s.Valid():
		return fmt.Errorf("%w: unknown current status %q", ErrInvalid, s)
	case s == Resolved:
		return fmt.Errorf("%w: the incident is resolved and takes no further updates; declare a new incident", ErrInvalid)
	case slices.Index(statusOrder, next) < slices.Index(statusOrder, s):
		return fmt.Errorf("%w: status cannot move back from %s to %s", ErrInvalid, s, next)
	}
	return nil
}

// Severity is how bad an incident is.
type Severity string

// The severities.
const (
	Minor    Severity = "minor"
	Major    Severity = "major"
	Critical Severity = "critical"
)

// Valid reports whether v is a known severity.
func (v Severity) Valid() bool { return v == Minor || v == Major || v == Critical }

// Incident is an outage or problem customers ask about.
type Incident struct {
	ID         string    `yaml:"id" json:"id"`
	TitleKO    string    `yaml:"title_ko,omitempty" json:"title_ko,omitempty"`
	TitleEN    string    `yaml:"title_en,omitempty" json:"title_en,omitempty"`
	Status     Status    `yaml:"status" json:"status"`
	Components []string  `yaml:"components,omitempty" json:"components,omitempty"`
	Severity   Severity  `yaml:"severity" json:"severity"`
	StartedAt  time.Time `yaml:"started_at" json:"started_at"`
	ResolvedAt time.Time `yaml:"resolved_at,omitempty" json:"resolved_at,omitzero"` // zero until resolved
	CreatedAt  time.Time `yaml:"-" json:"created_at,omitzero"`
	UpdatedAt  time.Time `yaml:"-" json:"updated_at,omitzero"`
	Updates    []Update  `yaml:"updates,omitempty" json:"updates,omitempty"` // by version, oldest first
}

// Title is the title in locale, or in the other locale when that is empty.
func (i Incident) Title(locale string) string { return pick(locale, i.TitleKO, i.TitleEN) }

// Latest returns the newest update, or the zero Update when there is none.
func (i Incident) Latest() Update {
	if len(i.Updates) == 0 {
		return Update{}
	}
	return i.Updates[len(i.Updates)-1]
}

// Update is one numbered status update of an incident.
type Update struct {
	Version      int       `yaml:"version" json:"version"` // 1, 2, …; assigned when stored
	Status       Status    `yaml:"status" json:"status"`
	TextKO       string    `yaml:"text_ko,omitempty" json:"text_ko,omitempty"`
	TextEN       string    `yaml:"text_en,omitempty" json:"text_en,omitempty"`
	ETA          time.Time `yaml:"eta,omitempty" json:"eta,omitzero"` // zero when unknown
	WorkaroundKO string    `yaml:"workaround_ko,omitempty" json:"workaround_ko,omitempty"`
	WorkaroundEN string    `yaml:"workaround_en,omitempty" json:"workaround_en,omitempty"`
	CreatedAt    time.Time `yaml:"created_at" json:"created_at"`
	Author       string    `yaml:"author,omitempty" json:"author,omitempty"`
}

// Text is the update's text in locale, falling back to the other locale.
func (u Update) Text(locale string) string { return pick(locale, u.TextKO, u.TextEN) }

// Workaround is the workaround in locale, falling back to the other locale.
func (u Update) Workaround(locale string) string { return pick(locale, u.WorkaroundKO, u.WorkaroundEN) }

// Answer is what a customer is told when their inquiry matches one of the
// examples. Without an IncidentID it is a general FAQ entry.
type Answer struct {
	ID         string    `yaml:"id" json:"id"`
	IncidentID string    `yaml:"incident_id,omitempty" json:"incident_id,omitempty"`
	Keywords   []string  `yaml:"keywords,omitempty" json:"keywords,omitempty"`
	Examples   Examples  `yaml:"examples" json:"examples"`
	TemplateKO string    `yaml:"template_ko,omitempty" json:"template_ko,omitempty"`
	TemplateEN string    `yaml:"template_en,omitempty" json:"template_en,omitempty"`
	CreatedAt  time.Time `yaml:"-" json:"created_at,omitzero"`
	UpdatedAt  time.Time `yaml:"-" json:"updated_at,omitzero"`
}

// Examples are phrasings of the question an answer answers, per locale.
type Examples struct {
	KO []string `yaml:"ko,omitempty" json:"ko,omitempty"`
	EN []string `yaml:"en,omitempty" json:"en,omitempty"`
}

// Len is the number of examples in both locales.
func (e Examples) Len() int { return len(e.KO) + len(e.EN) }

// Validate reports every problem of the incident at once. Updates are
// checked as a sequence: versions 1..n, statuses moving forward, the
// incident's status that of its latest update.
func (i Incident) Validate() error {
	var p problems
	i.check(&p, "")
	return p.err()
}

// Validate reports every problem of the update at once. A zero Version or
// CreatedAt is allowed: storage assigns them.
func (u Update) Validate() error {
	var p problems
	u.check(&p, "")
	return p.err()
}

// Validate reports every problem of the answer at once, template errors
// included, so that rendering later cannot fail on the template.
func (a Answer) Validate() error {
	var p problems
	a.check(&p, "")
	return p.err()
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

func (i Incident) check(p *problems, path string) {
	checkID(p, path, i.ID)
	if strings.TrimSpace(i.TitleKO) == "" && strings.TrimSpace(i.TitleEN) == "" {
		p.add(path, "title_ko", "a title is required in at least one locale (title_ko or title_en)")
	}
	checkLen(p, path, "title_ko", i.TitleKO, MaxTitle)
	checkLen(p, path, "title_en", i.TitleEN, MaxTitle)
	if !i.Status.Valid() {
		p.add(path, "status", "unknown status %q (want investigating, identified, monitoring or resolved)", i.Status)
	}
	if !i.Severity.Valid() {
		p.add(path, "severity", "unknown severity %q (want minor, major or critical)", i.Severity)
	}
	checkList(p, path, "components", i.Components, MaxComponents, MaxComponent)
	if i.StartedAt.IsZero() {
		p.add(path, "started_at", "is required")
	}
	if !i.ResolvedAt.IsZero() {
		if i.Status != Resolved {
			p.add(path, "resolved_at", "is set but the status is %s, not resolved", i.Status)
		}
		if i.ResolvedAt.Before(i.StartedAt) {
			p.add(path, "resolved_at", "is before started_at")
		}
	}
	prev := Status("")
	for n, u := range i.Updates {
		up := join(path, fmt.Sprintf("updates[%d]", n))
		u.check(p, up)
		if u.Version != n+1 {
			p.add(up, "version", "is %d, want %d: versions run 1, 2, … in order", u.Version, n+1)
		}
		if u.CreatedAt.IsZero() {
			p.add(up, "created_at", "is required")
		}
		if prev != "" && u.Status.Valid() {
			if err := prev.CanMoveTo(u.Status); err != nil {
				p.add(up, "status", "%s", strings.TrimPrefix(err.Error(), ErrInvalid.Error()+": "))
			}
		}
		prev = u.Status
	}
	if prev != "" && i.Status.Valid() && prev.Valid() && i.Status != prev {
		p.add(path, "status", "is %s but the latest update says %s", i.Status, prev)
	}
}

func (u Update) check(p *problems, path string) {
	if u.Version < 0 {
		p.add(path, "version", "is negative")
	}
	if !u.Status.Valid() {
		p.add(path, "status", "unknown status %q (want investigating, identified, monitoring or resolved)", u.Status)
	}
	if strings.TrimSpace(u.TextKO) == "" && strings.TrimSpace(u.TextEN) == "" {
		p.add(path, "text_ko", "a text is required in at least one locale (text_ko or text_en)")
	}
	checkLen(p, path, "text_ko", u.TextKO, MaxText)
	checkLen(p, path, "text_en", u.TextEN, MaxText)
	checkLen(p, path, "workaround_ko", u.WorkaroundKO, MaxWorkaround)
	checkLen(p, path, "workaround_en", u.WorkaroundEN, MaxWorkaround)
	checkLen(p, path, "author", u.Author, MaxAuthor)
}

func (a Answer) check(p *problems, path string) {
	checkID(p, path, a.ID)
	if a.IncidentID != "" && (len(a.IncidentID) > MaxID || !idPattern.MatchString(a.IncidentID)) {
		p.add(path, "incident_id", "%q is not a valid id", a.IncidentID)
	}
	checkList(p, path, "keywords", a.Keywords, MaxKeywords, MaxKeyword)
	if a.Examples.Len() == 0 {
		p.add(path, "examples", "at least one example phrasing is required (ko or en)")
	}
	if a.Examples.Len() > MaxExamples {
		p.add(path, "examples", "has %d phrasings, at most %d allowed", a.Examples.Len(), MaxExamples)
	}
	checkList(p, path, "examples.ko", a.Examples.KO, -1, MaxExample)
	checkList(p, path, "examples.en", a.Examples.EN, -1, MaxExample)
	if strings.TrimSpace(a.TemplateKO) == "" && strings.TrimSpace(a.TemplateEN) == "" {
		p.add(path, "template_ko", "a template is required in at least one locale (template_ko or template_en)")
	}
	for _, t := range []struct{ field, text string }{{"template_ko", a.TemplateKO}, {"template_en", a.TemplateEN}} {
		if utf8.RuneCountInString(t.text) > MaxTemplate {
			p.add(path, t.field, "is %d characters, at most %d allowed", utf8.RuneCountInString(t.text), MaxTemplate)
			continue
		}
		if err := checkTemplate(t.text); err != nil {
			p.add(path, t.field, "%v", err)
		}
	}
}

func checkID(p *problems, path, id string) {
	switch {
	case id == "":
		p.add(path, "id", "is required")
	case len(id) > MaxID:
		p.add(path, "id", "is %d bytes, at most %d allowed", len(id), MaxID)
	case !idPattern.MatchString(id):
		p.add(path, "id", "%q may hold only letters, digits, '.', '_' and '-'", id)
	}
}

func checkLen(p *problems, path, field, s string, limit int) {
	if n := utf8.RuneCountInString(s); n > limit {
		p.add(path, field, "is %d characters, at most %d allowed", n, limit)
	}
	if !utf8.ValidString(s) {
		p.add(path, field, "is not valid UTF-8")
	}
}

// checkList checks the number of items (maxItems < 0: any) and each item.
func checkList(p *problems, path, field string, items []string, maxItems, maxLen int) {
	if maxItems >= 0 && len(items) > maxItems {
		p.add(path, field, "has %d items, at most %d allowed", len(items), maxItems)
	}
	for n, s := range items {
		f := fmt.Sprintf("%s[%d]", field, n)
		if strings.TrimSpace(s) == "" {
			p.add(path, f, "is empty")
		}
		checkLen(p, path, f, s, maxLen)
	}
}

// problems collects every validation problem, each with the path of the
// field, so that one pass tells the author everything to fix.
type problems struct{ errs []error }

func (p *problems) add(path, field, format string, args ...any) {
	p.errs = append(p.errs, fmt.Errorf("kb: %s: %s", join(path, field), fmt.Sprintf(format, args...)))
}

func (p *problems) err() error {
	if len(p.errs) == 0 {
		return nil
	}
	return invalidError{errors.Join(p.errs...)}
}

// invalidError is a joined list of problems that also matches ErrInvalid.
type invalidError struct{ err error }

func (e invalidError) Error() string   { return e.err.Error() }
func (e invalidError) Unwrap() []error { return []error{ErrInvalid, e.err} }

func join(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

func pick(locale, ko, en string) string {
	if locale == "ko" {
		if ko != "" {
			return ko
		}
		return en
	}
	if en != "" {
		return en
	}
	return ko
}
