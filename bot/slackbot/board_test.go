package slackbot

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/bot/slackbot/slackfake"
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
	}{{payMsg, pay, strings.Join(pay.Label, " ")}, {loginMsg, login, strings.Join(login.Label, " ")}} {
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
	time.Sleep(3 * h.cfg.BoardInterval) // a few ticks more: nothing new appears
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

func TestBoardRetriesAndHonoursRateLimits(t *testing.T) {
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
	time.Sleep(3 * h.cfg.BoardInterval)
	if n := len(slackfake.OK(agentCalls(h.fake.Calls("chat.postMessage")))); n != 1 {
		t.Fatalf("%d messages posted for one cluster", n)
	}
}

func TestBoardFinalUpdateWhenResolvedElsewhere(t *testing.T) {
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
	time.Sleep(3 * h.cfg.BoardInterval)
	if m := len(h.boardCalls("chat.update", c.ID)); m != n {
		t.Fatalf("a done message was updated again: %d updates, then %d", n, m)
	}
}

func TestBoardOneLeader(t *testing.T) {
	h := newHarness(t, nil)
	// A second instance on the same database and Slack: it must neither
	// post nor update while the first holds the board.
	other := New(h.app.Options)
	other.Owner = "other"
	ctx, cancel := context.WithCancel(h.ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = other.runBoard(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	h.askMany("pay", paymentText, 2)
	c := h.clusterOf(paymentText, 2)
	h.waitBoard(c.ID, "the cluster on the board", func(m message) bool { return true })
	h.askMany("pay-more", paymentText, 2)
	h.waitBoard(c.ID, "the update", func(m message) bool { return strings.Contains(m.text, "4 inquiries") })
	time.Sleep(3 * h.cfg.BoardInterval)
	if n := len(agentCalls(h.fake.Calls("chat.postMessage"))); n != 1 {
		t.Fatalf("two instances posted %d messages for one cluster", n)
	}
}

func TestClusterBlocks(t *testing.T) {
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
		{"live", boardItem{QueueItem: storage.QueueItem{Cluster: base, Recent: storage.Recent{Last5m: 4, Last15m: 7}}},
			"", []string{"*결제 오류*", "12 inquiries · 9 customers · 4 in 5 min · 7 in 15 min"}, nil, 4},
		{"customers cannot mention the channel", boardItem{QueueItem: storage.QueueItem{Cluster: base, Samples: []storage.Inquiry{{Text: "<!channel> 환불 & 결제"}, {Text: "<!channel> 환불 & 결제"}}}},
			"", []string{"&lt;!channel&gt; 환불 &amp; 결제"}, []string{"<!channel>"}, 4},
		{"claimed", boardItem{QueueItem: storage.QueueItem{Cluster: claimed}}, "", []string{"Claimed by <@UKIM> until <!date^"}, nil, 4},
		{"claim expired", boardItem{QueueItem: storage.QueueItem{Cluster: expired}}, "", nil, []string{"Claimed"}, 4},
		{"linked and replied", boardItem{QueueItem: storage.QueueItem{Cluster: storage.Cluster{ID: "cl-2", Representative: "앱이 안 열려요", IncidentID: "inc-1", Status: storage.ClusterOpen}},
			Incident: "앱 장애", Reply: &storage.Reply{By: "api:lee", Text: "복구되었습니다"}},
			"", []string{"*앱이 안 열려요*", "Incident `inc-1` 앱 장애", "Replied to all by api:lee: 복구되었습니다"}, nil, 4},
		{"resolved", boardItem{QueueItem: storage.QueueItem{Cluster: claimed}}, boardItem{QueueItem: storage.QueueItem{Cluster: storage.Cluster{Status: storage.ClusterClosed}}}.done(false),
			[]string{"~결제 오류~", "Resolved"}, []string{"Claimed", "in 5 min"}, 0},
		{"merged", boardItem{QueueItem: storage.QueueItem{Cluster: merged}}, boardItem{QueueItem: storage.QueueItem{Cluster: merged}}.done(false), []string{"Done (merged)"}, nil, 0},
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
