package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDecodeStrict(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		wantErr string // "" means no error
	}{
		{"known keys", "http:\n  addr: :9090\nnats:\n  embedded:\n    sync_always: true\n", ""},
		{"empty file", "", ""},
		{"unknown top-level key", "htpp:\n  addr: :9090\n", "field htpp not found"},
		{"unknown nested key", "http:\n  adress: :9090\n", "field adress not found"},
		{"unknown key in a list item", "auth:\n  tokens:\n    - name: a\n      secret: x\n", "field secret not found"},
		{"wrong type", "workers:\n  batch_size: many\n", "cannot unmarshal"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Default()
			err := Decode(strings.NewReader(tc.yaml), &cfg)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("config: unexpected error: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("config: error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestLoadNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(path, []byte("nope: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path, nil)
	if err == nil || !strings.HasPrefix(err.Error(), "config: "+path) {
		t.Fatalf("config: Load error %v, want one prefixed with config: %s", err, path)
	}
}

func TestLoadEnv(t *testing.T) {
	tests := []struct {
		name    string
		file    string // "" loads no file
		environ []string
		check   func(Config) bool
		wantErr []string // each must appear in the error
	}{
		{
			name:    "http addr",
			environ: []string{"SURGEDESK_HTTP_ADDR=0.0.0.0:9090"},
			check:   func(c Config) bool { return c.HTTP.Addr == "0.0.0.0:9090" },
		},
		{
			name:    "nats url",
			environ: []string{"SURGEDESK_NATS_URL=nats://n1:4222,nats://n2:4222"},
			check:   func(c Config) bool { return c.NATS.URL == "nats://n1:4222,nats://n2:4222" },
		},
		{
			name:    "admin token alias",
			environ: []string{"SURGEDESK_ADMIN_TOKEN=alias-token-0123456789"},
			check:   func(c Config) bool { return c.Auth.AdminToken == "alias-token-0123456789" },
		},
		{
			name:    "admin token long name",
			environ: []string{"SURGEDESK_AUTH_ADMIN_TOKEN=long-token-0123456789"},
			check:   func(c Config) bool { return c.Auth.AdminToken == "long-token-0123456789" },
		},
		{
			name:    "slack lists are comma-separated",
			environ: []string{"SURGEDESK_SLACK_SUPPORT_CHANNELS=C0123ABCD, C0456EFGH,", "SURGEDESK_SLACK_BOT_TOKEN=xoxb-env"},
			check: func(c Config) bool {
				return len(c.Slack.SupportChannels) == 2 && c.Slack.SupportChannels[1] == "C0456EFGH" && c.Slack.BotToken == "xoxb-env"
			},
		},
		{
			name:    "duration",
			environ: []string{"SURGEDESK_NATS_PUBLISH_TIMEOUT=750ms"},
			check:   func(c Config) bool { return c.NATS.PublishTimeout == 750*time.Millisecond },
		},
		{
			name:    "bool three levels deep",
			environ: []string{"SURGEDESK_NATS_EMBEDDED_SYNC_ALWAYS=true"},
			check:   func(c Config) bool { return c.NATS.Embedded.SyncAlways },
		},
		{
			name:    "a default true turned off",
			environ: []string{"SURGEDESK_WORKERS_STORE=false"},
			check:   func(c Config) bool { return !c.Workers.Store },
		},
		{
			name:    "int64",
			environ: []string{"SURGEDESK_INTAKE_MAX_BODY_BYTES=1048576"},
			check:   func(c Config) bool { return c.Intake.MaxBodyBytes == 1<<20 },
		},
		{
			name:    "environment beats the file",
			file:    examplePath,
			environ: []string{"SURGEDESK_LOG_LEVEL=debug", "HOME=/root"},
			check:   func(c Config) bool { return c.Log.Level == "debug" && len(c.Auth.Tokens) > 0 },
		},
		{
			name:    "bad int names the variable",
			environ: []string{"SURGEDESK_WORKERS_BATCH_SIZE=lots"},
			wantErr: []string{"config: SURGEDESK_WORKERS_BATCH_SIZE"},
		},
		{
			name:    "duration without a unit",
			environ: []string{"SURGEDESK_HTTP_READ_TIMEOUT=10"},
			wantErr: []string{"config: SURGEDESK_HTTP_READ_TIMEOUT", "missing unit"},
		},
		{
			name:    "misspelt variable",
			environ: []string{"SURGEDESK_HTTP_ADRR=127.0.0.1:9"},
			wantErr: []string{"SURGEDESK_HTTP_ADRR: unknown variable"},
		},
		{
			name:    "test settings are not configuration",
			environ: []string{"SURGEDESK_TEST_POSTGRES_URL=postgres://x", "SURGEDESK_LOG_LEVEL=warn"},
			check:   func(c Config) bool { return c.Log.Level == "warn" },
		},
		{
			name:    "every bad variable reported",
			environ: []string{"SURGEDESK_DATABASE_MAX_OPEN_CONNS=x", "SURGEDESK_NATS_EMBEDDED_SYNC_ALWAYS=yes please"},
			wantErr: []string{"SURGEDESK_DATABASE_MAX_OPEN_CONNS", "SURGEDESK_NATS_EMBEDDED_SYNC_ALWAYS"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Load(tc.file, tc.environ)
			if len(tc.wantErr) == 0 {
				if err != nil {
					t.Fatalf("config: unexpected error: %v", err)
				}
				if !tc.check(cfg) {
					t.Fatalf("config: %v not applied: %+v", tc.environ, cfg)
				}
				return
			}
			if err == nil {
				t.Fatalf("config: %v loaded without error", tc.environ)
			}
			for _, want := range tc.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("config: error %q does not mention %q", err, want)
				}
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		want   []string // each must appear in the error; none means valid
	}{
		{
			name:   "default is valid",
			mutate: func(*Config) {},
		},
		{
			name: "external services need no data dir",
			mutate: func(c *Config) {
				c.DataDir, c.NATS.URL, c.Database.URL = "", "nats://nats:4222", "postgres://u@db:5432/surgedesk"
			},
		},
		{
			name: "slack in events mode",
			mutate: func(c *Config) {
				c.Slack.BotToken, c.Slack.SigningSecret = "xoxb-1-2-abc", "0123456789abcdef"
				c.Slack.SupportChannels, c.Slack.AgentsChannel = []string{"C0123ABCD"}, "C0AGENTS1"
				c.Slack.ManagerUsers = []string{"U0MANAGER"}
			},
		},
		{
			name: "slack in socket mode",
			mutate: func(c *Config) {
				c.Slack.BotToken, c.Slack.Mode, c.Slack.AppToken = "xoxb-1", "socket", "xapp-1-A1-1-abc"
			},
		},
		{
			name:   "an intake-only instance needs NATS that others reach",
			mutate: func(c *Config) { c.Workers.Store = false },
			want:   []string{"workers.store: false needs NATS that other instances reach"},
		},
		{
			name:   "an intake-only instance on external NATS",
			mutate: func(c *Config) { c.Workers.Store, c.NATS.URL = false, "nats://nats:4222" },
		},
		{
			name:   "an intake-only instance on an embedded NATS others reach",
			mutate: func(c *Config) { c.Workers.Store, c.NATS.Embedded.Listen = false, "127.0.0.1:4222" },
		},
		{
			name:   "slack events mode needs the signing secret",
			mutate: func(c *Config) { c.Slack.BotToken = "xoxb-1" },
			want:   []string{"slack.signing_secret: required when slack.mode is events"},
		},
		{
			name: "slack problems at once",
			mutate: func(c *Config) {
				c.Slack.BotToken, c.Slack.Mode = "xoxp-user-token", "rtm"
				c.Slack.APIURL = "https://slack.com/api"
				c.Slack.Command = "surge"
				c.Slack.SupportChannels = []string{"#support", "C0AGENTS1"}
				c.Slack.AgentsChannel = "C0AGENTS1"
				c.Slack.ManagerUsers = []string{"kim"}
				c.Slack.BoardInterval, c.Slack.BoardMinInquiries, c.Slack.BoardSize = 0, 0, 500
				c.Slack.RatePerChannel, c.Slack.BurstPerChannel = 0, 0
			},
			want: []string{
				"slack.bot_token: must be a bot token (xoxb-…)",
				`slack.mode: "rtm" is not one of events, socket`,
				"slack.api_url:",
				`slack.command: "surge"`,
				`slack.support_channels: "#support" is not a Slack ID`,
				"slack.agents_channel: must not also be a support channel",
				`slack.manager_users: "kim" is not a Slack ID`,
				"slack.board_interval: must be a positive duration",
				"slack.board_min_inquiries: must be at least 1",
				"slack.board_size: must be between 1 and 100",
				"slack.rate_per_channel: must be positive",
				"slack.burst_per_channel: must be at least 1",
			},
		},
		{
			name:   "slack socket mode needs the app token",
			mutate: func(c *Config) { c.Slack.BotToken, c.Slack.Mode = "xoxb-1", "socket" },
			want:   []string{"slack.app_token: an app-level token (xapp-…) is required"},
		},
		{
			name: "several problems at once",
			mutate: func(c *Config) {
				c.DataDir = ""
				c.Log.Level = "verbose"
				c.Log.Format = "xml"
				c.HTTP.Addr = "localhost"
				c.HTTP.ReadTimeout = 0
				c.NATS.Replicas = 7
				c.NATS.MaxAge = time.Minute
				c.NATS.TLS.CertFile = "/nonexistent/cert.pem"
				c.Database.URL = "mysql://db"
				c.Intake.MaxBodyBytes = 10
				c.Workers.BatchSize = 0
				c.Auth.AdminToken = "short"
				c.Auth.Tokens = []Token{
					{Name: "", Token: "tiny", Roles: nil},
					{Name: "x", Token: "0123456789abcdef", Roles: []string{"root"}},
					{Name: "y", Token: "0123456789abcdef", Roles: []string{RoleRead}},
				}
				c.Auth.Sources = []Source{{Name: "s", Secret: "0123456789abcdef"}, {Name: "s", Secret: "x"}, {Name: "t", Secret: "0123456789abcdef"}}
			},
			want: []string{
				"data_dir: must be set",
				`log.level: "verbose"`,
				`log.format: "xml"`,
				"http.addr:",
				"http.read_timeout: must be a positive duration",
				"nats.replicas: must be between 1 and 5",
				"nats.max_age: must be at least nats.duplicate_window",
				"nats.tls: cert_file and key_file go together",
				"nats.tls.cert_file:",
				`database.url: "mysql://db"`,
				"intake.max_body_bytes: must be at least intake.max_text_bytes",
				"workers.batch_size: must be between 1 and 10000",
				"auth.admin_token: must be at least 16 characters",
				"auth.tokens[0].name: required",
				"auth.sources[2].secret: same secret as auth.sources[0]",
				"auth.tokens[0].token: must be at least 16 characters",
				"auth.tokens[0].roles: at least one role",
				`auth.tokens[1].roles: unknown role "root"`,
				"auth.tokens[2].token: same token as auth.tokens[1]",
				`auth.sources[1].name: "s" appears twice`,
				"auth.sources[1].secret: must be at least 16 characters",
			},
		},
		{
			name: "replies",
			mutate: func(c *Config) {
				c.Replies = Replies{Secret: "short", MinBackoff: time.Hour, MaxBackoff: time.Minute, RatePerHost: -1}
			},
			want: []string{
				"replies.secret: must be at least 16 characters",
				"replies.timeout: must be a positive duration",
				"replies.poll_interval: must be a positive duration",
				"replies.min_backoff: must not exceed replies.max_backoff",
				"replies.max_attempts: must be at least 1",
				"replies.rate_per_host: must be positive",
				"replies.burst_per_host: must be at least 1",
				"replies.concurrency: must be at least 1",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Default()
			tc.mutate(&cfg)
			err := cfg.Validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("config: unexpected error:\n%v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("config: Validate returned nil")
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("config: error lacks %q; got:\n%v", want, err)
				}
			}
		})
	}
}
