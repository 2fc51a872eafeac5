package slackbot

import (
	"os"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/surgedesk/surgedesk/config"
)

// manifest is the part of a Slack app manifest surgedesk depends on.
type manifest struct {
	Features struct {
		AppHome struct {
			MessagesTabEnabled bool `yaml:"messages_tab_enabled"`
		} `yaml:"app_home"`
		SlashCommands []struct {
			Command string `yaml:"command"`
			URL     string `yaml:"url"`
		} `yaml:"slash_commands"`
	} `yaml:"features"`
	OAuthConfig struct {
		Scopes struct {
			Bot []string `yaml:"bot"`
		} `yaml:"scopes"`
	} `yaml:"oauth_config"`
	Settings struct {
		EventSubscriptions struct {
			RequestURL string   `yaml:"request_url"`
			BotEvents  []string `yaml:"bot_events"`
		} `yaml:"event_subscriptions"`
		Interactivity struct {
			IsEnabled  bool   `yaml:"is_enabled"`
			RequestURL string `yaml:"request_url"`
		} `yaml:"interactivity"`
	} `yaml:"settings"`
}

// TestManifestMatchesTheApp keeps configs/slack-app-manifest.yaml in step
// with the routes, the default command and what the app needs from Slack.
func TestManifestMatchesTheApp(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../configs/slack-app-manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatalf("the manifest is not YAML: %v", err)
	}
	if len(m.Features.SlashCommands) != 1 || m.Features.SlashCommands[0].Command != config.Default().Slack.Command {
		t.Errorf("slash commands %+v, want one: %s", m.Features.SlashCommands, config.Default().Slack.Command)
	}
	for _, tc := range []struct{ name, url, path string }{
		{"events", m.Settings.EventSubscriptions.RequestURL, "/slack/events"},
		{"interactivity", m.Settings.Interactivity.RequestURL, "/slack/interactivity"},
		{"commands", firstURL(m), "/slack/commands"},
	} {
		if !strings.HasSuffix(tc.url, tc.path) {
			t.Errorf("%s request URL %q does not end in %s", tc.name, tc.url, tc.path)
		}
	}
	if !m.Settings.Interactivity.IsEnabled || !m.Features.AppHome.MessagesTabEnabled {
		t.Error("interactivity and the messages tab (direct messages) must be on")
	}
	for _, scope := range []string{"chat:write", "im:history", "channels:history", "groups:history", "commands"} {
		if !slices.Contains(m.OAuthConfig.Scopes.Bot, scope) {
			t.Errorf("bot scopes %v lack %s", m.OAuthConfig.Scopes.Bot, scope)
		}
	}
	for _, ev := range []string{"message.im", "message.channels", "message.groups"} {
		if !slices.Contains(m.Settings.EventSubscriptions.BotEvents, ev) {
			t.Errorf("bot events %v lack %s", m.Settings.EventSubscriptions.BotEvents, ev)
		}
	}
}

func firstURL(m manifest) string {
	if len(m.Features.SlashCommands) == 0 {
		return ""
	}
	return m.Features.SlashCommands[0].URL
}
