// Package status is the customers' status page: every active incident with
// its latest update in the reader's language, earlier updates below,
// recently resolved incidents, and "all systems normal" when there are
// none; also as JSON (/status.json), an Atom feed (/status/feed.atom) and
// a script a company's own inquiry form includes (/status/embed.js).
//
// It is built to survive the surge it is for: every representation is
// rendered ahead of time, kept in memory and served from there, with an
// ETag, Last-Modified and Cache-Control so a CDN can front it. Nothing on
// the request path touches the database. A Page rebuilds itself from SQL
// whenever any instance announces a knowledge-base change over NATS (the
// announcement that reloads bot.Knowledge), and every resync interval, so
// that a resolved incident leaves the "recent" list on time and a lost
// announcement is caught up.
//
// It shows only what managers wrote for customers: titles, statuses,
// update texts, workarounds and ETAs, times, severity and components; no
// author, no customer, no id but the incident's.
package status

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"sort"
	"sync/atomic"
	texttemplate "text/template"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/surgedesk/surgedesk/bus"
	"github.com/surgedesk/surgedesk/kb"
	"github.com/surgedesk/surgedesk/pages"
)

// Source is where incidents come from (storage).
type Source interface {
	Incidents(ctx context.Context, activeOnly bool) ([]kb.Incident, error)
}

// Options configure a Page.
type Options struct {
	Source Source
	Log    *slog.Logger
	// Recent is how long a resolved incident stays on the page (default
	// 72 hours); at most MaxResolved of them are shown (default 10).
	Recent      time.Duration
	MaxResolved int
	// Resync rebuilds the page this often even without an announcement
	// (default 30 s).
	Resync time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// CacheControl lets browsers and CDNs keep a copy for a few seconds, and
// serve a stale one while revalidating or when the origin fails.
const CacheControl = "public, max-age=15, stale-while-revalidate=60, stale-if-error=86400"

// Page is the status page, rendered in memory. Its handlers are safe for
// concurrent use and never block on a rebuild.
type Page struct {
	opts    Options
	current atomic.Pointer[built]
	builds  atomic.Uint64
}

// built is every representation of one state of the incidents.
type built struct {
	html map[string]pages.Body // by locale
	feed map[string]pages.Body // by locale
	json pages.Body
	js   pages.Body
}

// New returns a Page with nothing built yet: call Follow, then Rebuild.
func New(o Options) *Page {
	if o.Recent <= 0 {
		o.Recent = 72 * time.Hour
	}
	if o.MaxResolved <= 0 {
		o.MaxResolved = 10
	}
	if o.Resync <= 0 {
		o.Resync = 30 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Page{opts: o}
}

// Builds counts the rebuilds that succeeded.
func (p *Page) Builds() uint64 { return p.builds.Load() }

// Rebuild reads the incidents and renders every representation; the old
// ones are served until the new ones are ready, and kept if it fails.
func (p *Page) Rebuild(ctx context.Context) error {
	incs, err := p.opts.Source.Incidents(ctx, false)
	if err != nil {
		return fmt.Errorf("status: unable to load incidents: %w", err)
	}
	b, err := render(newState(incs, p.opts.Now(), p.opts.Recent, p.opts.MaxResolved))
	if err != nil {
		return err
	}
	p.current.Store(b)
	p.builds.Add(1)
	return nil
}

// Follow rebuilds the page whenever any instance announces a change, and
// every Resync, until ctx ends. Announcements arriving during a rebuild
// fold into one more; a failed rebuild is retried a second later. Call it
// before the first Rebuild so that nothing announced in between is missed.
func (p *Page) Follow(ctx context.Context, nc *nats.Conn) error {
	if err := bus.FollowKB(ctx, nc, p.opts.Resync, p.Rebuild, p.opts.Log,
		"status page not rebuilt; serving the previous one and retrying"); err != nil {
		return fmt.Errorf("status: %w", err)
	}
	return nil
}

// get returns the current build, or answers 503 when there is none yet.
func (p *Page) get(w http.ResponseWriter) *built {
	b := p.current.Load()
	if b == nil {
		w.Header().Set("Retry-After", "5")
		pages.Error(w, http.StatusServiceUnavailable, "not_ready", "the status page is being built; try again in a few seconds")
	}
	return b
}

// HTML serves GET /status in the reader's language.
func (p *Page) HTML(w http.ResponseWriter, r *http.Request) {
	if b := p.get(w); b != nil {
		serveLocalized(w, r, b.html)
	}
}

// Feed serves GET /status/feed.atom in the reader's language.
func (p *Page) Feed(w http.ResponseWriter, r *http.Request) {
	if b := p.get(w); b != nil {
		serveLocalized(w, r, b.feed)
	}
}

// JSON serves GET /status.json, both languages in one document.
func (p *Page) JSON(w http.ResponseWriter, r *http.Request) {
	if b := p.get(w); b != nil {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		b.json.Serve(w, r)
	}
}

// Embed serves GET /status/embed.js, the script for inquiry forms.
func (p *Page) Embed(w http.ResponseWriter, r *http.Request) {
	if b := p.get(w); b != nil {
		b.js.Serve(w, r)
	}
}

func serveLocalized(w http.ResponseWriter, r *http.Request, bodies map[string]pages.Body) {
	locale, explicit := pages.Locale(r)
	if !explicit {
		w.Header().Set("Vary", "Accept-Language")
	}
	bodies[locale].Serve(w, r)
}

// state is what the page shows, in both languages.
type state struct {
	Active, Resolved []kb.Incident
	LastModified     time.Time
}

// newState picks the active incidents and the recently resolved ones.
// LastModified is the latest change among all incidents, or the moment an
// incident left the recent list if later: the same on every instance.
func newState(incs []kb.Incident, now time.Time, recent time.Duration, maxResolved int) state {
	var s state
	for _, inc := range incs {
		changed := inc.UpdatedAt
		for _, u := range inc.Updates {
			changed = later(changed, u.CreatedAt)
		}
		switch {
		case inc.Status != kb.Resolved:
			s.Active = append(s.Active, inc)
		case now.Sub(inc.ResolvedAt) <= recent:
			s.Resolved = append(s.Resolved, inc)
		default:
			changed = later(changed, inc.ResolvedAt.Add(recent))
		}
		s.LastModified = later(s.LastModified, changed)
	}
	sort.SliceStable(s.Active, func(i, j int) bool {
		a, b := s.Active[i], s.Active[j]
		if ra, rb := severityRank[a.Severity], severityRank[b.Severity]; ra != rb {
			return ra > rb
		}
		return a.StartedAt.After(b.StartedAt)
	})
	sort.SliceStable(s.Resolved, func(i, j int) bool { return s.Resolved[i].ResolvedAt.After(s.Resolved[j].ResolvedAt) })
	if len(s.Resolved) > maxResolved {
		s.Resolved = s.Resolved[:maxResolved]
	}
	if s.LastModified.IsZero() {
		s.LastModified = time.Unix(0, 0)
	}
	return s
}

var severityRank = map[kb.Severity]int{kb.Critical: 3, kb.Major: 2, kb.Minor: 1}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

//go:embed templates/status.html
var htmlSource string

//go:embed templates/feed.atom
var feedSource string

//go:embed templates/embed.js
var embedSource string

var (
	htmlTemplate = template.Must(template.New("status").Funcs(template.FuncMap{
		"dict": func(p view, i incidentView) incidentItem { return incidentItem{p, i} },
	}).Parse(htmlSource))
	// The feed is XML, which html/template's contextual escaping does not
	// know: every value goes through the xml function instead.
	feedTemplate = texttemplate.Must(texttemplate.New("feed").Funcs(texttemplate.FuncMap{"xml": xmlText}).Parse(feedSource))
	// The script's one value is JSON from json.Marshal, which escapes <, >
	// and &, so text/template is enough.
	embedTemplate = texttemplate.Must(texttemplate.New("embed").Parse(embedSource))
)

// render prepares every representation of s.
func render(s state) (*built, error) {
	b := &built{html: map[string]pages.Body{}, feed: map[string]pages.Body{}}
	for _, locale := range pages.Locales {
		v := newView(s, locale)
		var buf bytes.Buffer
		if err := htmlTemplate.Execute(&buf, v); err != nil {
			return nil, fmt.Errorf("status: unable to render the page: %w", err)
		}
		body := pages.NewBody("text/html; charset=utf-8", buf.Bytes(), s.LastModified, CacheControl)
		body.Language = locale
		b.html[locale] = body

		buf = bytes.Buffer{}
		if err := feedTemplate.Execute(&buf, v); err != nil {
			return nil, fmt.Errorf("status: unable to render the feed: %w", err)
		}
		body = pages.NewBody("application/atom+xml; charset=utf-8", buf.Bytes(), s.LastModified, CacheControl)
		body.Language = locale
		b.feed[locale] = body
	}
	doc := newDocument(s)
	data, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("status: unable to encode the page: %w", err)
	}
	b.json = pages.NewBody("application/json", append(data, '\n'), s.LastModified, CacheControl)

	var buf bytes.Buffer
	if err := embedTemplate.Execute(&buf, embedData(doc)); err != nil {
		return nil, fmt.Errorf("status: unable to render the embed script: %w", err)
	}
	b.js = pages.NewBody("text/javascript; charset=utf-8", buf.Bytes(), s.LastModified, CacheControl)
	return b, nil
}
