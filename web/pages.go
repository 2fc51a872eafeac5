package web

import "net/http"

// dashboardApp is the managers' dashboard (package pages/dashboard): it
// authenticates with its own session cookie, so its routes take no
// bearer token.
type dashboardApp interface {
	Page(w http.ResponseWriter, r *http.Request)
	Live(w http.ResponseWriter, r *http.Request)
	LoginForm(w http.ResponseWriter, r *http.Request)
	Login(w http.ResponseWriter, r *http.Request)
	Logout(w http.ResponseWriter, r *http.Request)
	Declare(w http.ResponseWriter, r *http.Request)
	Dismiss(w http.ResponseWriter, r *http.Request)
	Asset(w http.ResponseWriter, r *http.Request)
}

// statusPage is the public status page (package pages/status), served
// from memory.
type statusPage interface {
	HTML(w http.ResponseWriter, r *http.Request)
	JSON(w http.ResponseWriter, r *http.Request)
	Feed(w http.ResponseWriter, r *http.Request)
	Embed(w http.ResponseWriter, r *http.Request)
}

// pageRoutes are the two pages' routes.
func (s *Server) pageRoutes() []route {
	dash := func(h func(dashboardApp) http.HandlerFunc) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if s.Dashboard == nil {
				s.writeError(w, newError(http.StatusNotFound, "not_found", "the dashboard is not served here"))
				return
			}
			h(s.Dashboard)(w, r)
		})
	}
	status := func(h func(statusPage) http.HandlerFunc) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if s.Status == nil {
				s.writeError(w, newError(http.StatusNotFound, "not_found", "the status page is not served here"))
				return
			}
			h(s.Status)(w, r)
		})
	}
	return []route{
		{"GET /{$}", http.RedirectHandler("/dashboard", http.StatusSeeOther)},
		{"GET /dashboard", dash(func(d dashboardApp) http.HandlerFunc { return d.Page })},
		{"GET /dashboard/live", dash(func(d dashboardApp) http.HandlerFunc { return d.Live })},
		{"GET /dashboard/login", dash(func(d dashboardApp) http.HandlerFunc { return d.LoginForm })},
		{"POST /dashboard/login", dash(func(d dashboardApp) http.HandlerFunc { return d.Login })},
		{"POST /dashboard/logout", dash(func(d dashboardApp) http.HandlerFunc { return d.Logout })},
		{"POST /dashboard/alerts/{id}/declare", dash(func(d dashboardApp) http.HandlerFunc { return d.Declare })},
		{"POST /dashboard/alerts/{id}/dismiss", dash(func(d dashboardApp) http.HandlerFunc { return d.Dismiss })},
		{"GET /dashboard/assets/{name}", dash(func(d dashboardApp) http.HandlerFunc { return d.Asset })},
		{"GET /status", status(func(p statusPage) http.HandlerFunc { return p.HTML })},
		{"GET /status.json", status(func(p statusPage) http.HandlerFunc { return p.JSON })},
		{"GET /status/feed.atom", status(func(p statusPage) http.HandlerFunc { return p.Feed })},
		{"GET /status/embed.js", status(func(p statusPage) http.HandlerFunc { return p.Embed })},
	}
}
