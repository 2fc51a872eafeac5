package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/surgedesk/surgedesk/bot"
	"github.com/surgedesk/surgedesk/bot/slackbot"
	"github.com/surgedesk/surgedesk/bus"
	"github.com/surgedesk/surgedesk/config"
	"github.com/surgedesk/surgedesk/kb"
	"github.com/surgedesk/surgedesk/storage"
	"github.com/surgedesk/surgedesk/triage"
	"github.com/surgedesk/surgedesk/web"
	"github.com/surgedesk/surgedesk/workers"
)

// configFlags are the flags every command that reads configuration takes.
type configFlags struct {
	path, httpAddr, dataDir, logLevel, logFormat string
}

func (f *configFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.path, "config", "", "YAML configuration file (see configs/surgedesk.yaml)")
	fs.StringVar(&f.httpAddr, "http-addr", "127.0.0.1:8080", "HTTP listen address (overrides http.addr)")
	fs.StringVar(&f.dataDir, "data-dir", "./data", "directory for the embedded NATS store and SQLite (overrides data_dir)")
	fs.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error (overrides log.level)")
	fs.StringVar(&f.logFormat, "log-format", "text", "text or json (overrides log.format)")
}

// load reads the file and the environment, then applies the flags given
// on the command line: flags beat the environment, which beats the file.
func (f *configFlags) load(fs *flag.FlagSet) (config.Config, error) {
	cfg, err := config.Load(f.path, os.Environ())
	if err != nil {
		return cfg, err
	}
	fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "http-addr":
			cfg.HTTP.Addr = f.httpAddr
		case "data-dir":
			cfg.DataDir = f.dataDir
		case "log-level":
			cfg.Log.Level = f.logLevel
		case "log-format":
			cfg.Log.Format = f.logFormat
		}
	})
	return cfg, cfg.Validate()
}

func newLogger(cfg config.Log, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Level))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", stderr)
	var cf configFlags
	cf.register(fs)
	check := fs.Bool("check-config", false, "validate the configuration, report every problem, and exit")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := cf.load(fs)
	if err != nil {
		return fmt.Errorf("invalid configuration:\n%w", err)
	}
	if *check {
		fmt.Fprintln(stdout, "configuration is valid")
		return nil
	}
	return serve(ctx, cfg, newLogger(cfg.Log, stderr), nil)
}

// databaseURL resolves the configured database, SQLite in the data dir by default.
func databaseURL(cfg config.Config) string {
	if cfg.Database.URL == "" || strings.HasPrefix(cfg.Database.URL, "sqlite:") {
		return "sqlite:" + cfg.SQLitePath()
	}
	return cfg.Database.URL
}

// openDatabase opens the configured database and migrates it.
func openDatabase(ctx context.Context, cfg config.Config, maxConns int) (*storage.Storage, []string, error) {
	db, err := storage.Open(ctx, databaseURL(cfg), maxConns)
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

// serve runs everything until ctx is cancelled, then shuts down in order:
// stop intake, drain the workers, flush NATS, close the database. When
// started is non-nil it receives the HTTP address once intake is open.
func serve(ctx context.Context, cfg config.Config, log *slog.Logger, started chan<- string) error {
	if err := ensureAdminToken(&cfg, log); err != nil {
		return err
	}
	db, applied, err := openDatabase(ctx, cfg, cfg.Database.MaxOpenConns)
	if err != nil {
		return err
	}
	defer db.Close()
	log.Info("database ready", "dialect", db.Dialect(), "migrations_applied", len(applied))

	b, err := bus.Open(ctx, cfg.NATS, cfg.DataDir, log)
	if err != nil {
		return err
	}
	defer b.Close()

	// The clustering index lives in memory: rebuilt from SQL here, then
	// kept in step with the other instances' assignments over NATS.
	instance := randomHex(8)
	clusters := newClusterer(cfg.Triage)
	restored, err := workers.RestoreClusters(ctx, db, clusters, time.Now(), cfg.Triage.IdleWindow, cfg.Triage.RestoreSample)
	if err != nil {
		return err
	}
	log.Info("clusters restored", "open", restored, "index_bytes", clusters.IndexBytes())
	follow, err := workers.FollowClusters(b.Conn, instance, clusters, log)
	if err != nil {
		return err
	}
	defer follow.Unsubscribe()

	// The knowledge base, likewise: loaded from SQL, reloaded whenever any
	// instance announces a change.
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Embeddings and LLM assist, when configured: off the intake path.
	assistant := newAssistant(cfg.Assist, reg, log.With("component", "assist"))
	knowledge := kb.NewLive(db, log)
	if assistant.embedder != nil {
		knowledge.WithVectors(assistant.embedder, cfg.Assist.SemanticWeight, kb.DefaultHybridOptions())
	}
	followCtx, stopFollowing := context.WithCancel(context.WithoutCancel(ctx))
	defer stopFollowing()
	if err := knowledge.Follow(followCtx, b.Conn); err != nil {
		return err
	}
	if err := knowledge.Load(ctx); err != nil {
		return err
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
	deliver := workers.NewDeliver(db, workers.DeliverOptions{
		Owner: instance, Secrets: secrets, Secret: cfg.Replies.Secret, Timeout: cfg.Replies.Timeout,
		MaxAttempts: cfg.Replies.MaxAttempts, MinBackoff: cfg.Replies.MinBackoff, MaxBackoff: cfg.Replies.MaxBackoff,
		RatePerHost: cfg.Replies.RatePerHost, BurstPerHost: cfg.Replies.BurstPerHost,
		PollInterval: cfg.Replies.PollInterval, Concurrency: cfg.Replies.Concurrency,
		AllowPrivate: cfg.Replies.AllowPrivateAddresses, Channels: channels,
	}, log.With("worker", "deliver"), reg)
	dead := bus.NewDeadLetters(b.JetStream)
	store := workers.NewIngest(b.JetStream, db, clusters, dead, workers.IngestOptions{
		BatchSize: cfg.Workers.BatchSize, BatchLinger: cfg.Workers.BatchLinger, MaxAttempts: cfg.Workers.MaxAttempts,
		AckWait: cfg.Workers.AckWait, MaxBackoff: cfg.Workers.MaxBackoff, Instance: instance,
		SurgePerMinute: cfg.Alerts.SurgePerMinute, SurgeMinCustomers: cfg.Alerts.MinCustomers,
		Kick: deliver.Kick,
	}, log.With("worker", "store"), reg)
	intake := bot.NewIntake(b, bot.Limits{MaxTextBytes: cfg.Intake.MaxTextBytes}, cfg.NATS.PublishTimeout).WithAnswers(knowledge)
	// What follows a change, whichever of the API and Slack made it.
	changed := func(_ context.Context, what string) {
		if err := kb.AnnounceChange(b.Conn, what); err != nil {
			log.Warn("knowledge-base change not announced", "err", err)
		}
	}
	followUp := func(ctx context.Context, id string, u kb.Update) {
		n, err := workers.FollowUp(ctx, db, id, u)
		if err != nil {
			// The update recorded them as owed: RunFollowUpOwed queues them.
			log.Warn("follow-ups not queued now; owed, and queued within a minute", "incident", id, "version", u.Version, "err", err)
			return
		}
		log.Info("follow-ups queued", "incident", id, "version", u.Version, "customers", n)
		deliver.Kick()
	}
	clustersClosed := func(_ context.Context, ids []string) {
		if err := workers.AnnounceClosed(b.Conn, ids); err != nil {
			log.Warn("closed clusters not announced", "err", err)
		}
	}
	var slackApp *slackbot.App
	if sender != nil {
		slackApp = slackbot.New(slackbot.Options{
			Config: cfg.Slack, Intake: intake, Store: db, Sender: sender,
			Changed: changed, ClustersClosed: clustersClosed, FollowUp: followUp, Kick: deliver.Kick,
			Owner: instance, Log: log.With("component", "slack"),
			IdleWindow: cfg.Triage.IdleWindow,
		})
	}
	opts := web.Options{
		Config:         cfg,
		Intake:         intake,
		Store:          db,
		Bus:            b,
		JetStream:      b.JetStream,
		DeadLetters:    dead,
		Clusters:       clusters,
		Knowledge:      db,
		Changed:        changed,
		FollowUp:       followUp,
		Kick:           deliver.Kick,
		ClustersClosed: clustersClosed,
		ClustersMerged: func(_ context.Context, from, into string) {
			if err := workers.AnnounceMerge(b.Conn, instance, from, into); err != nil {
				log.Warn("merge not announced; other instances learn it on restart", "from", from, "into", into, "err", err)
			}
		},
		ClusterSplit: func(_ context.Context, from, to string, moved, kept []storage.Inquiry) {
			if err := workers.AnnounceSplit(b.Conn, instance, from, to, moved, kept); err != nil {
				log.Warn("split not announced; other instances learn it on restart", "from", from, "to", to, "err", err)
			}
		},
		Log:      log,
		Registry: reg,
	}
	if slackApp != nil && cfg.Slack.Mode == "events" {
		opts.Slack = slackApp
	}
	if assistant.suggester != nil {
		opts.Suggester = assistant.suggester
	}
	api := web.New(opts)

	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	var wg sync.WaitGroup
	workErr := make(chan error, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := store.Run(workCtx); err != nil {
			workErr <- err
		}
	}()
	wg.Go(func() { _ = deliver.Run(workCtx) })
	assistant.run(workCtx, &wg)
	// The follow-ups of an update whose process stopped before queuing
	// them (they are owed in SQL from the update's commit on).
	wg.Go(func() { workers.RunFollowUpOwed(workCtx, db, 30*time.Second, time.Minute, deliver.Kick, log) })
	if slackApp != nil {
		wg.Go(func() {
			if err := slackApp.Run(workCtx); err != nil {
				log.Error("slack stopped", "err", err)
			}
		})
		log.Info("slack app on", "mode", cfg.Slack.Mode, "agents_channel", cfg.Slack.AgentsChannel, "support_channels", len(cfg.Slack.SupportChannels))
	}

	ln, err := net.Listen("tcp", cfg.HTTP.Addr)
	if err != nil {
		stopWork()
		wg.Wait()
		return fmt.Errorf("unable to listen on %s: %w", cfg.HTTP.Addr, err)
	}
	srv := api.HTTPServer(cfg.HTTP.Addr)
	httpErr := make(chan error, 1)
	go func() { httpErr <- srv.Serve(ln) }()
	log.Info("surgedesk serving", "addr", ln.Addr().String(), "nats", map[bool]string{true: "embedded", false: "external"}[b.Embedded()], "database", db.Dialect())
	if started != nil {
		started <- ln.Addr().String()
	}

	var runErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down: intake stops first")
	case err := <-httpErr:
		runErr = fmt.Errorf("http server: %w", err)
	case err := <-workErr:
		runErr = err
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), cfg.HTTP.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("http shutdown", "err", err)
	}
	stopWork()
	wg.Wait()
	log.Info("workers drained; flushing nats and closing the database")
	return runErr
}

// ensureAdminToken makes a laptop run usable with no set-up: with no token
// and no source configured, an admin token is generated once and kept in
// the data dir.
func ensureAdminToken(cfg *config.Config, log *slog.Logger) error {
	if cfg.Auth.AdminToken != "" || len(cfg.Auth.Tokens) > 0 || len(cfg.Auth.Sources) > 0 {
		return nil
	}
	path := filepath.Join(cfg.DataDir, "admin-token")
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= 16 {
		cfg.Auth.AdminToken = strings.TrimSpace(string(b))
		log.Info("no token configured; using the generated admin token", "file", path)
		return nil
	}
	tok := randomHex(24)
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return fmt.Errorf("unable to create data dir: %w", err)
	}
	if err := os.WriteFile(path, []byte(tok+"\n"), 0o600); err != nil {
		return fmt.Errorf("unable to write %s: %w", path, err)
	}
	cfg.Auth.AdminToken = tok
	log.Info("no token configured; generated an admin token", "file", path)
	return nil
}

func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("migrate", stderr)
	var cf configFlags
	cf.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := cf.load(fs)
	if err != nil {
		return fmt.Errorf("invalid configuration:\n%w", err)
	}
	db, applied, err := openDatabase(ctx, cfg, 1)
	if err != nil {
		return err
	}
	defer db.Close()
	for _, a := range applied {
		fmt.Fprintln(stdout, "applied", a)
	}
	fmt.Fprintf(stdout, "%s schema is up to date (%d applied now)\n", db.Dialect(), len(applied))
	return nil
}

// waitTimeout is how long dlq commands wait for the server.
const waitTimeout = 30 * time.Second

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
