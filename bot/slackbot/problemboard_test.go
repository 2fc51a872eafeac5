package slackbot

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/bot/slackbot/slackfake"
	"github.com/surgedesk/surgedesk/config"
	"github.com/surgedesk/surgedesk/kb"
	"github.com/surgedesk/surgedesk/storage"
)

// A second wording of the login outage: its own cluster, one problem with
// loginText's.
const loginText2 = "앱에서 로그인하면 계속 튕겨요 로그인 화면에서 멈춰요"

// repliedThreads waits until n replies with text are posted in the support
// channel and returns the threads they went to, sorted.
func (h *harness) repliedThreads(text string, n int) []string {
	h.t.Helper()
	posted := h.fake.WaitFor(h.t, "chat.postMessage", 10*time.Second, func(cs []slackfake.Call) bool {
		return len(repliesWith(cs, text)) >= n
	})
	return repliesWith(posted, text)
}

// repliesWith lists the threads of the posts of text in the support
// channel, sorted.
func repliesWith(cs []slackfake.Call, text string) []string {
	var threads []string
	for _, c := range slackfake.OK(cs) {
		if c.Form.Get("channel") == testSupport && c.Form.Get("text") == text {
			threads = append(threads, c.Form.Get("thread_ts"))
		}
	}
	slices.Sort(threads)
	return threads
}

// cardCalls returns the posts and updates of subject's board message in
// the agents' channel, oldest first.
func (h *harness) cardCalls(subject string) []slackfake.Call {
	ms, err := h.db.SlackMessages(h.ctx, []string{subject})
	if err != nil {
		h.t.Fatal(err)
	}
	ts := ms[subject].TS
	var out []slackfake.Call
	for _, c := range agentCalls(slackfake.OK(h.fake.Calls("chat.postMessage"))) {
		if strings.Contains(c.Form.Get("metadata"), `"subject":"`+subject+`"`) {
			out = append(out, c)
		}
	}
	for _, c := range agentCalls(slackfake.OK(h.fake.Calls("chat.update"))) {
		if ts != "" && c.Form.Get("ts") == ts {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b slackfake.Call) int { return a.At.Compare(b.At) })
	return out
}

// waitCard waits until the latest post or update of subject's board
// message matches, and returns it.
func (h *harness) waitCard(subject, what string, match func(message) bool) message {
	h.t.Helper()
	var last message
	h.waitFor(what, func() bool {
		calls := h.cardCalls(subject)
		if len(calls) == 0 {
			return false
		}
		last = parseMessage(h.t, calls[len(calls)-1])
		return match(last)
	})
	return last
}

// problemBoard is the board of newProblemHarness showing problems of at
// least 3 inquiries: the second login wording alone (2) is not shown
// before the test puts it in the first's problem.
func problemBoard(c *config.Slack) { c.BoardMinInquiries = 3 }

// loginProblem makes two wordings of the login outage two clusters of one
// problem (moving the second into the first's problem if the engine did
// not group them), and a payment cluster of a problem of its own.
func (h *harness) loginProblem() (problem string, login, login2, pay storage.Cluster, threads []string) {
	h.t.Helper()
	threads = append(h.askMany("login", loginText, 3), h.askMany("login2", loginText2, 2)...)
	h.askMany("pay", paymentText, 3)
	login, login2, pay = h.clusterOf(loginText, 3), h.clusterOf(loginText2, 2), h.clusterOf(paymentText, 3)
	if login.ID == login2.ID || login.ProblemID == "" || pay.ProblemID == "" {
		h.t.Fatalf("clusters %+v %+v %+v: want two clusters, each in a problem", login, login2, pay)
	}
	if pay.ProblemID == login.ProblemID {
		h.t.Fatalf("the payment and login outages share problem %s", pay.ProblemID)
	}
	if login2.ProblemID != login.ProblemID {
		if _, err := h.app.Desk.MoveCluster(h.ctx, "test", login2.ID, login.ProblemID); err != nil {
			h.t.Fatal(err)
		}
	}
	return login.ProblemID, login, login2, pay, threads
}

func TestBoardOneCardPerProblem(t *testing.T) {
	t.Parallel()
	h := newProblemHarness(t, problemBoard)
	problem, login, login2, pay, _ := h.loginProblem()

	card := h.waitCard(problemSubject(problem), "the login problem's card with both clusters", func(m message) bool {
		return strings.Contains(m.text, "2 clusters · 5 inquiries · 5 customers")
	})
	for _, text := range []string{loginText, loginText2} {
		if !strings.Contains(card.text, text) {
			t.Errorf("card %q lacks a sample of each cluster (%q)", card.text, text)
		}
	}
	want := map[string]string{"problem_claim": problem, "problem_reply": problem, "problem_resolve": problem, "problem_link": problem, "problem_name": problem}
	if !maps.Equal(card.buttons, want) {
		t.Errorf("buttons = %v, want %v", card.buttons, want)
	}
	h.waitCard(problemSubject(pay.ProblemID), "the payment problem's card", func(m message) bool {
		return strings.Contains(m.text, "1 cluster · 3 inquiries")
	})

	// One message per problem: none for the clusters themselves.
	h.waitTicks(6)
	posts := agentCalls(slackfake.OK(h.fake.Calls("chat.postMessage")))
	if len(posts) != 2 {
		t.Fatalf("the agents' channel got %d posts, want one per problem (2): %v", len(posts), posts)
	}
	for _, id := range []string{login.ID, login2.ID, pay.ID} {
		if calls := h.cardCalls(clusterSubject(id)); len(calls) != 0 {
			t.Fatalf("cluster %s got a card of its own: %v", id, calls)
		}
	}

	// A new customer of the second wording updates the problem's card in
	// place.
	h.ask("login2-3", loginText2)
	updated := h.waitCard(problemSubject(problem), "the card updated", func(m message) bool {
		return strings.Contains(m.text, "6 inquiries · 6 customers")
	})
	if ms, _ := h.db.SlackMessages(h.ctx, []string{problemSubject(problem)}); updated.ts != ms[problemSubject(problem)].TS {
		t.Fatalf("update went to ts %q, want the card's %q", updated.ts, ms[problemSubject(problem)].TS)
	}

	// An agent merges the payment problem into the login one: its card
	// gets a last update without buttons, and the login card lists three
	// clusters.
	if err := h.app.Desk.MergeProblems(h.ctx, "test", pay.ProblemID, problem); err != nil {
		t.Fatal(err)
	}
	merged := h.waitCard(problemSubject(pay.ProblemID), "the merged problem's last update", func(m message) bool {
		return strings.Contains(m.text, "Merged into another problem")
	})
	if len(merged.buttons) != 0 {
		t.Fatalf("the merged problem's card still has buttons %v", merged.buttons)
	}
	h.waitCard(problemSubject(problem), "the merged-into card", func(m message) bool {
		return strings.Contains(m.text, "3 clusters · 9 inquiries") && strings.Contains(m.text, paymentText)
	})
}

func TestBoardProblemActions(t *testing.T) {
	t.Parallel()
	h := newProblemHarness(t, problemBoard)
	problem, login, login2, _, threads := h.loginProblem()
	h.waitCard(problemSubject(problem), "the login problem's card", func(m message) bool {
		return strings.Contains(m.text, "2 clusters")
	})

	// Claim takes every cluster of the problem, and the card says so.
	h.mustInteract(click(testAgent, actionProblemClaim, problem))
	for _, id := range []string{login.ID, login2.ID} {
		if c, err := h.db.Cluster(h.ctx, id); err != nil || c.ClaimedBy != "slack:"+testAgent {
			t.Fatalf("cluster %s after the problem's claim = %+v, %v", id, c, err)
		}
	}
	h.waitCard(problemSubject(problem), "the claim on the card", func(m message) bool {
		return strings.Contains(m.text, "Claimed by <@"+testAgent+">")
	})
	// Another agent is told who holds it, and cannot resolve it.
	h.mustInteract(click(testOtherCustomer, actionProblemResolve, problem))
	if text := h.ephemeral(testOtherCustomer); !strings.Contains(text, "<@"+testAgent+">") {
		t.Fatalf("ephemeral %q does not name the holder", text)
	}
	if c, _ := h.db.Cluster(h.ctx, login2.ID); c.Status != storage.ClusterOpen {
		t.Fatalf("another agent's resolve closed %+v", c)
	}

	// Reply to all: a modal for the problem, then every member of both
	// clusters gets the reply in their own thread, once.
	h.mustInteract(click(testAgent, actionProblemReply, problem))
	views := h.fake.WaitCalls(t, "views.open", 1, 10*time.Second)
	view, _ := views[0].JSON["view"].(map[string]any)
	if view["callback_id"] != viewProblemReply || view["private_metadata"] != problem {
		t.Fatalf("modal = %v, want the problem's reply", view)
	}
	reply := func(text string) map[string]any {
		return submit(testAgent, viewProblemReply, problem, map[string]map[string]any{"reply": {"text": map[string]any{"type": "plain_text_input", "value": text}}})
	}
	var resp struct {
		Errors map[string]string `json:"errors"`
	}
	if body := h.mustInteract(reply(" ")); json.Unmarshal([]byte(body), &resp) != nil || resp.Errors["reply"] == "" {
		t.Fatalf("an empty reply answered %q, want an error on the modal", body)
	}
	const text = "로그인 장애는 복구되었습니다. 앱을 다시 시작해 주세요."
	if body := h.mustInteract(reply(text)); body != "" {
		t.Fatalf("reply answered %q, want an empty 200", body)
	}
	if got := h.repliedThreads(text, len(threads)); !slices.Equal(got, slices.Sorted(slices.Values(threads))) {
		t.Fatalf("replies went to threads %v, want %v", got, threads)
	}
	h.waitCard(problemSubject(problem), "the reply on the card", func(m message) bool {
		return strings.Contains(m.text, "Replied to all by <@"+testAgent+">")
	})
	if body := h.mustInteract(reply("두 번째")); json.Unmarshal([]byte(body), &resp) != nil || resp.Errors["reply"] == "" {
		t.Fatalf("a second reply answered %q, want an error on the modal", body)
	}

	// Link to incident: a modal of the active incidents, then both clusters
	// are linked and the card says so.
	if _, err := h.db.CreateIncident(h.ctx, "test", kb.Incident{ID: "inc-login", TitleKO: "로그인 장애", Severity: kb.Major}); err != nil {
		t.Fatal(err)
	}
	h.mustInteract(click(testAgent, actionProblemLink, problem))
	views = h.fake.WaitCalls(t, "views.open", 2, 10*time.Second)
	if modal := mustJSON(t, views[1].JSON["view"]); !strings.Contains(modal, `"callback_id":"problem_link"`) || !strings.Contains(modal, `"value":"inc-login"`) {
		t.Fatalf("link modal = %s, want the problem's, offering inc-login", modal)
	}
	h.mustInteract(submit(testAgent, viewProblemLink, problem, map[string]map[string]any{"incident": {"incident": map[string]any{
		"type": "static_select", "selected_option": map[string]any{"value": "inc-login"}}}}))
	for _, id := range []string{login.ID, login2.ID} {
		if c, err := h.db.Cluster(h.ctx, id); err != nil || c.IncidentID != "inc-login" {
			t.Fatalf("cluster %s after the problem's link = %+v, %v", id, c, err)
		}
	}
	h.waitCard(problemSubject(problem), "the incident on the card", func(m message) bool {
		return strings.Contains(m.text, "Incident `inc-login` 로그인 장애")
	})

	// Resolve closes both clusters; the card's last update has no buttons.
	h.mustInteract(click(testAgent, actionProblemResolve, problem))
	for _, id := range []string{login.ID, login2.ID} {
		if c, err := h.db.Cluster(h.ctx, id); err != nil || c.Status != storage.ClusterClosed {
			t.Fatalf("cluster %s after the problem's resolve = %+v, %v", id, c, err)
		}
	}
	final := h.waitCard(problemSubject(problem), "the card's last update", func(m message) bool {
		return strings.Contains(m.text, "no open cluster left")
	})
	if len(final.buttons) != 0 {
		t.Fatalf("the done card still has buttons %v", final.buttons)
	}
	if entries, _ := h.db.AuditEntries(h.ctx, "cluster:"+login2.ID, 10); !slices.ContainsFunc(entries, func(e storage.AuditEntry) bool {
		return e.Action == "cluster.resolve" && e.Actor == "slack:"+testAgent
	}) {
		t.Fatalf("audit of %s = %+v, want its resolve by the agent", login2.ID, entries)
	}
}
