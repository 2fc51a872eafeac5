package slackbot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack/slackevents"

	"github.com/surgedesk/surgedesk/bot"
	"github.com/surgedesk/surgedesk/storage"
)

// ackWithin bounds the work done before Slack gets its answer. Slack
// gives up on a request after three seconds and sends it again; making the
// inquiry durable (a JetStream publish and its acknowledgement) normally
// takes milliseconds, and two seconds leave room for the network both
// ways.
const ackWithin = 2 * time.Second

// errNotDurable is an event whose inquiry JetStream did not take in time:
// nothing was accepted, and Slack's retry (a 503 over HTTP, no ack over
// Socket Mode) brings it back later.
var errNotDurable = errors.New("slackbot: inquiry not accepted in time")

// Events serves POST /slack/events: Slack's Events API over HTTP.
//
// An inquiry is durable before the 200: the event is published to
// JetStream and acknowledged there first, within ackWithin, so that a
// crash right after the answer loses nothing. When JetStream cannot take
// it in that time the answer is 503 and nothing is accepted; Slack retries
// a failed event three times (at once, after a minute, after five), and
// the message's channel and ts make every retry, and a redelivery over
// Socket Mode, the same inquiry. Everything else (storing, clustering,
// the instant answer in the thread) happens after, in the workers.
func (a *App) Events(w http.ResponseWriter, r *http.Request) {
	body, ok := a.verified(w, r, "event")
	if !ok {
		return
	}
	ev, err := slackevents.ParseEvent(body, slackevents.OptionNoVerifyToken())
	if err != nil {
		// An event of a type slack-go does not know (or cannot read) is
		// not something Slack can fix: refusing it would only make Slack
		// retry it, and in the end turn the subscription off.
		var outer struct {
			Type  string `json:"type"`
			Event struct {
				Type string `json:"type"`
			} `json:"event"`
		}
		if json.Unmarshal(body, &outer) == nil && outer.Type == slackevents.CallbackEvent {
			a.Log.Info("slack: ignored an event that could not be read", "type", outer.Event.Type, "err", err)
			w.WriteHeader(http.StatusOK)
			return
		}
		writeError(w, http.StatusBadRequest, "invalid_payload", "the body is not a Slack event")
		return
	}
	switch ev.Type {
	case slackevents.URLVerification:
		v, ok := ev.Data.(*slackevents.EventsAPIURLVerificationEvent)
		if !ok {
			writeError(w, http.StatusBadRequest, "invalid_payload", "the url_verification event has no challenge")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"challenge": v.Challenge})
		return
	case slackevents.CallbackEvent:
	default:
		w.WriteHeader(http.StatusOK) // app_rate_limited and the like: nothing to do
		return
	}
	if n := r.Header.Get("X-Slack-Retry-Num"); n != "" {
		a.Log.Info("slack: event retried", "event_id", eventID(ev), "retry", n, "reason", r.Header.Get("X-Slack-Retry-Reason"))
	}
	// The request's cancellation is not the inquiry's: once the publish is
	// under way it may as well finish, and a retry finds it done.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), a.ackBudget())
	defer cancel()
	if err := a.handleEvent(ctx, ev); err != nil {
		a.Log.Warn("slack: event not accepted; Slack will retry it", "event_id", eventID(ev), "err", err)
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, "unavailable", "the inquiry could not be accepted now; retry")
		return
	}
	w.WriteHeader(http.StatusOK)
}

// handleEvent turns one Events API event into work. A customer's message
// becomes an inquiry, durable in JetStream when this returns nil; anything
// else is ignored. It returns an error (wrapping errNotDurable) only when
// the event should come again, and never blocks past ctx.
//
// Messages count when they are top-level messages from a person, in a
// direct message to the bot or in a support channel. Ignored: bots
// (including this app's own posts), edits, deletions, joins and other
// subtypes (a file shared with a caption counts: a screenshot is a common
// way to report a problem), empty text, other channels, and replies in
// threads: a thread is where surgedesk answers, and a customer's "still
// broken" there would otherwise be a new inquiry in the cluster each time.
func (a *App) handleEvent(ctx context.Context, ev slackevents.EventsAPIEvent) error {
	if ev.Type != slackevents.CallbackEvent {
		return nil
	}
	m, ok := ev.InnerEvent.Data.(*slackevents.MessageEvent)
	if !ok {
		return nil
	}
	cb, _ := ev.Data.(*slackevents.EventsAPICallbackEvent)
	if why := a.ignore(m, cb); why != "" {
		a.Log.Debug("slack: ignored a message", "channel", m.Channel, "ts", m.TimeStamp, "why", why)
		return nil
	}
	team := ev.TeamID
	if cb != nil && team == "" {
		team = cb.TeamID
	}
	meta, err := json.Marshal(map[string]string{"channel": m.Channel, "channel_type": m.ChannelType, "ts": m.TimeStamp,
		"team": team, "event_id": eventID(ev)})
	if err != nil {
		return fmt.Errorf("slackbot: unable to encode metadata: %w", err)
	}
	s := bot.Submission{
		Source:     Source,
		CustomerID: m.User,
		Text:       unescape(m.Text),
		// The message's identity, not the event's: a retry has the same
		// event_id, but a redelivery over the other transport may not.
		IdempotencyKey: messageKey(m.Channel, m.TimeStamp),
		ReplyURL:       ReplyURL(m.Channel, m.TimeStamp),
		Metadata:       meta,
	}
	rc, err := a.Intake.AcceptFromChannel(ctx, s)
	var ierr *bot.InputError
	switch {
	case errors.As(err, &ierr):
		a.Log.Info("slack: refused a message", "channel", m.Channel, "ts", m.TimeStamp, "code", ierr.Code, "err", ierr)
		// Acknowledged all the same: Slack's retries would be refused
		// alike. The customer is told in the thread, by the delivery
		// worker, so nothing here waits on Slack.
		a.notify(ctx, m, ierr)
		return nil
	case err != nil:
		return fmt.Errorf("%w: %w", errNotDurable, err)
	}
	a.Log.Info("slack: inquiry accepted", "inquiry", rc.ID, "channel", m.Channel, "ts", m.TimeStamp,
		"duplicate", rc.Duplicate, "answered", rc.Answer != nil)
	return nil
}

// ignore says why a message is not an inquiry, or "" when it is one.
func (a *App) ignore(m *slackevents.MessageEvent, cb *slackevents.EventsAPICallbackEvent) string {
	switch {
	case m.BotID != "" || m.SubType == "bot_message":
		return "bot"
	case m.SubType != "" && m.SubType != "file_share":
		return "subtype " + m.SubType
	case m.ThreadTimeStamp != "" && m.ThreadTimeStamp != m.TimeStamp:
		return "thread reply"
	case m.User == "" || isBotUser(cb, m.User):
		return "no user, or the bot's own"
	case strings.TrimSpace(m.Text) == "":
		return "empty"
	case m.Channel == "" || m.TimeStamp == "":
		return "no channel or ts"
	case m.ChannelType != slackevents.ChannelTypeIM && !slices.Contains(a.Config.SupportChannels, m.Channel):
		return "not a support channel"
	}
	return ""
}

// isBotUser reports whether user is the bot user the event was delivered
// for: the app's own messages, should one come without a bot_id.
func isBotUser(cb *slackevents.EventsAPICallbackEvent, user string) bool {
	if cb == nil {
		return false
	}
	for _, au := range cb.Authorizations {
		if au.IsBot && au.UserID == user {
			return true
		}
	}
	return false
}

// notify queues a short note in m's thread saying why it was not taken.
// It goes through the deliveries table like any reply: rate-limited,
// retried, and once only however often Slack sends the event.
func (a *App) notify(ctx context.Context, m *slackevents.MessageEvent, ierr *bot.InputError) {
	if a.Store == nil {
		return
	}
	locale, text := "en", "Sorry, we could not take this message: "+ierr.Message+"."
	switch {
	case bot.DetectLocale(m.Text) == "ko" && ierr.Code == "text_too_long":
		locale, text = "ko", "메시지가 너무 길어 접수하지 못했습니다. 내용을 줄여서 다시 보내 주세요."
	case bot.DetectLocale(m.Text) == "ko":
		locale, text = "ko", "이 메시지는 접수하지 못했습니다. 내용을 확인하시고 다시 보내 주세요."
	case ierr.Code == "text_too_long":
		text = "Sorry, this message is too long for us to take. Please shorten it and send it again."
	}
	d := storage.Delivery{Kind: storage.KindAnswer, InquiryID: "refused:" + messageKey(m.Channel, m.TimeStamp),
		CustomerKey: Source + ":" + m.User, URL: ReplyURL(m.Channel, m.TimeStamp), Source: Source, Locale: locale, Text: text}
	if _, err := a.Store.EnqueueDeliveries(ctx, []storage.Delivery{d}); err != nil {
		a.Log.Error("slack: unable to queue the note on a refused message", "channel", m.Channel, "ts", m.TimeStamp, "err", err)
		return
	}
	a.Kick()
}

// messageKey identifies a Slack message: its channel and timestamp.
func messageKey(channel, ts string) string { return channel + "/" + ts }

// eventID is the event's event_id, for logs and metadata.
func eventID(ev slackevents.EventsAPIEvent) string {
	if cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent); ok {
		return cb.EventID
	}
	return ""
}

// slackEntities undoes the only escaping Slack applies to message text.
// Mentions and links (<@U…>, <https://…|…>) stay as they are.
var slackEntities = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

func unescape(text string) string { return slackEntities.Replace(text) }
