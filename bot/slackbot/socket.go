package slackbot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// acker sends a Socket Mode acknowledgement; *socketmode.Client is one.
type acker interface {
	AckCtx(ctx context.Context, envelopeID string, payload any) error
}

// runSocket runs Socket Mode until ctx ends: Slack pushes events, clicks
// and commands down a websocket that surgedesk opens with the app token,
// so no public URL is needed. The library reconnects (when Slack asks to,
// or the connection dies); it gives up only on a bad token, which ends
// Run with that error.
func (a *App) runSocket(ctx context.Context) error {
	api := slack.New(a.Config.BotToken, slack.OptionAppLevelToken(a.Config.AppToken), slack.OptionAPIURL(a.Config.APIURL))
	client := socketmode.New(api, socketmode.OptionLog(logOutput{a.Log}))
	ctx, cancel := context.WithCancel(ctx)
	runc := make(chan error, 1)
	go func() { runc <- client.RunContext(ctx) }()

	// Each request is handled on its own goroutine: a slow one (a modal,
	// a publish waiting on JetStream) must not hold back the others'
	// three seconds. Those still running when Run ends are cancelled, and
	// so left unacknowledged: Slack sends them again.
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	for {
		select {
		case err := <-runc:
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("slackbot: socket mode: %w", err)
		case evt := <-client.Events:
			wg.Go(func() { a.dispatch(ctx, evt, client) })
		}
	}
}

// dispatch hands one Socket Mode request to the core it is for, the same
// ones the HTTP handlers call, and acknowledges it. An event is
// acknowledged only once its inquiry is durable: left unacknowledged,
// Slack sends it again, as it retries a 503 over HTTP.
func (a *App) dispatch(ctx context.Context, evt socketmode.Event, ack acker) {
	switch evt.Type {
	case socketmode.EventTypeEventsAPI:
		ev, ok := evt.Data.(slackevents.EventsAPIEvent)
		if !ok || evt.Request == nil {
			return
		}
		if evt.Request.RetryAttempt > 0 {
			a.Log.Info("slack: event retried", "event_id", eventID(ev), "retry", evt.Request.RetryAttempt,
				"reason", evt.Request.RetryReason)
		}
		hctx, cancel := context.WithTimeout(ctx, a.ackBudget())
		err := a.handleEvent(hctx, ev)
		cancel()
		if err != nil {
			a.Log.Warn("slack: event not accepted; Slack will send it again", "event_id", eventID(ev), "err", err)
			return
		}
		a.ack(ctx, ack, evt.Request.EnvelopeID, nil)
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(slack.InteractionCallback)
		if !ok || evt.Request == nil {
			return
		}
		resp, err := a.handleInteraction(ctx, cb)
		if err != nil {
			// Acknowledged all the same: Slack would only show the user an
			// error and send the click again.
			a.Log.Error("slack: interaction failed", "type", cb.Type, "user", cb.User.ID, "err", err)
			resp = nil
		}
		a.ack(ctx, ack, evt.Request.EnvelopeID, resp)
	case socketmode.EventTypeSlashCommand:
		cmd, ok := evt.Data.(slack.SlashCommand)
		if !ok || evt.Request == nil {
			return
		}
		msg, err := a.handleCommand(ctx, cmd)
		if err != nil {
			a.Log.Error("slack: command failed", "command", cmd.Command, "user", cmd.UserID, "err", err)
			msg = slack.Msg{ResponseType: slack.ResponseTypeEphemeral,
				Text: "요청을 처리하지 못했습니다. 잠시 후 다시 시도해 주세요. / Something went wrong; please try again."}
		}
		a.ack(ctx, ack, evt.Request.EnvelopeID, replyBody(msg))
	case socketmode.EventTypeErrorBadMessage:
		// A request the library could not parse (an event type it does
		// not know, say) would otherwise come back again and again.
		bad, _ := evt.Data.(*socketmode.ErrorBadMessage)
		if bad == nil {
			return
		}
		var req struct {
			EnvelopeID string `json:"envelope_id"`
		}
		if json.Unmarshal(bad.Message, &req) == nil && req.EnvelopeID != "" {
			a.Log.Debug("slack: acknowledged a request that could not be read", "err", bad.Cause)
			a.ack(ctx, ack, req.EnvelopeID, nil)
		}
	case socketmode.EventTypeConnected:
		a.Log.Info("slack: socket mode connected")
	case socketmode.EventTypeConnectionError:
		if e, ok := evt.Data.(*slack.ConnectionErrorEvent); ok {
			a.Log.Warn("slack: socket mode connection failed; retrying", "attempt", e.Attempt, "backoff", e.Backoff, "err", e.ErrorObj)
		}
	case socketmode.EventTypeInvalidAuth:
		a.Log.Error("slack: socket mode refused the app token")
	case socketmode.EventTypeIncomingError, socketmode.EventTypeErrorWriteFailed:
		a.Log.Warn("slack: socket mode connection trouble", "type", evt.Type, "data", fmt.Sprint(evt.Data))
	}
}

func (a *App) ack(ctx context.Context, ack acker, envelopeID string, payload any) {
	if err := ack.AckCtx(ctx, envelopeID, payload); err != nil && !errors.Is(err, context.Canceled) {
		a.Log.Error("slack: unable to acknowledge a socket mode request", "envelope", envelopeID, "err", err)
	}
}

// logOutput lets the socketmode library log through slog; it logs only
// in debug mode, which is off.
type logOutput struct{ log *slog.Logger }

func (l logOutput) Output(_ int, s string) error {
	l.log.Debug("slack: socketmode: " + strings.TrimSpace(s))
	return nil
}
