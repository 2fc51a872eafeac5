// Package slackbot is surgedesk's Slack app. Customers write to the bot by
// direct message or in support channels; each message becomes an inquiry
// through the same intake as the webhook, and its instant answer, incident
// follow-ups and agents' replies go to the message's thread (reply_url
// "slack:<channel>/<ts>", sent by the delivery worker through Sender).
// Agents see the queue in their channel as one message per cluster,
// updated in place, with Claim, Reply to all, Resolve and Link buttons, and
// use the slash command; surge alerts arrive there with a Declare button.
//
// Events, button clicks and slash commands arrive over HTTP (verified with
// the signing secret) or Socket Mode; both transports hand the same payloads
// to the same handlers. Every Web API call goes through Sender.
package slackbot

import (
	"context"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/surgedesk/surgedesk/bot"
	"github.com/surgedesk/surgedesk/config"
	"github.com/surgedesk/surgedesk/desk"
)

// Source is the inquiry source of Slack messages.
const Source = bot.SlackSource

// Options are the app's dependencies.
type Options struct {
	Config config.Slack
	Intake *bot.Intake
	Store  Store
	// Desk runs the agents' and managers' actions, for the buttons, the
	// modals and the slash command alike.
	Desk   *desk.Desk
	Sender *Sender
	// Kick wakes the delivery worker after deliveries are queued.
	Kick func()
	// Owner names this instance in SQL leases; it must differ between
	// instances.
	Owner string
	Log   *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	// IdleWindow is triage's: a cluster with no inquiry for this long has
	// left the queue. Zero means triage's default.
	IdleWindow time.Duration
	// Drafter drafts the reply-to-all forms with the chat model; nil
	// leaves them empty.
	Drafter Drafter
}

// App handles Slack's events, interactions and commands.
type App struct {
	Options
	// afterQueueRead, when set (tests), runs in a board tick between its
	// reads of the queue and of the messages.
	afterQueueRead func()
	// ticks counts the board's finished ticks, so that tests wait for the
	// board to have looked rather than for time to pass.
	ticks atomic.Int64
	// ackWithin, when set (tests), replaces the package's ackWithin.
	ackWithin time.Duration
	// drafts are the reply forms waiting for a draft (with a Drafter).
	drafts chan draftJob
}

// ackBudget bounds the work done before Slack gets its answer.
func (a *App) ackBudget() time.Duration {
	if a.ackWithin > 0 {
		return a.ackWithin
	}
	return ackWithin
}

// New returns the Slack app.
func New(o Options) *App {
	if o.Now == nil {
		o.Now = time.Now
	}
	for _, f := range []*func(){&o.Kick} {
		if *f == nil {
			*f = func() {}
		}
	}
	a := &App{Options: o}
	if o.Drafter != nil {
		a.drafts = make(chan draftJob, draftQueue)
	}
	return a
}

// Run runs the app's background work until ctx ends: the agents' board
// (when an agents' channel is set), in socket mode the Socket Mode
// connection that brings events, clicks and commands, and with a Drafter
// the drafting of reply forms.
func (a *App) Run(ctx context.Context) error {
	errc := make(chan error, 3)
	n := 0
	if a.drafts != nil {
		n++
		go func() { errc <- a.runDrafts(ctx) }()
	}
	if a.Config.AgentsChannel != "" {
		n++
		go func() { errc <- a.runBoard(ctx) }()
	}
	if a.Config.Mode == "socket" {
		n++
		go func() { errc <- a.runSocket(ctx) }()
	}
	if n == 0 {
		<-ctx.Done()
	}
	var first error
	for range n {
		err := <-errc
		if err == nil || ctx.Err() != nil {
			continue
		}
		// Said now: the other part (the board) may run on until shutdown.
		a.Log.Error("slack: stopped; customers' Slack messages are not being taken in", "err", err)
		if first == nil {
			first = err
		}
	}
	return first
}

// Roles of a Slack user acting in a channel: anyone in the agents' channel
// is an agent, and so are the listed agents anywhere; managers are listed.
// A manager is an agent too.
func (a *App) roles(user, channel string) (agent, manager bool) {
	manager = slices.Contains(a.Config.ManagerUsers, user)
	agent = manager || slices.Contains(a.Config.AgentUsers, user) ||
		(channel != "" && channel == a.Config.AgentsChannel)
	return agent, manager
}

// Actor names a Slack user in the audit trail.
func Actor(user string) string { return "slack:" + user }
