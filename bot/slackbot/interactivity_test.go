package slackbot

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/surgedesk/surgedesk/bot/slackbot/slackfake"
	"github.com/surgedesk/surgedesk/config"
	"github.com/surgedesk/surgedesk/kb"
	"github.com/surgedesk/surgedesk/storage"
)

// interact sends payload to /slack/interactivity as Slack does: form
// field payload, signed at at (zero: unsigned).
func (h *harness) interact(payload map[string]any, at time.Time, extra http.Header) (int, string) {
	h.t.Helper()
	b, err := json.Marshal(payload)
	if err != nil {
		h.t.Fatal(err)
	}
	body := url.Values{"payload": {string(b)}}.Encode()
	return h.post("/slack/interactivity", "application/x-www-form-urlencoded", []byte(body), at, extra)
}

// clicks numbers the test's interactions: each click has its own
// action_ts and each submission its own view hash, as genuine ones do
// (a replay repeats them).
var clicks atomic.Int64

// click is user clicking button action (value id) on a message of the
// agents' channel.
func click(user, action, id string) map[string]any {
	ts := fmt.Sprintf("1700000100.%06d", clicks.Add(1))
	return map[string]any{
		"type": "block_actions", "trigger_id": "trigger-" + action, "user": map[string]any{"id": user},
		"channel":   map[string]any{"id": testAgents},
		"container": map[string]any{"type": "message", "channel_id": testAgents, "message_ts": "1700000001.000001"},
		"actions":   []map[string]any{{"type": "button", "action_id": action, "block_id": "actions", "value": id, "action_ts": ts}},
	}
}

// submit is user submitting a modal with these input values.
func submit(user, callback, metadata string, values map[string]map[string]any) map[string]any {
	return map[string]any{
		"type": "view_submission", "user": map[string]any{"id": user},
		"view": map[string]any{"id": "V1", "hash": fmt.Sprintf("h%d", clicks.Add(1)), "type": "modal", "callback_id": callback, "private_metadata": metadata,
			"state": map[string]any{"values": values}},
	}
}

// mustInteract sends a signed payload and wants a 200.
func (h *harness) mustInteract(payload map[string]any) string {
	h.t.Helper()
	status, body := h.interact(payload, time.Now(), nil)
	if status != http.StatusOK {
		h.t.Fatalf("interaction answered %d %s", status, body)
	}
	return body
}

// ephemerals waits for an ephemeral message to user and returns its text.
func (h *harness) ephemeral(user string) string {
	h.t.Helper()
	calls := h.fake.WaitFor(h.t, "chat.postEphemeral", 10*time.Second, func(cs []slackfake.Call) bool {
		return slices.ContainsFunc(slackfake.OK(cs), func(c slackfake.Call) bool { return c.Form.Get("user") == user })
	})
	for _, c := range calls {
		if c.Form.Get("user") == user {
			if c.Form.Get("channel") != testAgents {
				h.t.Fatalf("ephemeral in %s, want the agents' channel", c.Form.Get("channel"))
			}
			return c.Form.Get("text")
		}
	}
	return ""
}

func TestInteractionClaim(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.askMany("pay", paymentText, 2)
	c := h.clusterOf(paymentText, 2)
	h.waitBoard(c.ID, "the cluster on the board", func(m message) bool { return true })

	h.mustInteract(click(testAgent, "claim", c.ID))
	got, err := h.db.Cluster(h.ctx, c.ID)
	if err != nil || got.ClaimedBy != "slack:"+testAgent || got.ClaimedUntil < time.Now().Add(9*time.Minute).UnixMilli() {
		t.Fatalf("cluster after claim = %+v, %v; want claimed by slack:%s for 10 minutes", got, err, testAgent)
	}
	if entries, _ := h.db.AuditEntries(h.ctx, "cluster:"+c.ID, 5); len(entries) == 0 || entries[0].Actor != "slack:"+testAgent || entries[0].Action != "cluster.claim" {
		t.Fatalf("audit = %+v, want the claim by slack:%s", entries, testAgent)
	}
	// The board shows the claim in the same message.
	h.waitBoard(c.ID, "the claim on the board", func(m message) bool {
		return m.ts == h.tsOf(c.ID) && strings.Contains(m.text, "Claimed by <@"+testAgent+">")
	})

	// Another agent in the channel is told who holds it; nothing changes.
	h.mustInteract(click(testOtherCustomer, "claim", c.ID))
	if text := h.ephemeral(testOtherCustomer); !strings.Contains(text, "<@"+testAgent+">") {
		t.Fatalf("ephemeral %q does not name the holder", text)
	}
	if got, _ := h.db.Cluster(h.ctx, c.ID); got.ClaimedBy != "slack:"+testAgent {
		t.Fatalf("second claim took the cluster: %+v", got)
	}
}

func TestInteractionReply(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	threads := h.askMany("pay", paymentText, 3)
	c := h.clusterOf(paymentText, 3)
	h.waitBoard(c.ID, "the cluster on the board", func(m message) bool { return true })

	// The button opens the modal with the click's trigger.
	h.mustInteract(click(testAgent, "reply", c.ID))
	views := h.fake.WaitCalls(t, "views.open", 1, 10*time.Second)
	if views[0].JSON["trigger_id"] != "trigger-reply" {
		t.Fatalf("views.open got %v, want the click's trigger_id", views[0].JSON)
	}
	view, _ := views[0].JSON["view"].(map[string]any)
	if view["callback_id"] != "reply" || view["private_metadata"] != c.ID || !strings.Contains(mustJSON(t, view), `"multiline":true`) {
		t.Fatalf("modal = %v, want callback reply, the cluster in private_metadata and a multiline input", view)
	}

	reply := func(text string) map[string]any {
		return submit(testAgent, "reply", c.ID, map[string]map[string]any{"reply": {"text": map[string]any{"type": "plain_text_input", "value": text}}})
	}
	// An empty reply goes back to the modal as an error on its block.
	body := h.mustInteract(reply("   "))
	var resp struct {
		ResponseAction string            `json:"response_action"`
		Errors         map[string]string `json:"errors"`
	}
	if err := json.Unmarshal([]byte(body), &resp); err != nil || resp.ResponseAction != "errors" || resp.Errors["reply"] == "" {
		t.Fatalf("empty reply answered %q, want errors on block reply", body)
	}

	const text = "결제 오류는 복구되었습니다. 다시 시도해 주세요."
	if body := h.mustInteract(reply(text)); body != "" {
		t.Fatalf("reply answered %q, want an empty 200 (the modal closes)", body)
	}
	// Each member gets the reply in their own thread, once.
	if got := h.repliedThreads(text, len(threads)); !slices.Equal(got, slices.Sorted(slices.Values(threads))) {
		t.Fatalf("replies went to threads %v, want %v", got, threads)
	}
	r, ds, err := h.db.ClusterReply(h.ctx, c.ID)
	if err != nil || r.By != "slack:"+testAgent || len(ds) != 3 {
		t.Fatalf("reply = %+v, %d deliveries, %v", r, len(ds), err)
	}
	h.waitBoard(c.ID, "the reply on the board", func(m message) bool { return strings.Contains(m.text, "Replied to all by <@"+testAgent+">") })

	// A second reply is refused in the modal.
	body = h.mustInteract(reply("두 번째 답변"))
	if err := json.Unmarshal([]byte(body), &resp); err != nil || resp.Errors["reply"] == "" {
		t.Fatalf("second reply answered %q, want errors", body)
	}
	// And the button now only tells who replied.
	h.mustInteract(click(testAgent, "reply", c.ID))
	if text := h.ephemeral(testAgent); !strings.Contains(text, "Already replied") {
		t.Fatalf("ephemeral = %q", text)
	}
	if n := len(h.fake.Calls("views.open")); n != 1 {
		t.Fatalf("views.open called %d times, want 1", n)
	}
}

func TestInteractionResolve(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.askMany("pay", paymentText, 2)
	c := h.clusterOf(paymentText, 2)
	h.waitBoard(c.ID, "the cluster on the board", func(m message) bool { return len(m.buttons) == 4 })

	h.mustInteract(click(testAgent, "resolve", c.ID))
	if got, _ := h.db.Cluster(h.ctx, c.ID); got.Status != storage.ClusterClosed {
		t.Fatalf("cluster after resolve = %+v", got)
	}
	if _, ok := h.clusters.Cluster(c.ID); ok {
		t.Fatal("the cluster is still open in memory: ClustersClosed not called")
	}
	final := h.waitBoard(c.ID, "the board message without buttons", func(m message) bool { return len(m.buttons) == 0 })
	if final.ts != h.tsOf(c.ID) || !strings.Contains(final.text, "Resolved") {
		t.Fatalf("final message = %+v", final)
	}
	// Acting on it again: the cluster is gone.
	h.mustInteract(click(testAgent, "claim", c.ID))
	if text := h.ephemeral(testAgent); !strings.Contains(text, "no longer") {
		t.Fatalf("ephemeral = %q", text)
	}
}

func TestInteractionLink(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.askMany("pay", paymentText, 2)
	c := h.clusterOf(paymentText, 2)
	h.waitBoard(c.ID, "the cluster on the board", func(m message) bool { return true })

	// No active incident: nothing to choose from.
	h.mustInteract(click(testAgent, "link", c.ID))
	if text := h.ephemeral(testAgent); !strings.Contains(text, "no active incident") {
		t.Fatalf("ephemeral = %q", text)
	}
	for _, inc := range []kb.Incident{
		{ID: "inc-pay", TitleKO: "카드 결제 장애", Severity: kb.Major},
		{ID: "inc-old", TitleKO: "지난 장애", Severity: kb.Minor, Status: kb.Resolved},
	} {
		if _, err := h.db.CreateIncident(h.ctx, "test", inc); err != nil {
			t.Fatal(err)
		}
	}
	h.mustInteract(click(testAgent, "link", c.ID))
	views := h.fake.WaitCalls(t, "views.open", 1, 10*time.Second)
	modal := mustJSON(t, views[0].JSON["view"])
	if !strings.Contains(modal, `"type":"static_select"`) || !strings.Contains(modal, `"value":"inc-pay"`) ||
		strings.Contains(modal, "inc-old") || !strings.Contains(modal, `"callback_id":"link"`) {
		t.Fatalf("link modal = %s, want a static_select of the active incident only", modal)
	}

	h.mustInteract(submit(testAgent, "link", c.ID, map[string]map[string]any{"incident": {"incident": map[string]any{
		"type": "static_select", "selected_option": map[string]any{"value": "inc-pay"}}}}))
	if got, _ := h.db.Cluster(h.ctx, c.ID); got.IncidentID != "inc-pay" {
		t.Fatalf("cluster after link = %+v", got)
	}
	h.waitBoard(c.ID, "the incident on the board", func(m message) bool {
		return strings.Contains(m.text, "Incident `inc-pay` 카드 결제 장애")
	})
}

func TestSurgeAlert(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.askMany("pay", paymentText, 3)
	c := h.clusterOf(paymentText, 3)
	if _, err := h.db.RaiseAlert(h.ctx, storage.Alert{ClusterID: c.ID, RaisedAt: time.Now().UnixMilli(), PerMinute: 12.5,
		Inquiries: 3, Customers: 3, Label: c.Label, Representative: paymentText, Samples: []string{paymentText}}); err != nil {
		t.Fatal(err)
	}
	alertPosts := func() []slackfake.Call {
		return slices.DeleteFunc(agentCalls(slackfake.OK(h.fake.Calls("chat.postMessage"))), func(c slackfake.Call) bool {
			return !strings.Contains(c.Form.Get("blocks"), `"action_id":"declare"`)
		})
	}
	h.waitFor("the alert in the agents' channel", func() bool { return len(alertPosts()) == 1 })
	alert := parseMessage(t, alertPosts()[0])
	if alert.buttons["declare"] != c.ID || alert.buttons["dismiss"] != c.ID || !strings.Contains(alert.text, "Possible incident") {
		t.Fatalf("alert = %+v", alert)
	}
	h.waitTicks(6)
	if n := len(alertPosts()); n != 1 {
		t.Fatalf("the alert was posted %d times", n)
	}

	// An agent may not declare.
	h.mustInteract(click(testAgent, "declare", c.ID))
	if text := h.ephemeral(testAgent); !strings.Contains(text, "Only managers") {
		t.Fatalf("ephemeral = %q", text)
	}
	if incs, _ := h.db.Incidents(h.ctx, true); len(incs) != 0 {
		t.Fatalf("an agent declared %+v", incs)
	}

	// A manager declares: the incident exists, the cluster is linked to
	// it, and the alert's message says so without buttons.
	h.mustInteract(click(testManager, "declare", c.ID))
	incs, err := h.db.Incidents(h.ctx, true)
	if err != nil || len(incs) != 1 || incs[0].TitleKO != "문의 급증: "+paymentText || incs[0].Severity != kb.Major {
		t.Fatalf("incidents = %+v, %v", incs, err)
	}
	inc := incs[0]
	if got, _ := h.db.Cluster(h.ctx, c.ID); got.IncidentID != inc.ID {
		t.Fatalf("cluster = %+v, want linked to %s", got, inc.ID)
	}
	if open, _ := h.db.Alerts(h.ctx, storage.AlertOpen, 10); len(open) != 0 {
		t.Fatalf("alerts still open: %+v", open)
	}
	ms, _ := h.db.SlackMessages(h.ctx, []string{alertSubject(c.ID)})
	alertTS := ms[alertSubject(c.ID)].TS
	// The alert's message may have been updated before the click (its
	// counts); its last update is the declared one.
	declared := func(c slackfake.Call) bool {
		return c.Form.Get("ts") == alertTS && strings.Contains(c.Form.Get("blocks")+c.Form.Get("text"), "Declared by")
	}
	updates := h.fake.WaitFor(t, "chat.update", 10*time.Second, func(cs []slackfake.Call) bool {
		return slices.ContainsFunc(cs, declared)
	})
	last := slices.IndexFunc(updates, declared)
	for i, u := range updates {
		if u.Form.Get("ts") == alertTS {
			last = i
		}
	}
	if m := parseMessage(t, updates[last]); len(m.buttons) != 0 || !strings.Contains(m.text, "Declared by <@"+testManager+">") || !strings.Contains(m.text, inc.ID) {
		t.Fatalf("the alert's last update = %+v", m)
	}
	// A second click is refused: one incident.
	h.mustInteract(click(testManager, "declare", c.ID))
	if text := h.ephemeral(testManager); !strings.Contains(text, "already") {
		t.Fatalf("ephemeral = %q", text)
	}
	if incs, _ := h.db.Incidents(h.ctx, false); len(incs) != 1 {
		t.Fatalf("incidents = %d, want 1", len(incs))
	}
}

func TestInteractivityVerification(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.askMany("pay", paymentText, 2)
	c := h.clusterOf(paymentText, 2)
	h.waitBoard(c.ID, "the cluster on the board", func(m message) bool { return true })
	payload := click(testAgent, "claim", c.ID)
	b, _ := json.Marshal(payload)
	body := []byte(url.Values{"payload": {string(b)}}.Encode())

	cases := []struct {
		name   string
		at     time.Time
		extra  http.Header
		status int
		code   string
	}{
		{"unsigned", time.Time{}, nil, http.StatusUnauthorized, "unverified"},
		{"forged", time.Time{}, slackfake.Sign("not-the-secret", time.Now(), body), http.StatusUnauthorized, "unverified"},
		{"tampered", time.Time{}, slackfake.Sign(testSecret, time.Now(), []byte("payload=%7B%7D")), http.StatusUnauthorized, "unverified"},
		{"stale", time.Now().Add(-10 * time.Minute), nil, http.StatusUnauthorized, "unverified"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, resp := h.post("/slack/interactivity", "application/x-www-form-urlencoded", body, tc.at, tc.extra)
			if status != tc.status || !strings.Contains(resp, `"code":"`+tc.code+`"`) {
				t.Fatalf("answered %d %s, want %d %s", status, resp, tc.status, tc.code)
			}
		})
	}
	if got, _ := h.db.Cluster(h.ctx, c.ID); got.ClaimedBy != "" {
		t.Fatalf("an unverified request claimed the cluster: %+v", got)
	}
	h.waitTicks(4)
	if n := len(h.fake.Calls("chat.update")) + len(h.fake.Calls("chat.postEphemeral")) + len(h.fake.Calls("views.open")); n != 0 {
		t.Fatalf("Slack got %d calls after unverified requests", n)
	}

	// Signed but not a payload: 400.
	status, resp := h.postForm("/slack/interactivity", url.Values{"payload": {"{not json"}}, time.Now())
	if status != http.StatusBadRequest || !strings.Contains(resp, `"code":"invalid_payload"`) {
		t.Fatalf("bad payload answered %d %s", status, resp)
	}
	// Signed and fresh: the claim happens.
	h.mustInteract(payload)
	if got, _ := h.db.Cluster(h.ctx, c.ID); got.ClaimedBy != "slack:"+testAgent {
		t.Fatalf("a signed request did not claim: %+v", got)
	}
	h.waitBoard(c.ID, "the claim on the board", func(m message) bool { return strings.Contains(m.text, "Claimed by") })
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSurgeAlertDismiss(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.askMany("login", loginText, 2)
	c := h.clusterOf(loginText, 2)
	if _, err := h.db.RaiseAlert(h.ctx, storage.Alert{ClusterID: c.ID, RaisedAt: time.Now().UnixMilli(), PerMinute: 11,
		Inquiries: 2, Customers: 2, Label: c.Label, Representative: loginText}); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the alert posted", func() bool {
		ms, _ := h.db.SlackMessages(h.ctx, []string{alertSubject(c.ID)})
		return ms[alertSubject(c.ID)].TS != ""
	})
	ms, _ := h.db.SlackMessages(h.ctx, []string{alertSubject(c.ID)})
	alertTS := ms[alertSubject(c.ID)].TS

	h.mustInteract(click(testAgent, "dismiss", c.ID))
	if al, err := h.db.Alert(h.ctx, c.ID); err != nil || al.Status != storage.AlertDismissed || al.DecidedBy != "slack:"+testAgent {
		t.Fatalf("decision = %+v, %v", al, err)
	}
	// The board may refresh the alert before the dismissal reaches it (a
	// slow tick under -race): the alert's last update is the one that counts.
	updates := h.fake.WaitFor(t, "chat.update", 10*time.Second, func(cs []slackfake.Call) bool {
		return slices.ContainsFunc(cs, func(c slackfake.Call) bool {
			return c.Form.Get("ts") == alertTS && strings.Contains(c.Form.Get("text")+c.Form.Get("blocks"), "Dismissed")
		})
	})
	var last slackfake.Call
	for _, u := range updates {
		if u.Form.Get("ts") == alertTS {
			last = u
		}
	}
	if m := parseMessage(t, last); len(m.buttons) != 0 || !strings.Contains(m.text, "Dismissed by <@"+testAgent+">") ||
		last.Form.Get("channel") != testAgents {
		t.Fatalf("alert's last update = %+v in %s", m, last.Form.Get("channel"))
	}
	if incs, _ := h.db.Incidents(h.ctx, false); len(incs) != 0 {
		t.Fatalf("a dismissal declared %+v", incs)
	}
}

func TestSurgeAlertDeclaredOnceByTwoManagers(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *config.Slack) { c.ManagerUsers = []string{testManager, "UMANAGER2"} })
	h.askMany("pay", paymentText, 3)
	c := h.clusterOf(paymentText, 3)
	if _, err := h.db.RaiseAlert(h.ctx, storage.Alert{ClusterID: c.ID, RaisedAt: time.Now().UnixMilli(), PerMinute: 12,
		Inquiries: 3, Customers: 3, Label: c.Label, Representative: paymentText}); err != nil {
		t.Fatal(err)
	}
	// Two managers click at once, their clicks reaching two instances.
	other := New(h.app.Options)
	statuses := make(chan int, 2)
	for _, user := range []string{testManager, "UMANAGER2"} {
		go func() {
			status, _ := h.interact(click(user, "declare", c.ID), time.Now(), nil)
			statuses <- status
		}()
	}
	for range 2 {
		if s := <-statuses; s != http.StatusOK {
			t.Fatalf("a declaration answered %d", s)
		}
	}
	if err := other.declare(h.ctx, testAgents, testManager, c.ID); err != nil { // a third, late
		t.Fatal(err)
	}
	incs, err := h.db.Incidents(h.ctx, false)
	if err != nil || len(incs) != 1 {
		t.Fatalf("incidents = %+v, %v; want one", incs, err)
	}
	if got, _ := h.db.Cluster(h.ctx, c.ID); got.IncidentID != incs[0].ID {
		t.Fatalf("cluster = %+v, want linked to %s", got, incs[0].ID)
	}
	refused := h.fake.WaitFor(t, "chat.postEphemeral", 10*time.Second, func(cs []slackfake.Call) bool { return len(slackfake.OK(cs)) >= 2 })
	for _, e := range refused {
		if !strings.Contains(e.Form.Get("text"), "already") {
			t.Fatalf("ephemeral = %q", e.Form.Get("text"))
		}
	}
}

func TestModalsWithinBlockKitLimits(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.askMany("pay", paymentText, 2)
	c := h.clusterOf(paymentText, 2)
	// More active incidents than a select takes, with titles longer than
	// an option's text.
	for i := range 120 {
		if _, err := h.db.CreateIncident(h.ctx, "test", kb.Incident{ID: fmt.Sprintf("inc-%03d", i),
			TitleKO: strings.Repeat("결제 장애 ", 20), Severity: kb.Minor}); err != nil {
			t.Fatal(err)
		}
	}
	h.mustInteract(click(testAgent, "link", c.ID))
	h.mustInteract(click(testAgent, "reply", c.ID))
	views := h.fake.WaitFor(t, "views.open", 10*time.Second, func(cs []slackfake.Call) bool { return len(cs) == 2 })
	for _, v := range views {
		if v.Status != http.StatusOK {
			t.Fatalf("views.open refused (%s): %s", v.Error, mustJSON(t, v.JSON["view"]))
		}
	}
	if modal := mustJSON(t, views[1].JSON["view"]); !strings.Contains(modal, `"max_length":3000`) {
		t.Fatalf("reply modal = %s, want max_length 3000", modal)
	}
}

func TestFakeSlackRefusesWhatBreaksBlockKitLimits(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	fake := slackfake.New(t)
	api := slack.New("xoxb-test", slack.OptionAPIURL(fake.URL()))
	long := strings.Repeat("가", 3001)
	cases := []struct {
		name   string
		blocks []slack.Block
		ok     bool
	}{
		{"within", []slack.Block{slack.NewSectionBlock(mrkdwn("fine"), nil, nil)}, true},
		{"section text", []slack.Block{slack.NewSectionBlock(mrkdwn(long), nil, nil)}, false},
		{"header", []slack.Block{slack.NewHeaderBlock(plain(long[:151*3]))}, false},
		{"button text", []slack.Block{slack.NewActionBlock("a", slack.NewButtonBlockElement("x", "v", plain(strings.Repeat("b", 76))))}, false},
		{"button value", []slack.Block{slack.NewActionBlock("a", slack.NewButtonBlockElement("x", strings.Repeat("v", 2001), plain("b")))}, false},
		{"blocks", slices.Repeat([]slack.Block{slack.NewSectionBlock(mrkdwn("x"), nil, nil)}, 51), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := api.PostMessageContext(ctx, testAgents, slack.MsgOptionBlocks(tc.blocks...))
			if (err == nil) != tc.ok {
				t.Fatalf("post = %v, want ok %v", err, tc.ok)
			}
			last := fake.Calls("chat.postMessage")
			if got := last[len(last)-1]; !tc.ok && !strings.HasPrefix(got.Error, "invalid_blocks") {
				t.Fatalf("fake answered %q, want invalid_blocks", got.Error)
			}
		})
	}
	input := slack.NewPlainTextInputBlockElement(plain("x"), "x")
	input.MaxLength = 4000
	for name, view := range map[string]slack.ModalViewRequest{
		"title":      {Type: slack.VTModal, Title: plain("A title longer than twenty-four"), Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewSectionBlock(mrkdwn("x"), nil, nil)}}},
		"max_length": {Type: slack.VTModal, Title: plain("Reply"), Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewInputBlock("b", plain("x"), nil, input)}}},
	} {
		if _, err := api.OpenViewContext(ctx, "trigger", view); err == nil {
			t.Fatalf("%s: views.open accepted a modal over Block Kit's limits", name)
		}
	}
	if n := len(slackfake.OK(fake.Calls("views.open"))); n != 0 {
		t.Fatalf("%d modals accepted", n)
	}
}

// When Slack does not open a form (an expired trigger), the agent who
// clicked is told, for each button that opens one.
func TestFormNotOpened(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		problems bool
		action   string
	}{
		{"cluster reply", false, actionReply},
		{"cluster link", false, actionLink},
		{"problem reply", true, actionProblemReply},
		{"problem link", true, actionProblemLink},
		{"problem name", true, actionProblemName},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := startHarness(t, problemBoard, tc.problems)
			if _, err := h.db.CreateIncident(h.ctx, "test", kb.Incident{ID: "inc-pay", TitleKO: "결제 장애", Severity: kb.Major}); err != nil {
				t.Fatal(err)
			}
			h.askMany("pay", paymentText, 3)
			c := h.clusterOf(paymentText, 3)
			id := c.ID
			if tc.problems {
				id = c.ProblemID
			}
			h.fake.Fail("views.open", slackfake.Failure{Status: http.StatusOK, Error: "expired_trigger_id"})
			h.mustInteract(click(testAgent, tc.action, id))
			if text := h.ephemeral(testAgent); !strings.Contains(text, "Slack did not open the form") {
				t.Fatalf("ephemeral %q; want the agent told the form did not open", text)
			}
		})
	}
}
