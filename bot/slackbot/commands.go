package slackbot

import (
	"context"
	"net/http"

	"github.com/slack-go/slack"
)

// Commands serves POST /slack/commands. STUB: replaced by the command work.
func (a *App) Commands(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusNotImplemented, "not_implemented", "the Slack slash command is not implemented yet")
}

// handleCommand runs one slash command and returns the reply. STUB.
func (a *App) handleCommand(ctx context.Context, cmd slack.SlashCommand) (slack.Msg, error) {
	return slack.Msg{}, nil
}
