package slackbot

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/surgedesk/surgedesk/bot"
	"github.com/surgedesk/surgedesk/bot/slackbot/slackfake"
	"github.com/surgedesk/surgedesk/config"
)

// socketHarness is the harness in socket mode: Slack's Socket Mode endpoint
// in front of the fake Web API.
func socketHarness(t *testing.T) (*harness, *slackfake.SocketServer) {
	t.Helper()
	var ss *slackfake.SocketServer
	h := newHarness(t, func(c *config.Slack) {
		ss = slackfake.NewSocket(t, c.APIURL)
		c.Mode, c.AppToken, c.APIURL, c.SigningSecret = "socket", "xapp-test", ss.URL(), ""
	})
	return h, ss
}

// Over Socket Mode a message is an inquiry as over HTTP, acknowledged once
// durable, answered in its thread; a redelivery counts once; Slack asking
// the client to reconnect loses nothing.
func TestSocketModeMessageBecomesInquiry(t *testing.T) {
	t.Parallel()
	h, ss := socketHarness(t)
	evImportExampleKB(h)
	const ts, text = "1763790000.002000", "이벤트 응모하려는데 앱 로그인이 안돼요"
	answer, ok := h.knowledge.Answer(text, "ko")
	if !ok {
		t.Fatalf("the example KB has no answer for %q", text)
	}
	ss.Envelope(t, "events_api", "env-1", json.RawMessage(evMessage("EvS1", evDM, "im", testCustomer, ts, text, nil)), 0)
	if a := ss.WaitAck(t, "env-1", 20*time.Second); len(a.Payload) != 0 {
		t.Errorf("an event's ack carries %s", a.Payload)
	}
	if opens := ss.Opens(); len(opens) == 0 || opens[0] != "xapp-test" {
		t.Fatalf("apps.connections.open was called with %q, want the app token", opens)
	}
	in := evFind(t, evStored(h, 1), evDM, ts)
	if in.Source != Source || in.CustomerID != testCustomer || in.Locale != "ko" || in.Text != text {
		t.Fatalf("stored %+v", in)
	}
	if posts := evWaitPosts(h, evDM, ts, 1); posts[0].Text() != answer.Text {
		t.Fatalf("answer posted %q, want %q", posts[0].Text(), answer.Text)
	}

	// Slack redelivers an envelope it saw no ack for, under a new envelope
	// id; the message is the same inquiry.
	ss.Envelope(t, "events_api", "env-2", json.RawMessage(evMessage("EvS1", evDM, "im", testCustomer, ts, text, nil)), 1)
	ss.WaitAck(t, "env-2", 20*time.Second)

	// Slack refreshes connections now and then.
	ss.Disconnect(t)
	const ts2 = "1763790000.002100"
	ss.Envelope(t, "events_api", "env-3", json.RawMessage(evMessage("EvS3", evOtherDM, "im", testOtherCustomer, ts2, "송금 버튼이 안 눌려요", nil)), 0)
	ss.WaitAck(t, "env-3", 20*time.Second)
	evFind(t, evStored(h, 2), evOtherDM, ts2)
	if n := ss.Connections(); n < 2 {
		t.Errorf("%d connections; the disconnect should have made a second", n)
	}
	if n := len(evPosts(h, evDM, ts)); n != 1 {
		t.Errorf("the first thread has %d posts, want the one answer", n)
	}
}

// Clicks, commands and requests the library cannot read are acknowledged
// too: left unacknowledged, Slack shows the user an error and sends them
// again.
func TestSocketModeAcknowledgesEveryRequest(t *testing.T) {
	t.Parallel()
	h, ss := socketHarness(t)
	ss.Envelope(t, "slash_commands", "env-cmd", map[string]any{"command": "/surge", "text": "help", "user_id": testAgent,
		"channel_id": testAgents, "team_id": "TTEST", "trigger_id": "1.2.3"}, 0)
	ss.Envelope(t, "interactive", "env-click", map[string]any{"type": "block_actions", "user": map[string]any{"id": testAgent},
		"channel": map[string]any{"id": testAgents}, "trigger_id": "1.2.4", "actions": []any{}}, 0)
	ss.Envelope(t, "events_api", "env-unknown", map[string]any{"type": "event_callback", "event_id": "EvU", "team_id": "TTEST",
		"event": map[string]any{"type": "brand_new_event"}}, 0)
	for _, id := range []string{"env-cmd", "env-click", "env-unknown"} {
		if a := ss.WaitAck(t, id, 20*time.Second); a.EnvelopeID != id {
			t.Fatalf("ack %+v", a)
		}
	}
	// None of it was an inquiry: a message sent after is the only one.
	ss.Envelope(t, "events_api", "env-msg", json.RawMessage(evMessage("EvS9", evDM, "im", testCustomer, "1763790000.002900", "카드 결제가 안 돼요", nil)), 0)
	ss.WaitAck(t, "env-msg", 20*time.Second)
	evFind(t, evStored(h, 1), evDM, "1763790000.002900")
}

// evAcks records acknowledgements.
type evAcks struct {
	mu   sync.Mutex
	acks map[string]any
}

func (r *evAcks) AckCtx(_ context.Context, id string, payload any) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.acks[id] = payload
	return nil
}

// dispatch acknowledges an event only once its inquiry is durable: with
// JetStream not answering there is no ack, and Slack sends it again.
func TestSocketDispatchLeavesUndurableEventUnacknowledged(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	msg := evMessage("EvD", evDM, "im", testCustomer, "1763790000.003000", "로그인이 안돼요", nil)
	ev, err := slackevents.ParseEvent(msg, slackevents.OptionNoVerifyToken())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		intake *bot.Intake
		acked  bool
	}{
		{"stream down", bot.NewIntake(evStuckStream{}, bot.Limits{MaxTextBytes: 8 << 10}, time.Hour), false},
		{"stream up", bot.NewIntake(evAckingStream{}, bot.Limits{MaxTextBytes: 8 << 10}, time.Hour), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := New(Options{Config: config.Default().Slack, Intake: tt.intake, Log: slog.New(slog.DiscardHandler)})
			a.ackWithin = 200 * time.Millisecond // shortened: the stuck stream runs into it
			rec := &evAcks{acks: map[string]any{}}
			a.dispatch(ctx, socketmode.Event{Type: socketmode.EventTypeEventsAPI, Data: ev,
				Request: &socketmode.Request{Type: "events_api", EnvelopeID: "env-d"}}, rec)
			if _, ok := rec.acks["env-d"]; ok != tt.acked {
				t.Fatalf("acked = %v, want %v", ok, tt.acked)
			}
		})
	}
}

// evAckingStream is a JetStream that takes every message.
type evAckingStream struct{}

func (evAckingStream) PublishMsg(context.Context, *nats.Msg, ...jetstream.PublishOpt) (*jetstream.PubAck, error) {
	return &jetstream.PubAck{Stream: "INQUIRIES", Sequence: 1}, nil
}
