// Package config loads surgedesk's configuration: one YAML file, decoded
// strictly, then overridden by SURGEDESK_* environment variables and by
// command-line flags, then validated with every problem reported at once.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Roles a token may hold.
const (
	RoleIntake  = "intake"  // POST /v1/inquiries
	RoleRead    = "read"    // GET inquiries, stats
	RoleAgent   = "agent"   // the agents' queue
	RoleManager = "manager" // incidents and the knowledge base
	RoleAdmin   = "admin"   // dead letters and everything else
)

// AllRoles lists every role; the admin token holds them all.
var AllRoles = []string{RoleIntake, RoleRead, RoleAgent, RoleManager, RoleAdmin}

// Config is the whole configuration. Every field has a yaml key and hence an
// environment variable: SURGEDESK_ followed by the key path in upper case,
// joined by underscores (http.addr → SURGEDESK_HTTP_ADDR).
type Config struct {
	DataDir  string   `yaml:"data_dir"`
	Log      Log      `yaml:"log"`
	HTTP     HTTP     `yaml:"http"`
	NATS     NATS     `yaml:"nats"`
	Database Database `yaml:"database"`
	Intake   Intake   `yaml:"intake"`
	Auth     Auth     `yaml:"auth"`
	Workers  Workers  `yaml:"workers"`
	Triage   Triage   `yaml:"triage"`
	Alerts   Alerts   `yaml:"alerts"`
	Replies  Replies  `yaml:"replies"`
	Slack    Slack    `yaml:"slack"`
	Assist   Assist   `yaml:"assist"`
}

// Slack configures the Slack app: customers' messages in and the agents'
// board, buttons and slash command. It is on when BotToken is set.
type Slack struct {
	// Mode is the transport for events, interactions and commands:
	// "events" (HTTP: /slack/events, /slack/interactivity, /slack/commands,
	// verified with SigningSecret) or "socket" (Socket Mode over a
	// websocket opened with AppToken; no public URL needed).
	Mode          string `yaml:"mode"`
	BotToken      string `yaml:"bot_token"`      // xoxb-…, SURGEDESK_SLACK_BOT_TOKEN
	SigningSecret string `yaml:"signing_secret"` // SURGEDESK_SLACK_SIGNING_SECRET
	AppToken      string `yaml:"app_token"`      // xapp-…, Socket Mode only; SURGEDESK_SLACK_APP_TOKEN
	// APIURL is the Web API base, ending in "/"; tests and on-premise
	// proxies point it elsewhere.
	APIURL string `yaml:"api_url"`
	// SupportChannels are channel IDs whose top-level messages are
	// inquiries; direct messages to the bot always are.
	SupportChannels []string `yaml:"support_channels"`
	// AgentsChannel is the channel ID where the queue is shown, one
	// message per cluster, and surge alerts are posted. Empty: no board.
	AgentsChannel string `yaml:"agents_channel"`
	// AgentUsers and ManagerUsers are Slack user IDs. Anyone acting in the
	// agents' channel is an agent; managers (declare, update, resolve
	// incidents) must be listed.
	AgentUsers   []string `yaml:"agent_users"`
	ManagerUsers []string `yaml:"manager_users"`
	// Command is the slash command's name.
	Command string `yaml:"command"`
	// BoardInterval is the least time between two updates of one
	// cluster's message; BoardMinInquiries is the size at which a cluster
	// gets a message; BoardSize bounds the clusters shown at once.
	BoardInterval     time.Duration `yaml:"board_interval"`
	BoardMinInquiries int           `yaml:"board_min_inquiries"`
	BoardSize         int           `yaml:"board_size"`
	// RatePerChannel and BurstPerChannel limit messages per channel, per
	// instance (Slack allows about one per second, with short bursts).
	RatePerChannel  float64 `yaml:"rate_per_channel"`
	BurstPerChannel int     `yaml:"burst_per_channel"`
	// Timeout bounds one Web API call.
	Timeout time.Duration `yaml:"timeout"`
}

// Enabled reports whether the Slack app is configured.
func (s Slack) Enabled() bool { return s.BotToken != "" }

// Replies configures outbound deliveries: instant answers and incident
// follow-ups POSTed to an inquiry's reply_url.
type Replies struct {
	// Secret signs replies to sources without a secret in auth.sources;
	// empty sends those unsigned. A source's own secret signs its replies.
	Secret string `yaml:"secret"`
	// Timeout bounds one POST.
	Timeout time.Duration `yaml:"timeout"`
	// MaxAttempts is how many POSTs a reply gets before it is failed.
	MaxAttempts int `yaml:"max_attempts"`
	// MinBackoff is the delay after the first failed attempt, doubling up
	// to MaxBackoff (a longer Retry-After is honoured).
	MinBackoff time.Duration `yaml:"min_backoff"`
	MaxBackoff time.Duration `yaml:"max_backoff"`
	// RatePerHost and BurstPerHost limit POSTs per receiving host, per
	// instance.
	RatePerHost  float64 `yaml:"rate_per_host"`
	BurstPerHost int     `yaml:"burst_per_host"`
	// PollInterval is how often due replies are looked for in SQL.
	PollInterval time.Duration `yaml:"poll_interval"`
	// Concurrency bounds the POSTs in flight per instance.
	Concurrency int `yaml:"concurrency"`
	// AllowPrivateAddresses lets replies go to loopback, private and
	// link-local addresses. Off: a reply_url comes from outside and must
	// not reach into the network surgedesk runs in.
	AllowPrivateAddresses bool `yaml:"allow_private_addresses"`
}

// Alerts configures surge alerts: a cluster growing this fast with no
// incident linked is raised as a possible incident.
type Alerts struct {
	// SurgePerMinute is the rate (inquiries per minute over the last five
	// minutes) at which a cluster is raised; 0 turns alerts off.
	SurgePerMinute float64 `yaml:"surge_per_minute"`
	// MinCustomers keeps one customer's flood from raising an alert.
	MinCustomers int `yaml:"min_customers"`
}

// Triage configures online clustering.
type Triage struct {
	// Threshold is the similarity (0..1) an inquiry needs to join a cluster.
	Threshold float64 `yaml:"threshold"`
	// IdleWindow closes a cluster that has seen no inquiry for this long.
	IdleWindow time.Duration `yaml:"idle_window"`
	// RestoreSample is how many of each open cluster's newest members a
	// restart rebuilds the index from.
	RestoreSample int `yaml:"restore_sample"`
}

// Log configures log/slog output.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // text or json
}

// HTTP configures the API server.
type HTTP struct {
	Addr            string        `yaml:"addr"`
	ReadTimeout     time.Duration `yaml:"read_timeout"`
	WriteTimeout    time.Duration `yaml:"write_timeout"`
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
}

// NATS selects the embedded server (URL empty) or an external cluster.
type NATS struct {
	URL             string        `yaml:"url"`
	CredsFile       string        `yaml:"creds_file"`
	NKeyFile        string        `yaml:"nkey_file"`
	User            string        `yaml:"user"`
	Password        string        `yaml:"password"`
	Token           string        `yaml:"token"`
	TLS             TLS           `yaml:"tls"`
	Replicas        int           `yaml:"replicas"`
	DuplicateWindow time.Duration `yaml:"duplicate_window"`
	MaxAge          time.Duration `yaml:"max_age"`
	PublishTimeout  time.Duration `yaml:"publish_timeout"`
	Embedded        Embedded      `yaml:"embedded"`
}

// TLS options for the external NATS connection.
type TLS struct {
	CAFile   string `yaml:"ca_file"`
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// Embedded configures the in-process NATS server.
type Embedded struct {
	// Listen is empty (no TCP port at all) or host:port to let other
	// processes reach the embedded server.
	Listen string `yaml:"listen"`
	// SyncAlways fsyncs every JetStream write: survives power loss, slower.
	SyncAlways bool `yaml:"sync_always"`
}

// Database selects SQLite in the data dir (URL empty) or PostgreSQL.
type Database struct {
	URL          string `yaml:"url"`
	MaxOpenConns int    `yaml:"max_open_conns"`
}

// Intake limits what POST /v1/inquiries accepts.
type Intake struct {
	MaxTextBytes int   `yaml:"max_text_bytes"`
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// MaxBatchItems and MaxBatchBodyBytes bound POST /v1/inquiries:batch.
	MaxBatchItems     int           `yaml:"max_batch_items"`
	MaxBatchBodyBytes int64         `yaml:"max_batch_body_bytes"`
	SignatureWindow   time.Duration `yaml:"signature_window"`
	// IdentifierKey keys the hashes that replace a customer_id or
	// idempotency_key holding a phone number or an e-mail address
	// (docs/security.md); the same on every instance.
	IdentifierKey string `yaml:"identifier_key"`
}

// Auth holds bearer tokens and per-source signing secrets.
type Auth struct {
	// AdminToken holds every role (SURGEDESK_ADMIN_TOKEN).
	AdminToken string   `yaml:"admin_token"`
	Tokens     []Token  `yaml:"tokens"`
	Sources    []Source `yaml:"sources"`
}

// Token is a bearer token with roles.
type Token struct {
	Name  string   `yaml:"name"`
	Token string   `yaml:"token"`
	Roles []string `yaml:"roles"`
}

// Source is a webhook sender that signs its requests with HMAC-SHA256.
type Source struct {
	Name   string `yaml:"name"`
	Secret string `yaml:"secret"`
}

// MaxStoreBatch is the most inquiries workers.batch_size may put in one
// transaction: the batch's ids go in one IN list, which SQLite bounds at
// 32,766 parameters.
const MaxStoreBatch = 10000

// Workers configures the JetStream consumers.
type Workers struct {
	// Store runs the store worker: this instance takes its share of the
	// inquiry stream (decode, cluster, group, write to SQL). With false it
	// takes inquiries in and serves the API and Slack, and the instances
	// sharing its NATS and database store them: intake keeps the CPU that
	// storing would take (docs/scale.md).
	Store       bool          `yaml:"store"`
	BatchSize   int           `yaml:"batch_size"`
	BatchLinger time.Duration `yaml:"batch_linger"`
	MaxAttempts int           `yaml:"max_attempts"`
	AckWait     time.Duration `yaml:"ack_wait"`
	MaxBackoff  time.Duration `yaml:"max_backoff"`
}

// Default returns the configuration used when nothing is set: embedded NATS
// and SQLite under ./data, listening on 127.0.0.1:8080.
func Default() Config {
	return Config{
		DataDir: "./data",
		Log:     Log{Level: "info", Format: "text"},
		HTTP: HTTP{
			Addr:            "127.0.0.1:8080",
			ReadTimeout:     10 * time.Second,
			WriteTimeout:    15 * time.Second,
			ShutdownTimeout: 20 * time.Second,
		},
		NATS: NATS{
			Replicas:        1,
			DuplicateWindow: 2 * time.Minute,
			MaxAge:          7 * 24 * time.Hour,
			PublishTimeout:  2 * time.Second,
		},
		Database: Database{MaxOpenConns: 8},
		Intake: Intake{
			MaxTextBytes:      8 << 10,
			MaxBodyBytes:      64 << 10,
			MaxBatchItems:     500,
			MaxBatchBodyBytes: 4 << 20,
			SignatureWindow:   5 * time.Minute,
		},
		Workers: Workers{
			Store:       true,
			BatchSize:   4000,
			BatchLinger: 5 * time.Millisecond,
			MaxAttempts: 5,
			AckWait:     30 * time.Second,
			MaxBackoff:  time.Minute,
		},
		Alerts: Alerts{SurgePerMinute: 10, MinCustomers: 10},
		Replies: Replies{
			Timeout:      10 * time.Second,
			MaxAttempts:  8,
			MinBackoff:   time.Second,
			MaxBackoff:   10 * time.Minute,
			RatePerHost:  10,
			BurstPerHost: 20,
			PollInterval: 500 * time.Millisecond,
			Concurrency:  8,
		},
		Slack: Slack{
			Mode:              "events",
			APIURL:            "https://slack.com/api/",
			SupportChannels:   []string{},
			AgentUsers:        []string{},
			ManagerUsers:      []string{},
			Command:           "/surge",
			BoardInterval:     15 * time.Second,
			BoardMinInquiries: 3,
			BoardSize:         20,
			RatePerChannel:    1,
			BurstPerChannel:   3,
			Timeout:           10 * time.Second,
		},
		// The clusterer's tuned values (docs/triage.md); a test keeps
		// them equal to triage.DefaultOptions.
		Triage: Triage{
			Threshold:     0.26,
			IdleWindow:    6 * time.Hour,
			RestoreSample: 32,
		},
		Assist: defaultAssist(),
	}
}

// Load reads the YAML file at path (none if path is empty) over the
// defaults, then applies the environment. It does not validate.
func Load(path string, environ []string) (Config, error) {
	cfg := Default()
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return cfg, fmt.Errorf("config: unable to read %s: %w", path, err)
		}
		if err := Decode(bytes.NewReader(b), &cfg); err != nil {
			return cfg, fmt.Errorf("config: %s: %w", path, err)
		}
	}
	if err := applyEnv(&cfg, environ); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// Decode decodes YAML strictly: an unknown key is an error.
func Decode(r io.Reader, cfg *Config) error {
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

// EnvNames lists every environment variable Load understands.
func EnvNames() []string {
	var names []string
	walkScalars(reflect.ValueOf(&Config{}).Elem(), "SURGEDESK", func(name string, _ reflect.Value) {
		names = append(names, name)
	})
	return names
}

func applyEnv(cfg *Config, environ []string) error {
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "SURGEDESK_") {
			env[k] = v
		}
	}
	// The admin token has a short name of its own, as documented.
	if v, ok := env["SURGEDESK_ADMIN_TOKEN"]; ok {
		env["SURGEDESK_AUTH_ADMIN_TOKEN"] = v
	}
	var errs []error
	known := map[string]bool{"SURGEDESK_ADMIN_TOKEN": true}
	walkScalars(reflect.ValueOf(cfg).Elem(), "SURGEDESK", func(name string, f reflect.Value) {
		known[name] = true
		v, ok := env[name]
		if !ok {
			return
		}
		if err := setScalar(f, v); err != nil {
			errs = append(errs, fmt.Errorf("config: %s: %w", name, err))
		}
	})
	// A misspelt variable is as wrong as a misspelt YAML key. Test
	// settings (SURGEDESK_TEST_*) are not configuration.
	for _, name := range slices.Sorted(maps.Keys(env)) {
		if !known[name] && !strings.HasPrefix(name, "SURGEDESK_TEST_") {
			errs = append(errs, fmt.Errorf("config: %s: unknown variable (see configs/surgedesk.yaml for every key)", name))
		}
	}
	return errors.Join(errs...)
}

// walkScalars calls fn for every settable scalar field, and every list of
// strings (comma-separated in the environment), with its env name. Lists of
// objects (tokens, sources) are left to the YAML file.
func walkScalars(v reflect.Value, prefix string, fn func(string, reflect.Value)) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		key, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		name := prefix + "_" + strings.ToUpper(key)
		f := v.Field(i)
		switch f.Kind() {
		case reflect.Struct:
			walkScalars(f, name, fn)
		case reflect.Slice:
			if f.Type().Elem().Kind() == reflect.String {
				fn(name, f)
			}
		default:
			fn(name, f)
		}
	}
}

func setScalar(f reflect.Value, s string) error {
	switch f.Interface().(type) {
	case time.Duration:
		d, err := time.ParseDuration(s)
		if err != nil {
			return err
		}
		f.SetInt(int64(d))
		return nil
	}
	switch f.Kind() {
	case reflect.Slice:
		var items []string
		for _, item := range strings.Split(s, ",") {
			if item = strings.TrimSpace(item); item != "" {
				items = append(items, item)
			}
		}
		f.Set(reflect.ValueOf(items))
	case reflect.String:
		f.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return err
		}
		f.SetBool(b)
	case reflect.Float64:
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return err
		}
		f.SetFloat(x)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return err
		}
		f.SetInt(n)
	default:
		return fmt.Errorf("unsupported type %s", f.Kind())
	}
	return nil
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }

	if c.DataDir == "" && (c.NATS.URL == "" || c.Database.URL == "") {
		bad("data_dir: must be set when NATS or the database is embedded")
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level: %q is not one of debug, info, warn, error", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		bad("log.format: %q is not one of text, json", c.Log.Format)
	}
	if _, _, err := splitHostPort(c.HTTP.Addr); err != nil {
		bad("http.addr: %v", err)
	}
	positive := map[string]time.Duration{
		"http.read_timeout":       c.HTTP.ReadTimeout,
		"http.write_timeout":      c.HTTP.WriteTimeout,
		"http.shutdown_timeout":   c.HTTP.ShutdownTimeout,
		"nats.duplicate_window":   c.NATS.DuplicateWindow,
		"nats.publish_timeout":    c.NATS.PublishTimeout,
		"intake.signature_window": c.Intake.SignatureWindow,
		"workers.ack_wait":        c.Workers.AckWait,
		"workers.max_backoff":     c.Workers.MaxBackoff,
		"replies.timeout":         c.Replies.Timeout,
		"replies.min_backoff":     c.Replies.MinBackoff,
		"replies.max_backoff":     c.Replies.MaxBackoff,
		"replies.poll_interval":   c.Replies.PollInterval,
	}
	for _, k := range slices.Sorted(maps.Keys(positive)) {
		if positive[k] <= 0 {
			bad("%s: must be a positive duration", k)
		}
	}
	if c.NATS.MaxAge < 0 {
		bad("nats.max_age: must not be negative (0 keeps messages forever)")
	}
	if c.NATS.MaxAge > 0 && c.NATS.MaxAge < c.NATS.DuplicateWindow {
		bad("nats.max_age: must be at least nats.duplicate_window")
	}
	if c.NATS.URL != "" {
		for _, u := range strings.Split(c.NATS.URL, ",") {
			if pu, err := url.Parse(strings.TrimSpace(u)); err != nil || pu.Host == "" {
				bad("nats.url: %q is not a NATS URL (nats://host:port)", u)
			}
		}
	}
	if c.NATS.Embedded.Listen != "" {
		if _, _, err := splitHostPort(c.NATS.Embedded.Listen); err != nil {
			bad("nats.embedded.listen: %v", err)
		}
	}
	if c.NATS.Replicas < 1 || c.NATS.Replicas > 5 {
		bad("nats.replicas: must be between 1 and 5")
	} else if c.NATS.URL == "" && c.NATS.Replicas != 1 {
		bad("nats.replicas: the embedded server is a single node; replicas must be 1")
	}
	if (c.NATS.TLS.CertFile == "") != (c.NATS.TLS.KeyFile == "") {
		bad("nats.tls: cert_file and key_file go together")
	}
	files := map[string]string{"nats.creds_file": c.NATS.CredsFile, "nats.nkey_file": c.NATS.NKeyFile,
		"nats.tls.ca_file": c.NATS.TLS.CAFile, "nats.tls.cert_file": c.NATS.TLS.CertFile, "nats.tls.key_file": c.NATS.TLS.KeyFile}
	for _, k := range slices.Sorted(maps.Keys(files)) {
		if f := files[k]; f != "" {
			if _, err := os.Stat(f); err != nil {
				bad("%s: %v", k, err)
			}
		}
	}
	if c.Database.URL != "" && !IsPostgres(c.Database.URL) && !strings.HasPrefix(c.Database.URL, "sqlite:") {
		bad("database.url: %q must start with postgres://, postgresql:// or sqlite:", c.Database.URL)
	}
	if c.Database.MaxOpenConns < 1 {
		bad("database.max_open_conns: must be at least 1")
	}
	if c.Intake.MaxTextBytes < 1 {
		bad("intake.max_text_bytes: must be at least 1")
	}
	if c.Intake.MaxBodyBytes < int64(c.Intake.MaxTextBytes) {
		bad("intake.max_body_bytes: must be at least intake.max_text_bytes")
	}
	if c.Intake.MaxBatchItems < 1 || c.Intake.MaxBatchItems > 10000 {
		bad("intake.max_batch_items: must be between 1 and 10000")
	}
	if c.Intake.MaxBatchBodyBytes < c.Intake.MaxBodyBytes {
		bad("intake.max_batch_body_bytes: must be at least intake.max_body_bytes")
	}
	if !c.Workers.Store && c.NATS.URL == "" && c.NATS.Embedded.Listen == "" {
		bad("workers.store: false needs NATS that other instances reach (nats.url, or nats.embedded.listen): nothing else could store this instance's inquiries")
	}
	if c.Workers.BatchSize < 1 || c.Workers.BatchSize > MaxStoreBatch {
		bad("workers.batch_size: must be between 1 and %d", MaxStoreBatch)
	}
	if c.Workers.BatchLinger < 0 {
		bad("workers.batch_linger: must not be negative")
	}
	if c.Workers.MaxAttempts < 1 {
		bad("workers.max_attempts: must be at least 1")
	}
	if c.Triage.Threshold <= 0 || c.Triage.Threshold >= 1 {
		bad("triage.threshold: must be between 0 and 1 (exclusive)")
	}
	if c.Triage.IdleWindow <= 0 {
		bad("triage.idle_window: must be a positive duration")
	}
	if c.Triage.RestoreSample < 1 {
		bad("triage.restore_sample: must be at least 1")
	}
	if c.Alerts.SurgePerMinute < 0 {
		bad("alerts.surge_per_minute: must not be negative (0 turns alerts off)")
	}
	if c.Alerts.MinCustomers < 1 {
		bad("alerts.min_customers: must be at least 1")
	}
	if c.Replies.MinBackoff > c.Replies.MaxBackoff {
		bad("replies.min_backoff: must not exceed replies.max_backoff")
	}
	if c.Replies.MaxAttempts < 1 {
		bad("replies.max_attempts: must be at least 1")
	}
	if c.Replies.RatePerHost <= 0 {
		bad("replies.rate_per_host: must be positive")
	}
	if c.Replies.BurstPerHost < 1 {
		bad("replies.burst_per_host: must be at least 1")
	}
	if c.Replies.Concurrency < 1 {
		bad("replies.concurrency: must be at least 1")
	}
	if c.Replies.Secret != "" && len(c.Replies.Secret) < 16 {
		bad("replies.secret: must be at least 16 characters")
	}
	c.Slack.validate(bad)
	c.Assist.validate(bad)
	seen := map[string]string{}
	if c.Auth.AdminToken != "" {
		if len(c.Auth.AdminToken) < 16 {
			bad("auth.admin_token: must be at least 16 characters")
		}
		seen[c.Auth.AdminToken] = "admin_token"
	}
	for i, t := range c.Auth.Tokens {
		where := fmt.Sprintf("auth.tokens[%d]", i)
		if t.Name == "" {
			bad("%s.name: required", where)
		}
		if len(t.Token) < 16 {
			bad("%s.token: must be at least 16 characters", where)
		} else if other, dup := seen[t.Token]; dup {
			bad("%s.token: same token as %s", where, other)
		}
		seen[t.Token] = where
		if len(t.Roles) == 0 {
			bad("%s.roles: at least one role", where)
		}
		for _, r := range t.Roles {
			if !isRole(r) {
				bad("%s.roles: unknown role %q (one of %s)", where, r, strings.Join(AllRoles, ", "))
			}
		}
	}
	sources := map[string]bool{}
	secrets := map[string]string{}
	for i, s := range c.Auth.Sources {
		where := fmt.Sprintf("auth.sources[%d]", i)
		if s.Name == "" {
			bad("%s.name: required", where)
		} else if sources[s.Name] {
			bad("%s.name: %q appears twice", where, s.Name)
		}
		sources[s.Name] = true
		if len(s.Secret) < 16 {
			bad("%s.secret: must be at least 16 characters", where)
		} else if other, dup := secrets[s.Secret]; dup {
			// A signature could not tell the two sources apart.
			bad("%s.secret: same secret as %s", where, other)
		}
		secrets[s.Secret] = where
	}
	return errors.Join(errs...)
}

func (s Slack) validate(bad func(string, ...any)) {
	switch s.Mode {
	case "events", "socket":
	default:
		bad("slack.mode: %q is not one of events, socket", s.Mode)
	}
	if u, err := url.Parse(s.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || !strings.HasSuffix(s.APIURL, "/") {
		bad("slack.api_url: %q must be an absolute http(s) URL ending in /", s.APIURL)
	}
	if !strings.HasPrefix(s.Command, "/") || len(s.Command) < 2 || strings.ContainsAny(s.Command, " \t") {
		bad("slack.command: %q must be a slash command such as /surge", s.Command)
	}
	for k, d := range map[string]time.Duration{"slack.board_interval": s.BoardInterval, "slack.timeout": s.Timeout} {
		if d <= 0 {
			bad("%s: must be a positive duration", k)
		}
	}
	if s.BoardMinInquiries < 1 {
		bad("slack.board_min_inquiries: must be at least 1")
	}
	if s.BoardSize < 1 || s.BoardSize > 100 {
		bad("slack.board_size: must be between 1 and 100")
	}
	if s.RatePerChannel <= 0 {
		bad("slack.rate_per_channel: must be positive")
	}
	if s.BurstPerChannel < 1 {
		bad("slack.burst_per_channel: must be at least 1")
	}
	ids := map[string][]string{"slack.support_channels": s.SupportChannels, "slack.agent_users": s.AgentUsers,
		"slack.manager_users": s.ManagerUsers}
	if s.AgentsChannel != "" {
		ids["slack.agents_channel"] = []string{s.AgentsChannel}
	}
	for _, k := range slices.Sorted(maps.Keys(ids)) {
		for _, id := range ids[k] {
			if !isSlackID(id) {
				bad("%s: %q is not a Slack ID (such as C0123ABCD or U0123ABCD)", k, id)
			}
		}
	}
	if slices.Contains(s.SupportChannels, s.AgentsChannel) && s.AgentsChannel != "" {
		bad("slack.agents_channel: must not also be a support channel")
	}
	if !s.Enabled() {
		return
	}
	if !strings.HasPrefix(s.BotToken, "xoxb-") {
		bad("slack.bot_token: must be a bot token (xoxb-…)")
	}
	switch s.Mode {
	case "events":
		if s.SigningSecret == "" {
			bad("slack.signing_secret: required when slack.mode is events (Basic Information → Signing Secret)")
		}
	case "socket":
		if !strings.HasPrefix(s.AppToken, "xapp-") {
			bad("slack.app_token: an app-level token (xapp-…) is required when slack.mode is socket")
		}
	}
}

// isSlackID reports whether id looks like a Slack channel, user or team ID.
func isSlackID(id string) bool {
	if len(id) < 2 || len(id) > 32 {
		return false
	}
	for _, r := range id {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// IsPostgres reports whether a database URL names PostgreSQL.
func IsPostgres(u string) bool {
	return strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://")
}

// SQLitePath is the SQLite file for this configuration.
func (c Config) SQLitePath() string {
	if p, ok := strings.CutPrefix(c.Database.URL, "sqlite:"); ok {
		return strings.TrimPrefix(p, "//")
	}
	return filepath.Join(c.DataDir, "surgedesk.db")
}

func isRole(r string) bool { return slices.Contains(AllRoles, r) }

func splitHostPort(addr string) (string, int, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("%q is not host:port", addr)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 {
		return "", 0, fmt.Errorf("%q has no valid port", addr)
	}
	return host, p, nil
}
