// Package web serves surgedesk's HTTP API on the standard ServeMux. Each
// handler runs decode → validate → act → respond; errors are always
// {"error": {"code", "message"}}.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/surgedesk/surgedesk"
	"github.com/surgedesk/surgedesk/bot"
	"github.com/surgedesk/surgedesk/bus"
	"github.com/surgedesk/surgedesk/config"
	"github.com/surgedesk/surgedesk/desk"
	"github.com/surgedesk/surgedesk/kb"
	"github.com/surgedesk/surgedesk/storage"
	"github.com/surgedesk/surgedesk/triage"
)

// inquiryReader is the part of storage the read side needs.
type inquiryReader interface {
	Inquiry(ctx context.Context, id string) (storage.Inquiry, error)
	InquiryCount(ctx context.Context) (int64, error)
	InquiryCounts(ctx context.Context, after, upTo uint64) (total, between int64, err error)
	Cluster(ctx context.Context, id string) (storage.Cluster, error)
	OpenClustersPage(ctx context.Context, since int64, after *storage.ClusterKey, limit int) ([]storage.Cluster, int64, error)
	InquiriesByCluster(ctx context.Context, clusterID string, limit int) ([]storage.Inquiry, error)
	ClusterMembers(ctx context.Context, clusterID string, f storage.MemberFilter, after *storage.MemberKey, limit int) ([]storage.Inquiry, int64, error)
	Alert(ctx context.Context, clusterID string) (storage.Alert, error)
	AlertsPage(ctx context.Context, status string, after *storage.AlertKey, limit int) ([]storage.Alert, error)
	ClusterReply(ctx context.Context, clusterID string) (storage.Reply, []storage.Delivery, error)
	Ping(ctx context.Context) error
}

// liveClusters is the in-memory clusterer, which alone knows recent rates.
type liveClusters interface {
	Cluster(id string) (triage.Cluster, bool)
}

// knowledgeStore is the part of storage the knowledge-base API reads.
type knowledgeStore interface {
	Incident(ctx context.Context, id string) (kb.Incident, error)
	Incidents(ctx context.Context, activeOnly bool) ([]kb.Incident, error)
	IncidentUpdates(ctx context.Context, id string) ([]kb.Update, error)
	Answer(ctx context.Context, id string) (kb.Answer, error)
	Answers(ctx context.Context) ([]kb.Answer, error)
	ExportKB(ctx context.Context) (kb.Document, error)
	AuditPage(ctx context.Context, subject string, before int64, limit int) ([]storage.AuditEntry, error)
	DeliveriesByIncidentPage(ctx context.Context, incidentID string, after *storage.DeliveryKey, limit int) ([]storage.Delivery, error)
	IncidentVolume(ctx context.Context, incidentID string, bucketMS, since int64) ([]storage.VolumeBucket, error)
}

// slackApp serves the Slack app's HTTP endpoints; Slack signs its
// requests, so they take no bearer token.
type slackApp interface {
	Events(w http.ResponseWriter, r *http.Request)
	Interactivity(w http.ResponseWriter, r *http.Request)
	Commands(w http.ResponseWriter, r *http.Request)
}

// slack routes to the Slack app, or answers 404 when there is none (Slack
// not configured, or in socket mode, where nothing arrives over HTTP).
func (s *Server) slack(handler func(slackApp) http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.Slack == nil {
			s.writeError(w, newError(http.StatusNotFound, "slack_disabled",
				"Slack is not configured over HTTP here (set slack.bot_token, with slack.mode events)"))
			return
		}
		handler(s.Slack)(w, r)
	})
}

// pinger is a dependency /readyz checks.
type pinger interface {
	Ping(ctx context.Context) error
}

// busPinger is NATS as /readyz checks it: the consumers' side (Ping) and
// what intake needs to accept durably (PingIntake).
type busPinger interface {
	pinger
	PingIntake(ctx context.Context) error
}

// Options are the server's dependencies.
type Options struct {
	Config      config.Config
	Intake      *bot.Intake
	Store       inquiryReader
	Bus         busPinger
	JetStream   jetstream.JetStream
	DeadLetters *bus.DeadLetters
	Clusters    liveClusters
	Knowledge   knowledgeStore
	// Desk runs the agents' and managers' actions.
	Desk *desk.Desk
	// ProblemStore serves the problem API's reads (nil: not served).
	ProblemStore problemStore
	// Slack serves /slack/*; nil answers them 404 slack_disabled.
	Slack slackApp
	// Dashboard and Status serve the managers' dashboard and the public
	// status page (see pages.go); nil answers their routes 404.
	Dashboard dashboardApp
	Status    statusPage
	// Suggester drafts titles and replies with the chat model; nil answers
	// 404 assist_disabled.
	Suggester suggester
	Log       *slog.Logger
	Registry  *prometheus.Registry
}

// Server is the HTTP API.
type Server struct {
	Options
	auth    *authenticator
	metrics serverMetrics
	mux     *http.ServeMux
}

type serverMetrics struct {
	intake        *prometheus.CounterVec
	duration      prometheus.Histogram
	batchDuration prometheus.Histogram
	errors        *prometheus.CounterVec
}

// New returns the API server; its metrics are registered on o.Registry.
func New(o Options) *Server {
	s := &Server{
		Options: o,
		auth:    newAuthenticator(o.Config.Auth, o.Config.Intake.SignatureWindow),
		metrics: serverMetrics{
			intake: prometheus.NewCounterVec(prometheus.CounterOpts{
				Name: "surgedesk_intake_requests_total", Help: "Inquiries posted to POST /v1/inquiries and :batch by result code (accepted, duplicate or an error code).",
			}, []string{"code"}),
			duration: prometheus.NewHistogram(prometheus.HistogramOpts{
				Name: "surgedesk_intake_duration_seconds", Help: "Time from request to response for POST /v1/inquiries, JetStream ack included.",
				Buckets: prometheus.ExponentialBuckets(0.0002, 2, 16),
			}),
			batchDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
				Name: "surgedesk_intake_batch_duration_seconds", Help: "Time from request to response for POST /v1/inquiries:batch, every JetStream ack included.",
				Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
			}),
			errors: prometheus.NewCounterVec(prometheus.CounterOpts{
				Name: "surgedesk_http_errors_total", Help: "Error responses by error code, all endpoints.",
			}, []string{"code"}),
		},
		mux: http.NewServeMux(),
	}
	o.Registry.MustRegister(s.metrics.intake, s.metrics.duration, s.metrics.batchDuration, s.metrics.errors)
	// Present from the start, so dashboards see zero rather than no series.
	s.metrics.intake.WithLabelValues("accepted")
	s.metrics.intake.WithLabelValues("duplicate")
	s.routes()
	return s
}

// route is one ServeMux pattern and its handler.
type route struct {
	pattern string
	handler http.Handler
}

// routeTable lists every route; it is data so that the test can compare it
// with openapi.yaml.
func (s *Server) routeTable() []route {
	return append(s.apiRoutes(), s.pageRoutes()...)
}

func (s *Server) apiRoutes() []route {
	return []route{
		{"POST /v1/inquiries", http.HandlerFunc(s.postInquiry)},
		{"POST /v1/inquiries:batch", http.HandlerFunc(s.postInquiryBatch)},
		{"GET /v1/inquiries/{id}", s.require(config.RoleRead, s.getInquiry)},
		{"GET /v1/stats", s.require(config.RoleRead, s.getStats)},
		{"GET /v1/clusters", s.require(config.RoleRead, s.getClusters)},
		{"GET /v1/clusters/{id}", s.require(config.RoleRead, s.getCluster)},
		{"GET /v1/clusters/{id}/members", s.require(config.RoleAgent, s.getClusterMembers)},
		{"GET /v1/alerts", s.require(config.RoleRead, s.getAlerts)},
		{"POST /v1/alerts/{id}/declare", s.require(config.RoleManager, s.declareAlert)},
		{"POST /v1/alerts/{id}/dismiss", s.require(config.RoleAgent, s.dismissAlert)},
		{"GET /v1/queue", s.require(config.RoleAgent, s.getQueue)},
		{"POST /v1/queue/{cluster}/claim", s.require(config.RoleAgent, s.claimQueueItem)},
		{"POST /v1/queue/{cluster}/resolve", s.require(config.RoleAgent, s.resolveQueueItem)},
		{"POST /v1/queue/{cluster}/reply", s.require(config.RoleAgent, s.replyToQueueItem)},
		{"GET /v1/queue/{cluster}/reply", s.require(config.RoleAgent, s.getQueueItemReply)},
		{"POST /v1/clusters/{id}/link", s.require(config.RoleAgent, s.linkCluster)},
		{"POST /v1/clusters/{id}/merge", s.require(config.RoleAgent, s.mergeCluster)},
		{"POST /v1/clusters/{id}/split", s.require(config.RoleAgent, s.splitCluster)},
		{"POST /v1/clusters/{id}/move", s.require(config.RoleAgent, s.moveCluster)},
		{"GET /v1/problems", s.require(config.RoleRead, s.getProblems)},
		{"GET /v1/problems/{id}", s.require(config.RoleRead, s.getProblem)},
		{"POST /v1/problems/{id}/claim", s.require(config.RoleAgent, s.claimProblem)},
		{"POST /v1/problems/{id}/link", s.require(config.RoleAgent, s.linkProblem)},
		{"POST /v1/problems/{id}/merge", s.require(config.RoleAgent, s.mergeProblem)},
		{"POST /v1/problems/{id}/name", s.require(config.RoleAgent, s.nameProblem)},
		{"POST /v1/problems/{id}/reply", s.require(config.RoleAgent, s.replyToProblem)},
		{"POST /v1/problems/{id}/resolve", s.require(config.RoleAgent, s.resolveProblem)},
		{"GET /v1/problems/{id}/suggestion", s.require(config.RoleAgent, s.getProblemSuggestion)},
		{"GET /v1/clusters/{id}/suggestion", s.require(config.RoleAgent, s.getClusterSuggestion)},
		{"GET /v1/incidents", s.require(config.RoleRead, s.getIncidents)},
		{"POST /v1/incidents", s.require(config.RoleManager, s.postIncident)},
		{"GET /v1/incidents/{id}", s.require(config.RoleRead, s.getIncident)},
		{"GET /v1/incidents/{id}/updates", s.require(config.RoleRead, s.getIncidentUpdates)},
		{"POST /v1/incidents/{id}/updates", s.require(config.RoleManager, s.postIncidentUpdate)},
		{"GET /v1/incidents/{id}/volume", s.require(config.RoleRead, s.getIncidentVolume)},
		{"GET /v1/incidents/{id}/notifications", s.require(config.RoleRead, s.getIncidentNotifications)},
		{"GET /v1/kb/answers", s.require(config.RoleRead, s.getAnswers)},
		{"POST /v1/kb/answers", s.require(config.RoleManager, s.postAnswer)},
		{"GET /v1/kb/answers/{id}", s.require(config.RoleRead, s.getAnswer)},
		{"PUT /v1/kb/answers/{id}", s.require(config.RoleManager, s.putAnswer)},
		{"GET /v1/kb/export", s.require(config.RoleManager, s.exportKB)},
		{"POST /v1/kb/import", s.require(config.RoleManager, s.importKB)},
		{"GET /v1/audit", s.require(config.RoleManager, s.getAudit)},
		{"GET /v1/dead-letters", s.require(config.RoleAdmin, s.getDeadLetters)},
		{"POST /v1/dead-letters/replay", s.require(config.RoleAdmin, s.replayDeadLetters)},
		{"POST /slack/events", s.slack(func(a slackApp) http.HandlerFunc { return a.Events })},
		{"POST /slack/interactivity", s.slack(func(a slackApp) http.HandlerFunc { return a.Interactivity })},
		{"POST /slack/commands", s.slack(func(a slackApp) http.HandlerFunc { return a.Commands })},
		{"GET /healthz", http.HandlerFunc(s.healthz)},
		{"GET /readyz", http.HandlerFunc(s.readyz)},
		{"GET /metrics", promhttp.HandlerFor(s.Registry, promhttp.HandlerOpts{Registry: s.Registry})},
		{"GET /openapi.yaml", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/yaml")
			_, _ = w.Write(surgedesk.OpenAPI)
		})},
		{"/", http.HandlerFunc(s.noRoute)},
	}
}

// noRoute answers a request no route matched: 405 with Allow when the
// path exists for other methods, 404 otherwise.
func (s *Server) noRoute(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "" && pattern != "/" {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		s.writeError(w, newError(http.StatusNotFound, "not_found", "no such endpoint: "+r.Method+" "+r.URL.Path))
		return
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	s.writeError(w, newError(http.StatusMethodNotAllowed, "method_not_allowed",
		r.Method+" is not allowed on "+r.URL.Path+"; allowed: "+strings.Join(allow, ", ")))
}

func (s *Server) routes() {
	for _, rt := range s.routeTable() {
		s.mux.Handle(rt.pattern, rt.handler)
	}
}

// ServeHTTP makes Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if aerr := checkRequestStrings(r); aerr != nil {
		s.writeError(w, aerr)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// require wraps h with bearer-token authentication for role.
func (s *Server) require(role string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, present, aerr := s.auth.bearer(r)
		switch {
		case aerr != nil:
			s.writeError(w, aerr)
		case !present:
			s.writeError(w, errUnauthorized("unauthorized", "missing Authorization: Bearer <token>"))
		case !p.has(role):
			s.writeError(w, newError(http.StatusForbidden, "forbidden", "token "+p.name+" lacks the "+role+" role"))
		default:
			h(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
		}
	}
}

type principalKey struct{}

// actor names who made a request, for the audit trail.
func actor(r *http.Request) string {
	if p, ok := r.Context().Value(principalKey{}).(principal); ok {
		return p.name
	}
	return "unknown"
}

// HTTPServer wraps s with the configured timeouts.
func (s *Server) HTTPServer(addr string) *http.Server {
	c := s.Config.HTTP
	return &http.Server{
		Addr:              addr,
		Handler:           s,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       c.ReadTimeout,
		WriteTimeout:      c.WriteTimeout,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.Log.Handler(), slog.LevelWarn),
	}
}
