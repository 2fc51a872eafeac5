package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/surgedesk/surgedesk/config"
)

// slackRecorder stands in for the Slack app: it records which endpoint
// was reached.
type slackRecorder struct{ reached []string }

func (s *slackRecorder) Events(w http.ResponseWriter, _ *http.Request) {
	s.reached = append(s.reached, "events")
}

func (s *slackRecorder) Interactivity(w http.ResponseWriter, _ *http.Request) {
	s.reached = append(s.reached, "interactivity")
}

func (s *slackRecorder) Commands(w http.ResponseWriter, _ *http.Request) {
	s.reached = append(s.reached, "commands")
}

func TestSlackRoutes(t *testing.T) {
	t.Parallel()
	paths := []string{"/slack/events", "/slack/interactivity", "/slack/commands"}
	t.Run("disabled", func(t *testing.T) {
		srv := newTestServer(config.Default())
		for _, p := range paths {
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, p, strings.NewReader("{}")))
			if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), `"slack_disabled"`) {
				t.Errorf("POST %s with Slack off: %d %s, want 404 slack_disabled", p, rec.Code, rec.Body)
			}
		}
	})
	t.Run("enabled", func(t *testing.T) {
		srv := newTestServer(config.Default())
		app := &slackRecorder{}
		srv.Slack = app
		for _, p := range paths {
			rec := httptest.NewRecorder()
			// No bearer token: Slack signs its requests and the app checks that.
			srv.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, p, strings.NewReader("{}")))
			if rec.Code != http.StatusOK {
				t.Errorf("POST %s: %d %s, want the app's 200", p, rec.Code, rec.Body)
			}
		}
		if got := strings.Join(app.reached, ","); got != "events,interactivity,commands" {
			t.Fatalf("the app was reached at %q, want events,interactivity,commands", got)
		}
	})
}
