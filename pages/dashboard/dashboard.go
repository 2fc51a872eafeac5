// Package dashboard is the managers' live dashboard at /dashboard: for
// each active incident its inquiries per minute since it started (a chart
// with every bucket, empty ones as zero, and its status updates marked),
// answered automatically vs queued vs replied by an agent, distinct
// customers and follow-ups sent and failed; for the whole desk the
// inquiries per minute, the deflection rate, the top clusters and their
// growth, the open surge alerts (declared or dismissed from the page by a
// manager), the oldest unanswered item and the time to first human reply.
//
// It is rendered on the server with html/template; its scripts and styles
// are embedded (uPlot for the charts, vendored: see assets/README.md). The
// page fetches its live part every few seconds and swaps it in place. The
// figures are computed at most once per CacheTTL however many managers
// watch.
//
// Sign-in takes an API token with the read role (or higher) and sets a
// signed session cookie (see session.go): HttpOnly, SameSite=Strict,
// Secure when the request came over TLS. Acting needs the manager role
// and the session's CSRF token.
package dashboard

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/surgedesk/surgedesk/config"
	"github.com/surgedesk/surgedesk/kb"
	"github.com/surgedesk/surgedesk/pages"
	"github.com/surgedesk/surgedesk/storage"
)

// Alerts are the desk's actions on a surge alert.
type Alerts interface {
	// DeclareAlert creates an incident from the open alert of a cluster
	// and links the cluster to it; storage.ErrNotFound or storage.ErrExists
	// when there is no open alert (none, or decided already).
	DeclareAlert(ctx context.Context, actor, clusterID string) (kb.Incident, error)
	// DismissAlert closes the open alert of a cluster, with the same errors.
	DismissAlert(ctx context.Context, actor, clusterID string) error
}

// Options configure the dashboard.
type Options struct {
	Auth   config.Auth
	Store  Store
	Alerts Alerts
	Log    *slog.Logger
	// IdleWindow is how long a cluster stays in the queue without news
	// (triage.idle_window).
	IdleWindow time.Duration
	// CacheTTL is how long computed figures are shared (default 2 s);
	// Refresh how often the page fetches them (default 3 s).
	CacheTTL, Refresh time.Duration
	// SessionTTL is how long a sign-in lasts (default 12 hours).
	SessionTTL time.Duration
	Now        func() time.Time
}

// Dashboard serves the pages under /dashboard.
type Dashboard struct {
	opts     Options
	sessions *sessions

	mu           sync.Mutex // held while computing: one computation at a time
	snap         *snapshot
	computations atomic.Uint64
	// What compute keeps between computations (under mu).
	desk      bucketCache
	incidents map[string]*bucketCache // by incident id
	slow      map[string]storage.IncidentReach
	slowAt    time.Time

	renderMu sync.Mutex
	rendered map[renderKey][]byte
}

// New returns the dashboard.
func New(o Options) *Dashboard {
	if o.CacheTTL <= 0 {
		o.CacheTTL = 2 * time.Second
	}
	if o.Refresh <= 0 {
		o.Refresh = 3 * time.Second
	}
	if o.SessionTTL <= 0 {
		o.SessionTTL = 12 * time.Hour
	}
	if o.IdleWindow <= 0 {
		o.IdleWindow = 30 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Dashboard{opts: o, sessions: newSessions(o.Auth, o.SessionTTL, o.Now), rendered: map[renderKey][]byte{},
		incidents: map[string]*bucketCache{}}
}

// Computations counts the times the figures were computed.
func (d *Dashboard) Computations() uint64 { return d.computations.Load() }

// securityHeaders keep the page out of frames and its scripts to its own.
func securityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Content-Type-Options", "nosniff")
}

// session reads the request's session cookie.
func (d *Dashboard) session(r *http.Request) (session, error) {
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" {
		return session{}, errNoSession
	}
	return d.sessions.verify(c.Value)
}

func (d *Dashboard) setCookie(w http.ResponseWriter, r *http.Request, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: value, Path: "/dashboard", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
}

// toLogin sends the browser to the sign-in form, saying why.
func toLogin(w http.ResponseWriter, r *http.Request, locale string, err error) {
	reason := "signin"
	switch {
	case errors.Is(err, errExpired):
		reason = "expired"
	case errors.Is(err, errForged):
		reason = "invalid"
	}
	http.Redirect(w, r, "/dashboard/login?lang="+locale+"&reason="+reason, http.StatusSeeOther)
}

// Page serves GET /dashboard.
func (d *Dashboard) Page(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w)
	locale, _ := pages.Locale(r)
	sess, err := d.session(r)
	if err != nil {
		toLogin(w, r, locale, err)
		return
	}
	if !sess.token.has(config.RoleRead) {
		pages.Error(w, http.StatusForbidden, "forbidden", "token "+sess.token.name+" lacks the read role")
		return
	}
	snap, err := d.current(r.Context())
	if err != nil {
		d.opts.Log.Error("dashboard figures not computed", "err", err)
		pages.Error(w, http.StatusServiceUnavailable, "unavailable", "the dashboard's figures could not be read; try again shortly")
		return
	}
	v := d.newPageView(r, locale, sess, snap)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := templates.ExecuteTemplate(w, "page", v); err != nil {
		d.opts.Log.Error("dashboard not rendered", "err", err)
	}
}

// Live serves GET /dashboard/live: the page's live part, which the page
// fetches every few seconds; 304 when nothing changed.
func (d *Dashboard) Live(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w)
	locale, _ := pages.Locale(r)
	sess, err := d.session(r)
	if err != nil {
		pages.Error(w, http.StatusUnauthorized, "unauthorized", "sign in at /dashboard/login")
		return
	}
	if !sess.token.has(config.RoleRead) {
		pages.Error(w, http.StatusForbidden, "forbidden", "token "+sess.token.name+" lacks the read role")
		return
	}
	snap, err := d.current(r.Context())
	if err != nil {
		d.opts.Log.Error("dashboard figures not computed", "err", err)
		pages.Error(w, http.StatusServiceUnavailable, "unavailable", "the dashboard's figures could not be read; try again shortly")
		return
	}
	html, err := d.renderLive(locale, sess, snap)
	if err != nil {
		d.opts.Log.Error("dashboard not rendered", "err", err)
		pages.Error(w, http.StatusInternalServerError, "internal", "the dashboard could not be rendered")
		return
	}
	pages.NewBody("text/html; charset=utf-8", html, snap.At, "private, no-cache").Serve(w, r)
}

// csrfPlaceholder stands for the viewer's CSRF token in a live part
// rendered once for every viewer of the same language and role.
const csrfPlaceholder = "csrf-placeholder-for-this-session"

// renderLive renders the live part once per snapshot, language and role
// (rendering costs more than computing, once there are many viewers), and
// puts the viewer's CSRF token in.
func (d *Dashboard) renderLive(locale string, sess session, snap *snapshot) ([]byte, error) {
	key := renderKey{snap: snap, locale: locale, manager: sess.token.has(config.RoleManager)}
	d.renderMu.Lock()
	html, ok := d.rendered[key]
	d.renderMu.Unlock()
	if !ok {
		v := d.newLiveView(locale, sess, snap)
		v.CSRF, v.User = csrfPlaceholder, ""
		var buf bytes.Buffer
		if err := templates.ExecuteTemplate(&buf, "live", v); err != nil {
			return nil, err
		}
		html = buf.Bytes()
		d.renderMu.Lock()
		for k := range d.rendered {
			if k.snap != snap {
				delete(d.rendered, k)
			}
		}
		d.rendered[key] = html
		d.renderMu.Unlock()
	}
	return bytes.ReplaceAll(html, []byte(csrfPlaceholder), []byte(sess.csrf())), nil
}

type renderKey struct {
	snap    *snapshot
	locale  string
	manager bool
}

// LoginForm serves GET /dashboard/login.
func (d *Dashboard) LoginForm(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w)
	locale, _ := pages.Locale(r)
	if _, err := d.session(r); err == nil {
		http.Redirect(w, r, "/dashboard?lang="+locale, http.StatusSeeOther)
		return
	}
	d.renderLogin(w, locale, http.StatusOK, r.URL.Query().Get("reason"))
}

// Login serves POST /dashboard/login: a token with the read role (or any
// role that includes it) signs in.
func (d *Dashboard) Login(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w)
	locale, _ := pages.Locale(r)
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if err := r.ParseForm(); err != nil {
		d.renderLogin(w, locale, http.StatusBadRequest, "malformed")
		return
	}
	if l := r.PostForm.Get("lang"); l == "ko" || l == "en" {
		locale = l
	}
	t, ok := d.sessions.lookup(r.PostForm.Get("token"))
	switch {
	case !ok:
		d.renderLogin(w, locale, http.StatusUnauthorized, "unknown")
		return
	case !t.has(config.RoleRead):
		d.renderLogin(w, locale, http.StatusForbidden, "norole")
		return
	}
	value, _ := d.sessions.issue(t)
	d.setCookie(w, r, value, int(d.opts.SessionTTL.Seconds()))
	d.opts.Log.Info("dashboard sign-in", "token", t.name)
	http.Redirect(w, r, "/dashboard?lang="+locale, http.StatusSeeOther)
}

// Logout serves POST /dashboard/logout.
func (d *Dashboard) Logout(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w)
	locale, _ := pages.Locale(r)
	if sess, err := d.session(r); err == nil && !sess.checkCSRF(r.PostFormValue("csrf")) {
		pages.Error(w, http.StatusForbidden, "csrf", "the form's CSRF token does not match the session; reload the page")
		return
	}
	d.setCookie(w, r, "", -1)
	http.Redirect(w, r, "/dashboard/login?lang="+locale+"&reason=signedout", http.StatusSeeOther)
}

// clusterIDPattern is what a cluster id may look like in a path.
var clusterIDPattern = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,128}$`)

// act checks what every action needs: a session, the manager role, the
// CSRF token and a sane id; it answers itself when one is missing.
func (d *Dashboard) act(w http.ResponseWriter, r *http.Request) (session, string, string, bool) {
	securityHeaders(w)
	locale, _ := pages.Locale(r)
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	sess, err := d.session(r)
	if err != nil {
		toLogin(w, r, locale, err)
		return session{}, "", "", false
	}
	if !sess.token.has(config.RoleManager) {
		pages.Error(w, http.StatusForbidden, "forbidden", "token "+sess.token.name+" lacks the manager role")
		return session{}, "", "", false
	}
	if !sess.checkCSRF(r.PostFormValue("csrf")) {
		pages.Error(w, http.StatusForbidden, "csrf", "the form's CSRF token does not match the session; reload the page")
		return session{}, "", "", false
	}
	id := r.PathValue("id")
	if !clusterIDPattern.MatchString(id) {
		pages.Error(w, http.StatusBadRequest, "invalid_field", "id is not a cluster id")
		return session{}, "", "", false
	}
	return sess, id, locale, true
}

// Declare serves POST /dashboard/alerts/{id}/declare.
func (d *Dashboard) Declare(w http.ResponseWriter, r *http.Request) {
	sess, id, locale, ok := d.act(w, r)
	if !ok {
		return
	}
	inc, err := d.opts.Alerts.DeclareAlert(r.Context(), actorOf(sess.token.name), id)
	d.afterAction(w, r, locale, "declared", inc.ID, err)
}

// Dismiss serves POST /dashboard/alerts/{id}/dismiss.
func (d *Dashboard) Dismiss(w http.ResponseWriter, r *http.Request) {
	sess, id, locale, ok := d.act(w, r)
	if !ok {
		return
	}
	err := d.opts.Alerts.DismissAlert(r.Context(), actorOf(sess.token.name), id)
	d.afterAction(w, r, locale, "dismissed", "", err)
}

// actorOf names a dashboard user in the audit trail.
func actorOf(tokenName string) string { return "dashboard:" + tokenName }

func (d *Dashboard) afterAction(w http.ResponseWriter, r *http.Request, locale, notice, incident string, err error) {
	switch {
	case errors.Is(err, storage.ErrNotFound), errors.Is(err, storage.ErrExists):
		notice, incident = "decided", ""
	case err != nil:
		d.opts.Log.Error("dashboard action failed", "action", notice, "err", err)
		pages.Error(w, http.StatusInternalServerError, "internal", "the action failed; nothing was changed")
		return
	}
	// The next page shows the result: the figures are computed afresh.
	d.mu.Lock()
	d.snap = nil
	d.mu.Unlock()
	q := url.Values{"lang": {locale}, "notice": {notice}}
	if incident != "" {
		q.Set("incident", incident)
	}
	http.Redirect(w, r, "/dashboard?"+q.Encode()+"#alerts", http.StatusSeeOther)
}
