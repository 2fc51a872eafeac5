package slackbot

import (
	"context"
	"net/http"

	"github.com/slack-go/slack/slackevents"
)

// Events serves POST /slack/events. STUB: replaced by the events work.
func (a *App) Events(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusNotImplemented, "not_implemented", "Slack events are not implemented yet")
}

// handleEvent turns one Events API event into work. STUB.
func (a *App) handleEvent(ctx context.Context, ev slackevents.EventsAPIEvent) error { return nil }

// runSocket runs Socket Mode until ctx ends. STUB.
func (a *App) runSocket(ctx context.Context) error { <-ctx.Done(); return nil }
