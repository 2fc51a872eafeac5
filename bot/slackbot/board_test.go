package slackbot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/bot/slackbot/slackfake"
	"github.com/surgedesk/surgedesk/config"
	"github.com/surgedesk/surgedesk/desk"
	"github.com/surgedesk/surgedesk/storage"
)

// Texts of three problems, each its own cluster.
const (
	paymentText = "카드 결제가 계속 실패해요 결제 오류가 나요"
	loginText   = "로그인이 안 돼요 비밀번호를 입력해도 접속이 안 됩니다"
	refundText  = "환불 신청은 어디서 하나요 환불 문의드립니다"
)

var messageSeq atomic.Int64

// ask makes customer write text in the support channel, as the events
// handler would, and returns the thread its replies go to.
func (h *harness) ask(customer, text string) string {
	h.t.Helper()
	ts := fmt.Sprintf("1700000000.%06d", messageSeq.Add(1))
	h.askAt(customer, text, ts)
	return ts
}

// askMany makes n distinct customers (prefix-1…) write text.
func (h *harness) askMany(prefix, text string, n int) []string {
	h.t.Helper()
	var threads []string
	for i := range n {
		threads = append(threads, h.ask(fmt.Sprintf("%s-%d", prefix, i+1), text))
	}
	return threads
}

// clusterOf waits until the inquiries with text form an open cluster of
// at least n, and returns it.
func (h *harness) clusterOf(text string, n int) storage.Cluster {
	h.t.Helper()
	var found storage.Cluster
	h.waitFor(fmt.Sprintf("a cluster of %d about %q", n, text), func() bool {
		cs, err := h.db.OpenClusters(h.ctx, 0, 100)
		if err != nil {
			return false
		}
		for _, c := range cs {
			if c.Representative == text || strings.Contains(c.Representative, text) {
				found = c
				return c.Inquiries >= int64(n)
			}
		}
		return false
	})
	return found
}

// agentCalls keeps the calls made to the agents' channel.
func agentCalls(cs []slackfake.Call) []slackfake.Call {
	return slices.DeleteFunc(cs, func(c slackfake.Call) bool { return c.Form.Get("channel") != testAgents })
}

// message is a board message as Slack received it.
type message struct {
	ts      string
	text    string            // every text of its blocks, joined
	buttons map[string]string // action_id → value
}

func parseMessage(t *testing.T, c slackfake.Call) message {
	t.Helper()
	var blocks []struct {
		Type     string `json:"type"`
		Text     *struct{ Text string }
		Elements []struct {
			Type     string `json:"type"`
			Text     any    `json:"text"`
			ActionID string `json:"action_id"`
			Value    string `json:"value"`
		}
	}
	if err := json.Unmarshal([]byte(c.Form.Get("blocks")), &blocks); err != nil {
		t.Fatalf("%s blocks %q: %v", c.Method, c.Form.Get("blocks"), err)
	}
	m := message{ts: c.Form.Get("ts"), buttons: map[string]string{}}
	var texts []string
	for _, b := range blocks {
		if b.Text != nil {
			texts = append(texts, b.Text.Text)
		}
		for _, e := range b.Elements {
			if s, ok := e.Text.(string); ok {
				texts = append(texts, s)
			}
			if e.Type == "button" {
				m.buttons[e.ActionID] = e.Value
			}
		}
	}
	m.text = strings.Join(texts, "\n")
	return m
}

// boardCalls returns the posts (method chat.postMessage) with cluster
// id's buttons, or the updates (chat.update) of its message, made to the
// agents' channel.
func (h *harness) boardCalls(method, id string) []slackfake.Call {
	ts := h.tsOf(id)
	var out []slackfake.Call
	for _, c := range agentCalls(slackfake.OK(h.fake.Calls(method))) {
		if method == "chat.postMessage" && strings.Contains(c.Form.Get("blocks"), `"value":"`+id+`"`) ||
			method == "chat.update" && ts != "" && c.Form.Get("ts") == ts {
			out = append(out, c)
		}
	}
	return out
}

// tsOf is the ts Slack gave the board message of cluster id.
func (h *harness) tsOf(id string) string {
	ms, err := h.db.SlackMessages(h.ctx, []string{clusterSubject(id)})
	if err != nil {
		h.t.Fatal(err)
	}
	return ms[clusterSubject(id)].TS
}

// waitBoard waits until the latest post or update of cluster id's board
// message matches, and returns it.
func (h *harness) waitBoard(id, what string, match func(message) bool) message {
	h.t.Helper()
	var last message
	h.waitFor(what, func() bool {
		calls := append(h.boardCalls("chat.postMessage", id), h.boardCalls("chat.update", id)...)
		slices.SortFunc(calls, func(a, b slackfake.Call) int { return a.At.Compare(b.At) })
		if len(calls) == 0 {
			return false
		}
		last = parseMessage(h.t, calls[len(calls)-1])
		return match(last)
	})
	return last
}

func TestBoardOneMessagePerClusterUpdatedInPlace(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.askMany("pay", paymentText, 3)
	h.askMany("login", loginText, 2)
	h.ask("refund-1", refundText) // one inquiry: below board_min_inquiries
	pay, login := h.clusterOf(paymentText, 3), h.clusterOf(loginText, 2)

	payMsg := h.waitBoard(pay.ID, "the payment cluster on the board", func(m message) bool {
		return strings.Contains(m.text, "3 inquiries · 3 customers")
	})
	loginMsg := h.waitBoard(login.ID, "the login cluster on the board", func(m message) bool {
		return strings.Contains(m.text, "2 inquiries · 2 customers")
	})
	for _, m := range []struct {
		msg   message
		c     storage.Cluster
		label string
	}{{payMsg, pay, pay.Representative}, {loginMsg, login, login.Representative}} {
		if m.label == "" || !strings.Contains(m.msg.text, m.label) {
			t.Errorf("message %q lacks the label %q", m.msg.text, m.label)
		}
		want := map[string]string{"claim": m.c.ID, "reply": m.c.ID, "resolve": m.c.ID, "link": m.c.ID}
		if fmt.Sprint(m.msg.buttons) != fmt.Sprint(want) {
			t.Errorf("buttons = %v, want %v", m.msg.buttons, want)
		}
	}

	// Two more customers: the same message is updated, none is posted.
	h.askMany("pay-more", paymentText, 2)
	updated := h.waitBoard(pay.ID, "the payment cluster's message updated", func(m message) bool {
		return strings.Contains(m.text, "5 inquiries · 5 customers")
	})
	if updated.ts == "" || updated.ts != h.tsOf(pay.ID) {
		t.Fatalf("update went to ts %q, want the posted message's %q", updated.ts, h.tsOf(pay.ID))
	}
	h.waitTicks(6) // three intervals more: nothing new appears
	posts := agentCalls(h.fake.Calls("chat.postMessage"))
	if len(posts) != 2 {
		t.Fatalf("the agents' channel got %d posts, want one per cluster of at least 2 (2):%v", len(posts), posts)
	}
	for _, p := range posts {
		if strings.Contains(p.Form.Get("blocks"), refundText) {
			t.Fatalf("a one-inquiry cluster was posted: %v", p.Form)
		}
	}
	for _, u := range agentCalls(h.fake.Calls("chat.update")) {
		if u.Form.Get("ts") != h.tsOf(pay.ID) && u.Form.Get("ts") != h.tsOf(login.ID) {
			t.Fatalf("an update went to an unknown message: %v", u.Form)
		}
	}
}

func TestBoardThrottlesUpdates(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.askMany("first", paymentText, 2)
	c := h.clusterOf(paymentText, 2)
	h.waitBoard(c.ID, "the cluster on the board", func(m message) bool { return true })
	start := time.Now()
	for i := range 30 {
		h.ask(fmt.Sprintf("burst-%d", i), paymentText)
		time.Sleep(30 * time.Millisecond) // over several intervals, as a surge would
	}
	h.waitBoard(c.ID, "the board to catch up with 32 inquiries", func(m message) bool {
		return strings.Contains(m.text, "32 inquiries · 32 customers")
	})
	elapsed := time.Since(start)
	posts := agentCalls(h.fake.Calls("chat.postMessage"))
	updates := agentCalls(h.fake.Calls("chat.update"))
	if len(posts) != 1 {
		t.Fatalf("32 inquiries in one cluster made %d posts, want 1", len(posts))
	}
	if limit := int(elapsed/h.cfg.BoardInterval) + 2; len(updates) > limit {
		t.Fatalf("%d updates in %s, want at most %d (one per %s)", len(updates), elapsed, limit, h.cfg.BoardInterval)
	}
	for i := 1; i < len(updates); i++ {
		// The fake records when each call arrived; the board never
		// updates one message twice within an interval (less the
		// scheduling slack of the ticker).
		if gap := updates[i].At.Sub(updates[i-1].At); gap < h.cfg.BoardInterval*3/4 {
			t.Fatalf("updates %d and %d only %s apart", i-1, i, gap)
		}
	}
}

func TestBoardThrottlesFromWhenSlackTookTheUpdate(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	const late = 300 * time.Millisecond // under the call's budget of one second
	h.askMany("first", paymentText, 2)
	c := h.clusterOf(paymentText, 2)
	h.waitBoard(c.ID, "the cluster on the board", func(m message) bool { return true })
	h.fake.Slow("chat.update", late)
	// Inquiries keep coming until the board has made three updates, however
	// slow the machine (a burst stored at once makes only one).
	asked := 2
	for len(slackfake.OK(agentCalls(h.fake.Calls("chat.update")))) < 3 {
		if asked >= 200 {
			t.Fatalf("%d inquiries made %d updates, want 3", asked, len(slackfake.OK(agentCalls(h.fake.Calls("chat.update")))))
		}
		h.ask(fmt.Sprintf("burst-%d", asked), paymentText)
		asked++
		time.Sleep(50 * time.Millisecond)
	}
	want := fmt.Sprintf("%d inquiries · %d customers", asked, asked)
	h.waitBoard(c.ID, "the board to catch up with "+want, func(m message) bool {
		return strings.Contains(m.text, want)
	})
	updates := slackfake.OK(agentCalls(h.fake.Calls("chat.update")))
	for i := 1; i < len(updates); i++ {
		// The interval counts from Slack's answer, not from the start of
		// the tick: an update arrives at least late + interval after the
		// one before (less the ticker's slack).
		if gap := updates[i].At.Sub(updates[i-1].At); gap < late+h.cfg.BoardInterval*3/4 {
			t.Fatalf("updates %d and %d only %s apart, want at least %s", i-1, i, gap, late+h.cfg.BoardInterval)
		}
	}
}

func TestBoardRetriesAndHonoursRateLimits(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.fake.Fail("chat.postMessage", slackfake.Failure{Status: 500}, slackfake.Failure{Status: 429, RetryAfter: 1})
	h.askMany("pay", paymentText, 2)
	c := h.clusterOf(paymentText, 2)
	h.waitBoard(c.ID, "the cluster posted after a 500 and a 429", func(m message) bool { return true })
	posts := agentCalls(h.fake.Calls("chat.postMessage"))
	if len(posts) != 3 || len(slackfake.OK(posts)) != 1 {
		t.Fatalf("posts = %d (%d ok), want a failed one, a rate-limited one and one that worked", len(posts), len(slackfake.OK(posts)))
	}
	if gap := posts[2].At.Sub(posts[1].At); gap < 900*time.Millisecond {
		t.Fatalf("posted again %s after a 429 asking for 1s", gap)
	}
	h.waitTicks(6)
	if n := len(slackfake.OK(agentCalls(h.fake.Calls("chat.postMessage")))); n != 1 {
		t.Fatalf("%d messages posted for one cluster", n)
	}
}

func TestBoardFinalUpdateWhenResolvedElsewhere(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.askMany("pay", paymentText, 2)
	c := h.clusterOf(paymentText, 2)
	h.waitBoard(c.ID, "the cluster on the board", func(m message) bool { return len(m.buttons) == 4 })
	// Resolved through the HTTP API, say: the board notices on its own.
	if err := h.db.ResolveCluster(h.ctx, "api:kim", c.ID); err != nil {
		t.Fatal(err)
	}
	final := h.waitBoard(c.ID, "the final update", func(m message) bool { return len(m.buttons) == 0 })
	if final.ts != h.tsOf(c.ID) || !strings.Contains(final.text, "Resolved") {
		t.Fatalf("final update = %+v, want the message at %s marked resolved", final, h.tsOf(c.ID))
	}
	n := len(h.boardCalls("chat.update", c.ID))
	h.waitTicks(6)
	if m := len(h.boardCalls("chat.update", c.ID)); m != n {
		t.Fatalf("a done message was updated again: %d updates, then %d", n, m)
	}
}

func TestBoardOneLeader(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		slow time.Duration // how late Slack answers posts
	}{
		{"fast Slack", 0},
		// Ticks longer than the lease's third: the holder renews it before
		// each call and ends the tick, so the other never takes over.
		{"slow Slack", 700 * time.Millisecond},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil)
			h.fake.Slow("chat.postMessage", tc.slow)
			// A second instance on the same database and Slack: it must
			// neither post nor update while the other holds the board.
			other := New(h.app.Options)
			other.Owner = "other"
			ctx, cancel := context.WithCancel(h.ctx)
			done := make(chan struct{})
			go func() { defer close(done); _ = other.runBoard(ctx) }()
			t.Cleanup(func() { cancel(); <-done })

			texts := []string{paymentText, loginText, refundText}
			for i, text := range texts {
				h.askMany(fmt.Sprintf("c%d", i), text, 2)
			}
			var ids []string
			for _, text := range texts {
				c := h.clusterOf(text, 2)
				ids = append(ids, c.ID)
				h.waitBoard(c.ID, "the cluster on the board", func(m message) bool { return true })
			}
			h.askMany("pay-more", paymentText, 2)
			h.waitBoard(ids[0], "the update", func(m message) bool { return strings.Contains(m.text, "4 inquiries") })
			h.waitTicks(6, h.app, other)
			if per := h.postsPerCluster(); len(per) != 3 || per[ids[0]] != 1 || per[ids[1]] != 1 || per[ids[2]] != 1 {
				t.Fatalf("two instances posted %v, want one message per cluster", per)
			}
			// Either may lead, the first to tick; the lead never changes.
			if n := strings.Count(h.logs.String(), "leader=true"); n != 1 {
				t.Fatalf("the board changed hands %d times:\n%s", n-1, h.logs.String())
			}
		})
	}
}

func TestClusterBlocks(t *testing.T) {
	t.Parallel()
	now := time.UnixMilli(1_700_000_000_000)
	base := storage.Cluster{ID: "cl-1", Label: []string{"결제", "오류"}, Inquiries: 12, Customers: 9, Status: storage.ClusterOpen}
	claimed := base
	claimed.ClaimedBy, claimed.ClaimedUntil = "slack:UKIM", now.Add(5*time.Minute).UnixMilli()
	expired := claimed
	expired.ClaimedUntil = now.Add(-time.Minute).UnixMilli()
	merged := base
	merged.Status = "merged"
	cases := []struct {
		name        string
		item        boardItem
		final       string
		want        []string
		wantNot     []string
		wantButtons int
	}{
		{"live", boardItem{QueueItem: desk.QueueItem{Cluster: base, Recent: storage.Recent{Last5m: 4, Last15m: 7}}},
			"", []string{"*결제 오류*", "12 inquiries · 9 customers · 4 in 5 min · 7 in 15 min"}, nil, 4},
		{"customers cannot mention the channel", boardItem{QueueItem: desk.QueueItem{Cluster: base, Samples: []storage.Inquiry{{Text: "<!channel> 환불 & 결제"}, {Text: "<!channel> 환불 & 결제"}}}},
			"", []string{"&lt;!channel&gt; 환불 &amp; 결제"}, []string{"<!channel>"}, 4},
		{"claimed", boardItem{QueueItem: desk.QueueItem{Cluster: claimed}}, "", []string{"Claimed by <@UKIM> until <!date^"}, nil, 4},
		{"claim expired", boardItem{QueueItem: desk.QueueItem{Cluster: expired}}, "", nil, []string{"Claimed"}, 4},
		{"linked and replied", boardItem{QueueItem: desk.QueueItem{Cluster: storage.Cluster{ID: "cl-2", Representative: "앱이 안 열려요", IncidentID: "inc-1", Status: storage.ClusterOpen}},
			Incident: "앱 장애", Reply: &storage.Reply{By: "api:lee", Text: "복구되었습니다"}},
			"", []string{"*앱이 안 열려요*", "Incident `inc-1` 앱 장애", "Replied to all by api:lee: 복구되었습니다"}, nil, 4},
		{"resolved", boardItem{QueueItem: desk.QueueItem{Cluster: claimed}}, boardItem{QueueItem: desk.QueueItem{Cluster: storage.Cluster{Status: storage.ClusterClosed}}}.done(false),
			[]string{"~결제 오류~", "Resolved"}, []string{"Claimed", "in 5 min"}, 0},
		{"merged", boardItem{QueueItem: desk.QueueItem{Cluster: merged}}, boardItem{QueueItem: desk.QueueItem{Cluster: merged}}.done(false), []string{"Done (merged)"}, nil, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			blocks, _ := clusterBlocks(tc.item, tc.final, now)
			m := parseMessage(t, slackfake.Call{Method: "render", Form: map[string][]string{"blocks": {mustJSON(t, blocks)}}})
			for _, w := range tc.want {
				if !strings.Contains(m.text, w) {
					t.Errorf("text %q lacks %q", m.text, w)
				}
			}
			for _, w := range tc.wantNot {
				if strings.Contains(m.text, w) {
					t.Errorf("text %q has %q", m.text, w)
				}
			}
			if len(m.buttons) != tc.wantButtons {
				t.Errorf("buttons = %v, want %d", m.buttons, tc.wantButtons)
			}
			if n := strings.Count(m.text, "환불 &amp; 결제"); n > 1 {
				t.Errorf("a repeated sample is shown %d times", n)
			}
		})
	}
}

// postsPerCluster counts the messages in the agents' channel carrying
// each cluster's buttons: every post that took effect, answered or not.
func (h *harness) postsPerCluster() map[string]int {
	out := map[string]int{}
	for _, c := range agentCalls(slackfake.OK(h.fake.Calls("chat.postMessage"))) {
		if id := parseMessage(h.t, c).buttons["claim"]; id != "" {
			out[id]++
		}
	}
	return out
}

func TestBoardSlowAnswersPostEachClusterOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *config.Slack) { c.Timeout = 300 * time.Millisecond })
	// Slack posts at once but answers after the call's timeout: surgedesk
	// never learns the ts from chat.postMessage.
	h.fake.Slow("chat.postMessage", time.Second)
	h.askMany("pay", paymentText, 2)
	h.askMany("login", loginText, 2)
	pay, login := h.clusterOf(paymentText, 2), h.clusterOf(loginText, 2)
	h.waitFor("both messages found in the channel's history", func() bool {
		return h.tsOf(pay.ID) != "" && h.tsOf(login.ID) != ""
	})
	h.fake.Slow("chat.postMessage", 0)
	h.waitTicks(6) // three intervals more: nothing is posted again
	if per := h.postsPerCluster(); per[pay.ID] != 1 || per[login.ID] != 1 || h.fake.Messages(testAgents) != 2 {
		t.Fatalf("messages per cluster = %v, %d in the channel; want one each", per, h.fake.Messages(testAgents))
	}
	if len(slackfake.OK(h.fake.Calls("conversations.history"))) == 0 {
		t.Fatal("the lost posts were not looked up in conversations.history")
	}
	for _, p := range agentCalls(h.fake.Calls("chat.postMessage")) {
		if md := p.Form.Get("metadata"); !strings.Contains(md, `"event_type":"surgedesk_board"`) || !strings.Contains(md, `"subject":"cluster:`) {
			t.Fatalf("post without the board's metadata: %q", md)
		}
	}
	// The adopted messages are kept up to date in place.
	h.askMany("pay-more", paymentText, 2)
	updated := h.waitBoard(pay.ID, "the found message updated", func(m message) bool { return strings.Contains(m.text, "4 inquiries") })
	if updated.ts != h.tsOf(pay.ID) {
		t.Fatalf("update went to %q, want the found message %q", updated.ts, h.tsOf(pay.ID))
	}
}

func TestBoardTwoLeadersPostEachClusterOnce(t *testing.T) {
	t.Parallel()
	// Two instances that both believe they drive the board (a lease that
	// expired under one of them, clocks apart): each cluster is posted by
	// the one that reserved it.
	h := newHarness(t, func(c *config.Slack) { c.AgentsChannel = "" }) // the harness's own board is off
	texts := []string{paymentText, loginText, refundText}
	for i, text := range texts {
		h.askMany(fmt.Sprintf("c%d", i), text, 2)
	}
	var ids []string
	for _, text := range texts {
		ids = append(ids, h.clusterOf(text, 2).ID)
	}
	leaders := make([]*App, 2)
	for i := range leaders {
		o := h.app.Options
		o.Config.AgentsChannel, o.Owner = testAgents, fmt.Sprintf("leader-%d", i)
		leaders[i] = New(o)
	}
	held := func(context.Context) error { return nil }
	for range 3 {
		errs := make(chan error, len(leaders))
		for _, l := range leaders {
			go func() { errs <- l.refreshBoard(h.ctx, held) }()
		}
		for range leaders {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
	}
	per := h.postsPerCluster()
	for _, id := range ids {
		if per[id] != 1 {
			t.Fatalf("messages per cluster = %v, want one each for %v", per, ids)
		}
	}
}

func TestBoardStopsWhenLeaseLost(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *config.Slack) { c.AgentsChannel = "" })
	h.askMany("pay", paymentText, 2)
	h.clusterOf(paymentText, 2)
	o := h.app.Options
	o.Config.AgentsChannel = testAgents
	a := New(o)
	ttl := a.boardLeaseTTL()
	if ok, err := h.db.AcquireLease(h.ctx, boardLease, "a", time.Now(), ttl); err != nil || !ok {
		t.Fatalf("AcquireLease = %v, %v", ok, err)
	}
	hold := a.holdLease("a", ttl)
	// The lease expired under a, and b took it: a posts nothing more.
	if ok, err := h.db.AcquireLease(h.ctx, boardLease, "b", time.Now().Add(2*ttl), ttl); err != nil || !ok {
		t.Fatalf("AcquireLease by b = %v, %v", ok, err)
	}
	if err := a.refreshBoard(h.ctx, hold); !errors.Is(err, errLeaseLost) {
		t.Fatalf("refreshBoard = %v, want errLeaseLost", err)
	}
	if n := len(h.fake.Calls("")); n != 0 {
		t.Fatalf("Slack got %d calls from an instance that lost the lease: %v", n, h.fake.Calls(""))
	}
	if ms, _ := h.db.SlackMessages(h.ctx, nil); len(ms) != 0 {
		t.Fatalf("the lost tick left reservations: %+v", ms)
	}
}

func TestBoardMessageGone(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, error string
	}{
		{"deleted", "message_not_found"},
		{"not updatable", "cant_update_message"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil)
			h.askMany("pay", paymentText, 2)
			c := h.clusterOf(paymentText, 2)
			h.waitBoard(c.ID, "the cluster on the board", func(m message) bool { return true })
			old := h.tsOf(c.ID)
			h.fake.Fail("chat.update", slackfake.Failure{Status: http.StatusOK, Error: tc.error})
			h.askMany("pay-more", paymentText, 2)
			// Posted anew, with what it shows now.
			h.waitFor("the cluster posted anew", func() bool { return h.postsPerCluster()[c.ID] == 2 })
			h.waitFor("the new ts saved", func() bool { return h.tsOf(c.ID) != "" && h.tsOf(c.ID) != old })
			// The refresh that found the message gone may have run before the
			// fourth inquiry was stored, so the new message is judged by what
			// it shows last.
			h.waitBoard(c.ID, "the new message showing 4 inquiries", func(m message) bool {
				return strings.Contains(m.text, "4 inquiries")
			})
			if err := h.db.ResolveCluster(h.ctx, "api:kim", c.ID); err != nil {
				t.Fatal(err)
			}
			h.waitBoard(c.ID, "the new message finalised", func(m message) bool { return len(m.buttons) == 0 })
			for _, u := range agentCalls(h.fake.Calls("chat.update")) {
				if u.Form.Get("ts") == old && u.Status == http.StatusOK {
					t.Fatalf("the gone message was updated: %v", u.Form)
				}
			}
		})
	}
}

func TestBoardFinalUpdateOfGoneMessageMarksItDone(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.askMany("pay", paymentText, 2)
	c := h.clusterOf(paymentText, 2)
	h.waitBoard(c.ID, "the cluster on the board", func(m message) bool { return true })
	// The failure is for the final update alone: a live update still due
	// (throttled for an interval) passes it by.
	final := func(c slackfake.Call) bool { return strings.Contains(c.Form.Get("blocks"), "Resolved") }
	h.fake.Fail("chat.update", slackfake.Failure{Status: http.StatusOK, Error: "message_not_found", Match: final})
	if err := h.db.ResolveCluster(h.ctx, "api:kim", c.ID); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the message marked done", func() bool {
		ms, _ := h.db.SlackMessages(h.ctx, []string{clusterSubject(c.ID)})
		return ms[clusterSubject(c.ID)].Done
	})
	h.waitTicks(6)
	finals := slices.DeleteFunc(agentCalls(h.fake.Calls("chat.update")), func(c slackfake.Call) bool { return !final(c) })
	if n, p := len(finals), h.postsPerCluster()[c.ID]; n != 1 || finals[0].Error != "message_not_found" || p != 1 {
		t.Fatalf("%d final updates and %d posts; want the one failed final update and the first post", n, p)
	}
}

func TestBoardChannelChangedLeavesOldMessages(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *config.Slack) { c.AgentsChannel = "" })
	h.askMany("pay", paymentText, 2)
	c := h.clusterOf(paymentText, 2)
	// A message of a closed cluster left in the channel used before.
	if err := h.db.SaveSlackMessage(h.ctx, storage.SlackMessage{Subject: clusterSubject("gone"), Channel: "COLD", TS: "1.000001"}); err != nil {
		t.Fatal(err)
	}
	o := h.app.Options
	o.Config.AgentsChannel = testAgents
	a := New(o)
	if err := a.refreshBoard(h.ctx, func(context.Context) error { return nil }); err != nil {
		t.Fatal(err)
	}
	for _, call := range h.fake.Calls("") {
		if call.Form.Get("channel") != testAgents {
			t.Fatalf("a call went to %s: %v", call.Form.Get("channel"), call.Form)
		}
	}
	if per := h.postsPerCluster(); per[c.ID] != 1 || len(per) != 1 {
		t.Fatalf("posts = %v, want the open cluster's only", per)
	}
}

func TestBoardFinalisesAlertsOutOfTheLatest(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *config.Slack) { c.AgentsChannel = "" })
	o := h.app.Options
	o.Config.AgentsChannel = testAgents
	a := New(o) // driven by hand, tick by tick: the harness's app runs no board
	held := func(context.Context) error { return nil }
	if _, err := h.db.RaiseAlert(h.ctx, storage.Alert{ClusterID: "old", RaisedAt: time.Now().UnixMilli(), PerMinute: 12,
		Inquiries: 30, Customers: 20, Representative: paymentText}); err != nil {
		t.Fatal(err)
	}
	if err := a.refreshBoard(h.ctx, held); err != nil {
		t.Fatal(err)
	}
	ms, _ := h.db.SlackMessages(h.ctx, []string{alertSubject("old")})
	ts := ms[alertSubject("old")].TS
	if ts == "" {
		t.Fatal("the alert was not posted")
	}
	// Sixty newer alerts, dismissed at once: the old one drops out of the
	// latest fifty the board lists.
	for i := range 60 {
		id := fmt.Sprintf("newer-%d", i)
		if _, err := h.db.RaiseAlert(h.ctx, storage.Alert{ClusterID: id, RaisedAt: time.Now().UnixMilli() + int64(i+1)}); err != nil {
			t.Fatal(err)
		}
		if err := h.db.DecideAlert(h.ctx, "api:kim", id, storage.AlertOpen, storage.AlertDismissed, "", time.Now().UnixMilli()); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.db.DecideAlert(h.ctx, Actor(testAgent), "old", storage.AlertOpen, storage.AlertDismissed, "", time.Now().UnixMilli()); err != nil {
		t.Fatal(err)
	}
	var final []slackfake.Call
	for tick := 0; len(final) == 0 && tick < 200; tick++ { // past the interval's throttle
		if err := a.refreshBoard(h.ctx, held); err != nil {
			t.Fatal(err)
		}
		for _, u := range slackfake.OK(h.fake.Calls("chat.update")) {
			if u.Form.Get("ts") == ts {
				final = append(final, u)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := a.refreshBoard(h.ctx, held); err != nil { // and nothing after it
		t.Fatal(err)
	}
	if n := len(h.boardCallsTS("chat.update", ts)); len(final) != 1 || n != 1 {
		t.Fatalf("the old alert got %d updates, want its final one only", n)
	}
	if m := parseMessage(t, final[0]); len(m.buttons) != 0 || !strings.Contains(m.text, "Dismissed by") {
		t.Fatalf("final alert update = %+v", m)
	}
	if n := len(agentCalls(h.fake.Calls("chat.postMessage"))); n != 1 {
		t.Fatalf("%d posts, want the old alert's only", n)
	}
}

// boardCallsTS keeps the successful calls of method on the message ts.
func (h *harness) boardCallsTS(method, ts string) []slackfake.Call {
	return slices.DeleteFunc(slackfake.OK(h.fake.Calls(method)), func(c slackfake.Call) bool { return c.Form.Get("ts") != ts })
}

func TestBoardFallbackTextEscaped(t *testing.T) {
	t.Parallel()
	const hostile = "<!channel> 환불 <https://evil.example|click> & co"
	_, cluster := clusterBlocks(boardItem{QueueItem: desk.QueueItem{Cluster: storage.Cluster{ID: "c1",
		Representative: hostile, Status: storage.ClusterOpen}}}, "", time.Now())
	_, alert := alertBlocks(storage.Alert{ClusterID: "c1", Representative: hostile, Status: storage.AlertOpen})
	for name, text := range map[string]string{"cluster": cluster, "alert": alert} {
		if strings.ContainsAny(text, "<>") || !strings.Contains(text, "&lt;!channel&gt;") || !strings.Contains(text, "&amp; co") {
			t.Errorf("%s fallback text %q: customers' text not escaped", name, text)
		}
	}
}

// A tick can end early and the next starts from the top, so the order
// must not starve anything: an alert raised while the queue's clusters
// keep changing and Slack answers slowly is still posted.
func TestBoardAlertNotStarvedUnderLoad(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	texts := []string{paymentText, loginText, refundText}
	for i, text := range texts {
		h.askMany(fmt.Sprintf("c%d", i), text, 2)
	}
	for _, text := range texts {
		c := h.clusterOf(text, 2)
		h.waitBoard(c.ID, "posted", func(message) bool { return true })
	}
	h.fake.Slow("chat.update", 700*time.Millisecond) // within a call's budget, so ticks run long
	for i := range 20 {                              // the load starts before the alert
		h.ask(fmt.Sprintf("pre-%d", i), texts[i%3])
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := h.db.RaiseAlert(h.ctx, storage.Alert{ClusterID: "surge", RaisedAt: time.Now().UnixMilli(), PerMinute: 12,
		Inquiries: 30, Customers: 20, Representative: paymentText}); err != nil {
		t.Fatal(err)
	}
	posted := func() bool {
		ms, _ := h.db.SlackMessages(h.ctx, []string{alertSubject("surge")})
		return ms[alertSubject("surge")].TS != ""
	}
	for i := 0; !posted(); i++ {
		if i == 400 { // 20 s of load: only a starved alert waits that long
			t.Fatalf("alert not posted under load; %d updates made meanwhile", len(agentCalls(h.fake.Calls("chat.update"))))
		}
		h.ask(fmt.Sprintf("load-%d", i), texts[i%3])
		time.Sleep(50 * time.Millisecond)
	}
	calls := h.fake.WaitFor(t, "chat.postMessage", 10*time.Second, func(cs []slackfake.Call) bool {
		for _, c := range slackfake.OK(agentCalls(cs)) {
			if strings.Contains(c.Text(), "Possible incident") {
				return true
			}
		}
		return false
	})
	if len(calls) == 0 {
		t.Fatal("Slack received no alert")
	}
}

// A click between a tick's read of the queue and its read of the messages
// must not be saved as shown: the message stays due and the next tick
// shows the claim, whatever the interval.
func TestBoardClickDuringTickShowsAtOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *config.Slack) { c.AgentsChannel = ""; c.BoardInterval = time.Hour })
	h.askMany("pay", paymentText, 2)
	c := h.clusterOf(paymentText, 2)
	o := h.app.Options
	o.Config.AgentsChannel = testAgents
	a := New(o) // driven by hand: the harness's app runs no board
	held := func(context.Context) error { return nil }
	if err := a.refreshBoard(h.ctx, held); err != nil {
		t.Fatal(err)
	}
	a.afterQueueRead = func() {
		a.afterQueueRead = nil
		now := time.Now()
		if err := h.db.ClaimCluster(h.ctx, Actor(testAgent), c.ID, now.UnixMilli(), now.Add(10*time.Minute).UnixMilli()); err != nil {
			t.Error(err)
		}
		a.refresh(h.ctx, clusterSubject(c.ID)) // what the Claim button does
	}
	for range 2 { // the tick with the click in it, then the next
		if err := a.refreshBoard(h.ctx, held); err != nil {
			t.Fatal(err)
		}
	}
	last := h.waitBoard(c.ID, "the claim shown", func(m message) bool { return strings.Contains(m.text, "Claimed by") })
	if !strings.Contains(last.text, "<@"+testAgent+">") {
		t.Fatalf("the board shows %q, want the claim by %s", last.text, testAgent)
	}
}
