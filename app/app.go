// Package app is one surgedesk instance (`surgedesk serve`): New opens the
// database and NATS and wires intake, the workers, the desk, the HTTP API
// and the Slack app; Run serves until its context ends or a part fails;
// Shutdown stops intake first, drains the workers, and closes NATS and the
// database. The cli package only reads the configuration and calls these.
package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/surgedesk/surgedesk/bot"
	"github.com/surgedesk/surgedesk/bot/slackbot"
	"github.com/surgedesk/surgedesk/bus"
	"github.com/surgedesk/surgedesk/config"
	"github.com/surgedesk/surgedesk/desk"
	"github.com/surgedesk/surgedesk/kb"
	"github.com/surgedesk/surgedesk/storage"
	"github.com/surgedesk/surgedesk/triage"
	"github.com/surgedesk/surgedesk/web"
	"github.com/surgedesk/surgedesk/workers"
)

// App is one running instance.
type App struct {
	cfg config.Config
	log *slog.Logger

	db       *storage.Storage
	bus      *bus.Bus
	follow   *nats.Subscription
	deliver  *workers.Deliver
	store    *workers.Ingest
	desk     *desk.Desk
	slack    *slackbot.App
	assist   assistant
	srv      *http.Server
	ln       net.Listener
	stopKB   context.CancelFunc
	stopWork context.CancelFunc
	wg       sync.WaitGroup
	failed   chan error // a part that stopped on its own
	closers  []func()   // in reverse order of opening
	shutdown sync.Once
}

// DatabaseURL resolves the configured database, SQLite in the data dir by
// default.
func DatabaseURL(cfg config.Config) string {
	if cfg.Database.URL == "" || strings.HasPrefix(cfg.Database.URL, "sqlite:") {
		return "sqlite:" + cfg.SQLitePath()
	}
	return cfg.Database.URL
}

// OpenDatabase opens the configured database and migrates it; it returns
// the migrations applied now.
func OpenDatabase(ctx context.Context, cfg config.Config, maxConns int) (*storage.Storage, []string, error) {
	db, err := storage.Open(ctx, DatabaseURL(cfg), maxConns)
	if err != nil {
		return nil, nil, err
	}
	applied, err := db.Migrate(ctx)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, applied, nil
}

// New opens what the instance needs and wires it, listening on
// cfg.HTTP.Addr (serving starts with Run). On error everything opened is
// closed again.
func New(ctx context.Context, cfg config.Config, log *slog.Logger) (a *App, err error) {
	a = &App{cfg: cfg, log: log, failed: make(chan error, 2)}
	defer func() {
		if err != nil {
			a.close()
		}
	}()
	db, applied, err := OpenDatabase(ctx, cfg, cfg.Database.MaxOpenConns)
	if err != nil {
		return nil, err
	}
	a.db = db
	a.closers = append(a.closers, func() { db.Close() })
	log.Info("database ready", "dialect", db.Dialect(), "migrations_applied", len(applied))

	b, err := bus.Open(ctx, cfg.NATS, cfg.DataDir, log)
	if err != nil {
		return nil, err
	}
	a.bus = b
	a.closers = append(a.closers, b.Close)

	// The clustering index lives in memory: rebuilt from SQL here, then
	// kept in step with the other instances' assignments over NATS.
	instance := randomHex(8)
	clusters := newClusterer(cfg.Triage)
	restored, follow, err := workers.RestoreAndFollowClusters(ctx, db, b.Conn, instance, clusters, time.Now(), cfg.Triage.IdleWindow, cfg.Triage.RestoreSample, log)
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, func() { _ = follow.Unsubscribe() })
	log.Info("clusters restored", "open", restored, "index_bytes", clusters.IndexBytes())
	// Problems (clusters of one issue) likewise: placements, and the
	// agents' moves and merges, are in SQL and announced over NATS.
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Embeddings and LLM assist, when configured: off the intake path.
	a.assist = newAssistant(cfg.Assist, reg, log.With("component", "assist"))
	popts := triage.DefaultProblemOptions()
	if a.assist.clusters != nil && cfg.Assist.ProblemWeight > 0 {
		popts.Embedder, popts.EmbeddingWeight = a.assist.clusters, cfg.Assist.ProblemWeight
	}
	problems := triage.NewGrouper(popts)
	placed, followProblems, err := workers.RestoreAndFollowProblems(ctx, db, b.Conn, instance, problems, time.Now(), cfg.Triage.IdleWindow, cfg.Triage.RestoreSample, log)
	if err != nil {
		return nil, err
	}
	log.Info("problems restored", "clusters", placed)
	a.closers = append(a.closers, func() { _ = followProblems.Unsubscribe() })

	// The knowledge base, likewise: loaded from SQL, reloaded whenever any
	// instance announces a change.
	knowledge := kb.NewLive(db, log)
	if a.assist.embedder != nil {
		knowledge.WithVectors(a.assist.embedder, cfg.Assist.SemanticWeight, kb.DefaultHybridOptions())
	}
	kbCtx, stopKB := context.WithCancel(context.WithoutCancel(ctx))
	a.closers = append(a.closers, stopKB)
	if err := knowledge.Follow(kbCtx, b.Conn); err != nil {
		return nil, err
	}
	if err := knowledge.Load(ctx); err != nil {
		return nil, err
	}

	// Replies go out on their own goroutine, leased in SQL, so a slow
	// receiver never holds up intake or storing.
	secrets := map[string]string{}
	for _, src := range cfg.Auth.Sources {
		secrets[src.Name] = src.Secret
	}
	// Slack, when configured, is one more reply channel for the delivery
	// worker (threads of customers' messages) and an app of its own.
	var sender *slackbot.Sender
	channels := map[string]workers.Channel{}
	if cfg.Slack.Enabled() {
		sender = slackbot.NewSender(cfg.Slack, nil, log.With("component", "slack"), reg)
		channels[bot.ChannelScheme] = sender
	}
	a.deliver = workers.NewDeliver(db, workers.DeliverOptions{
		Owner: instance, Secrets: secrets, Secret: cfg.Replies.Secret, Timeout: cfg.Replies.Timeout,
		MaxAttempts: cfg.Replies.MaxAttempts, MinBackoff: cfg.Replies.MinBackoff, MaxBackoff: cfg.Replies.MaxBackoff,
		RatePerHost: cfg.Replies.RatePerHost, BurstPerHost: cfg.Replies.BurstPerHost,
		PollInterval: cfg.Replies.PollInterval, Concurrency: cfg.Replies.Concurrency,
		AllowPrivate: cfg.Replies.AllowPrivateAddresses, Channels: channels,
	}, log.With("worker", "deliver"), reg)
	dead := bus.NewDeadLetters(b.JetStream)
	a.store = workers.NewIngest(b.JetStream, db, clusters, dead, workers.IngestOptions{
		BatchSize: cfg.Workers.BatchSize, BatchLinger: cfg.Workers.BatchLinger, MaxAttempts: cfg.Workers.MaxAttempts,
		AckWait: cfg.Workers.AckWait, MaxBackoff: cfg.Workers.MaxBackoff, Instance: instance,
		SurgePerMinute: cfg.Alerts.SurgePerMinute, SurgeMinCustomers: cfg.Alerts.MinCustomers,
		Kick: a.deliver.Kick,
	}, log.With("worker", "store"), reg)
	a.store.GroupProblems(a.assist.observing(problems))
	intake := bot.NewIntake(b, bot.Limits{MaxTextBytes: cfg.Intake.MaxTextBytes}, cfg.NATS.PublishTimeout).WithAnswers(knowledge).
		WithIdentifierKey(cfg.Intake.IdentifierKey)
	// Every agent's and manager's action, whichever of the API and Slack
	// made it, and what follows it.
	a.desk = desk.New(desk.Options{Store: db, Clusters: clusters, ProblemStore: db, Problems: problems, Conn: b.Conn, Instance: instance,
		Kick: a.deliver.Kick, IdleWindow: cfg.Triage.IdleWindow, Log: log.With("component", "desk")})
	if sender != nil {
		sopts := slackbot.Options{
			Config: cfg.Slack, Intake: intake, Store: db, Desk: a.desk, Sender: sender, Kick: a.deliver.Kick,
			Owner: instance, Log: log.With("component", "slack"),
			IdleWindow: cfg.Triage.IdleWindow,
		}
		if a.assist.suggester != nil { // never a typed nil: the app checks for none
			sopts.Drafter = a.assist.suggester
		}
		a.slack = slackbot.New(sopts)
	}
	opts := web.Options{
		Config: cfg, Intake: intake, Store: db, Bus: b, JetStream: b.JetStream, DeadLetters: dead,
		Clusters: clusters, Knowledge: db, Desk: a.desk, ProblemStore: db, Log: log, Registry: reg,
	}
	if a.slack != nil && cfg.Slack.Mode == "events" {
		opts.Slack = a.slack
	}
	if opts.Dashboard, opts.Status, err = newPages(ctx, kbCtx, cfg, db, b.Conn, a.desk, log); err != nil {
		return nil, err
	}
	if a.assist.suggester != nil {
		opts.Suggester = a.assist.suggester
	}
	a.srv = web.New(opts).HTTPServer(cfg.HTTP.Addr)
	a.ln, err = net.Listen("tcp", cfg.HTTP.Addr)
	if err != nil {
		return nil, fmt.Errorf("unable to listen on %s: %w", cfg.HTTP.Addr, err)
	}
	return a, nil
}

// Addr is the address the HTTP API listens on.
func (a *App) Addr() string { return a.ln.Addr().String() }

// Run starts the workers and the Slack app, then serves HTTP until ctx
// ends (nil) or a part fails (its error). Call Shutdown after it returns.
func (a *App) Run(ctx context.Context) error {
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	a.stopWork = stopWork
	if a.cfg.Workers.Store {
		a.wg.Go(func() {
			if err := a.store.Run(workCtx); err != nil {
				a.failed <- err
			}
		})
	} else {
		a.log.Info("store worker off (workers.store: false): instances sharing NATS and the database store this instance's inquiries")
	}
	a.wg.Go(func() { _ = a.deliver.Run(workCtx) })
	a.assist.run(workCtx, &a.wg)
	// The follow-ups of an update whose process stopped before queuing
	// them (they are owed in SQL from the update's commit on).
	a.wg.Go(func() { workers.RunFollowUpOwed(workCtx, a.db, 30*time.Second, time.Minute, a.deliver.Kick, a.log) })
	// Alerts whose cluster went idle resolve by themselves.
	a.wg.Go(func() { a.desk.RunAlertSweep(workCtx, time.Minute) })
	if a.slack != nil {
		a.wg.Go(func() {
			if err := a.slack.Run(workCtx); err != nil {
				a.log.Error("slack stopped", "err", err)
			}
		})
		a.log.Info("slack app on", "mode", a.cfg.Slack.Mode, "agents_channel", a.cfg.Slack.AgentsChannel, "support_channels", len(a.cfg.Slack.SupportChannels))
	}
	httpErr := make(chan error, 1)
	go func() { httpErr <- a.srv.Serve(a.ln) }()
	a.log.Info("surgedesk serving", "addr", a.Addr(), "nats", map[bool]string{true: "embedded", false: "external"}[a.bus.Embedded()], "database", a.db.Dialect())
	select {
	case <-ctx.Done():
		a.log.Info("shutting down: intake stops first")
		return nil
	case err := <-httpErr:
		return fmt.Errorf("http server: %w", err)
	case err := <-a.failed:
		return err
	}
}

// Shutdown stops intake, drains the workers and the desk's background
// work, then flushes NATS and closes the database. ctx bounds the wait for
// HTTP requests in flight.
func (a *App) Shutdown(ctx context.Context) error {
	var err error
	a.shutdown.Do(func() {
		if serr := a.srv.Shutdown(ctx); serr != nil && !errors.Is(serr, http.ErrServerClosed) {
			a.log.Warn("http shutdown", "err", serr)
			err = serr
		}
		if a.stopWork != nil {
			a.stopWork()
		}
		a.wg.Wait()
		a.desk.Wait()
		a.log.Info("workers drained; flushing nats and closing the database")
		a.close()
	})
	return err
}

// close closes what New opened, last first.
func (a *App) close() {
	if a.ln != nil {
		_ = a.ln.Close()
	}
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
	a.closers = nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newClusterer applies the configuration to the tuned defaults.
func newClusterer(cfg config.Triage) *triage.Clusterer {
	opts := triage.DefaultOptions()
	opts.Threshold, opts.IdleWindow = cfg.Threshold, cfg.IdleWindow
	return triage.NewClusterer(opts)
}
