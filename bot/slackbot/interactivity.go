package slackbot

import (
	"context"
	"net/http"

	"github.com/slack-go/slack"
)

// Interactivity serves POST /slack/interactivity. STUB: replaced by the
// board work.
func (a *App) Interactivity(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusNotImplemented, "not_implemented", "Slack interactivity is not implemented yet")
}

// handleInteraction acts on a button click or modal submission and returns
// what to answer Slack with (nil: an empty 200). STUB.
func (a *App) handleInteraction(ctx context.Context, cb slack.InteractionCallback) (any, error) {
	return nil, nil
}
