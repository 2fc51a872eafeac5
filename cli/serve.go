package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/surgedesk/surgedesk/app"
	"github.com/surgedesk/surgedesk/config"
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
	cpuProfile := fs.String("cpu-profile", "", "write a CPU profile of the whole run to `file` (go tool pprof)")
	memProfile := fs.String("mem-profile", "", "write the allocation profile to `file` at shutdown (go tool pprof)")
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
	stop, err := startProfiles(*cpuProfile, *memProfile)
	if err != nil {
		return err
	}
	defer stop()
	return serve(ctx, cfg, newLogger(cfg.Log, stderr), nil)
}

// serve runs one instance until ctx is cancelled, then shuts down in
// order: stop intake, drain the workers, flush NATS, close the database.
// When started is non-nil it receives the HTTP address once intake is open.
func serve(ctx context.Context, cfg config.Config, log *slog.Logger, started chan<- string) error {
	if err := ensureAdminToken(&cfg, log); err != nil {
		return err
	}
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	if started != nil {
		started <- a.Addr()
	}
	runErr := a.Run(ctx)
	shutCtx, cancel := context.WithTimeout(context.Background(), cfg.HTTP.ShutdownTimeout)
	defer cancel()
	_ = a.Shutdown(shutCtx) // logged; the run's error matters more
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
	db, applied, err := app.OpenDatabase(ctx, cfg, 1)
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
