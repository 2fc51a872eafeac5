package slackbot

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/surgedesk/surgedesk/assist"
	"github.com/surgedesk/surgedesk/assist/assisttest"
	"github.com/surgedesk/surgedesk/bot/slackbot/slackfake"
	"github.com/surgedesk/surgedesk/desk"
	"github.com/surgedesk/surgedesk/storage"
)

// draftHarness is newProblemHarness with reply forms drafted by a fake
// chat model.
func draftHarness(t *testing.T) (*harness, *assisttest.Server) {
	t.Helper()
	return draftHarnessOf(t, true)
}

func draftHarnessOf(t *testing.T, problems bool) (*harness, *assisttest.Server) {
	t.Helper()
	fake := assisttest.New()
	t.Cleanup(fake.Close)
	return startHarnessWith(t, problemBoard, problems, fake.Suggester(10*time.Minute)), fake
}

// viewJSON is the modal of a views.open or views.update call, as JSON.
func viewJSON(t *testing.T, c slackfake.Call) string {
	t.Helper()
	view, _ := c.JSON["view"].(map[string]any)
	return mustJSON(t, view)
}

// A reply form opens at once and the chat model's draft appears in it
// when it comes, beneath the box the agent may be typing in; reopened,
// the form has the draft in the box. Nothing is sent on its own.
func TestReplyFormDrafted(t *testing.T) {
	t.Parallel()
	h, model := draftHarness(t)
	problem, login, login2, _, _ := h.loginProblem()
	h.waitCard(problemSubject(problem), "the login problem's card", func(m message) bool { return strings.Contains(m.text, "2 clusters") })

	h.mustInteract(click(testAgent, actionProblemReply, problem))
	opened := h.fake.WaitCalls(t, "views.open", 1, 10*time.Second)[0]
	if v := viewJSON(t, opened); !strings.Contains(v, "Drafting a reply") || strings.Contains(v, "initial_value") {
		t.Fatalf("the form opened with %s; want it empty, saying a draft is coming", v)
	}
	updated := h.fake.WaitCalls(t, "views.update", 1, 10*time.Second)[0]
	// The fake named the opened view "V<n>" with hash "H<n>".
	if id, _ := updated.JSON["view_id"].(string); !strings.HasPrefix(id, "V") || updated.JSON["hash"] != "H"+id[1:] {
		t.Fatalf("views.update names view %v with hash %v; want the opened view's id and hash", updated.JSON["view_id"], updated.JSON["hash"])
	}
	v := viewJSON(t, updated)
	// The login problem is Korean: the Korean reply, in a block beneath
	// the box, which is left as it was (no initial_value).
	if !strings.Contains(v, "불편을 드려 죄송합니다") || strings.Contains(v, "Sorry for the trouble") || strings.Contains(v, "initial_value") ||
		!strings.Contains(v, "fake-chat (로그인 오류 / Login failures)") {
		t.Fatalf("views.update = %s; want the Korean draft beneath an untouched box", v)
	}
	// The model saw members of both clusters of the problem.
	sent := strings.Join(model.Received(), "\n")
	for _, text := range []string{loginText, loginText2} {
		if !strings.Contains(sent, text) {
			t.Errorf("the chat model did not get %q:\n%s", text, sent)
		}
	}
	// A draft is never sent: no cluster has a reply.
	if replies, err := h.db.ClusterReplies(h.ctx, []string{login.ID, login2.ID}); err != nil || len(replies) != 0 {
		t.Fatalf("after a draft: replies %v, %v; want none", replies, err)
	}

	// Reopened: the draft is in the box, and the model is not asked again.
	h.mustInteract(click(testAgent, actionProblemReply, problem))
	again := h.fake.WaitCalls(t, "views.open", 2, 10*time.Second)[1]
	if v := viewJSON(t, again); !strings.Contains(v, `"initial_value":"불편을 드려 죄송합니다`) || strings.Contains(v, "Drafting a reply") {
		t.Fatalf("the form reopened with %s; want the cached draft in the box", v)
	}
	h.waitTicks(2)
	if n, asked := len(h.fake.Calls("views.update")), model.Calls("chat"); n != 1 || asked != 1 {
		t.Fatalf("%d views.update calls and %d chat calls; want the first form's only", n, asked)
	}
}

// With the chat model down the form says so, and the agent writes the
// reply; with the form closed meanwhile, nothing else happens.
func TestReplyFormDraftFails(t *testing.T) {
	t.Parallel()
	h, model := draftHarness(t)
	model.SetMode(assisttest.Down, 0)
	h.askMany("pay", paymentText, 3)
	c := h.clusterOf(paymentText, 3)
	h.waitCard(problemSubject(c.ProblemID), "the payment problem's card", func(m message) bool { return true })

	h.mustInteract(click(testAgent, actionProblemReply, c.ProblemID))
	updated := h.fake.WaitCalls(t, "views.update", 1, 10*time.Second)[0]
	if v := viewJSON(t, updated); !strings.Contains(v, "No draft came") || strings.Contains(v, "Drafting a reply") {
		t.Fatalf("views.update = %s; want the form saying the model did not answer", v)
	}

	model.SetMode(assisttest.Up, 0)
	h.fake.Fail("views.update", slackfake.Failure{Status: 200, Error: "not_found"}) // closed meanwhile
	h.mustInteract(click(testAgent, actionProblemReply, c.ProblemID))
	h.waitFor("the draft for the closed form", func() bool { return len(h.fake.Calls("views.update")) == 2 })
	h.waitFor("the closed form logged", func() bool { return strings.Contains(h.logs.String(), "reply form not updated with its draft") })
	if replies, err := h.db.ClusterReplies(h.ctx, []string{c.ID}); err != nil || len(replies) != 0 {
		t.Fatalf("replies %v, %v; want none", replies, err)
	}
}

// A cluster's reply form (the board without problems) is drafted from
// the cluster's members, in the cluster's language.
func TestClusterReplyFormDrafted(t *testing.T) {
	t.Parallel()
	h, model := draftHarnessOf(t, false)
	const text = "cannot log in to the app since this morning"
	h.askMany("en", text, 3)
	c := h.clusterOf(text, 3)
	h.waitBoard(c.ID, "the cluster on the board", func(m message) bool { return true })

	h.mustInteract(click(testAgent, actionReply, c.ID))
	updated := h.fake.WaitCalls(t, "views.update", 1, 10*time.Second)[0]
	if v := viewJSON(t, updated); !strings.Contains(v, "Sorry for the trouble") || strings.Contains(v, "불편을 드려") || !strings.Contains(v, `"private_metadata":"`+c.ID+`"`) {
		t.Fatalf("views.update = %s; want the English draft in the cluster's form", v)
	}
	if sent := strings.Join(model.Received(), "\n"); !strings.Contains(sent, text) {
		t.Fatalf("the chat model did not get the cluster's members:\n%s", sent)
	}
}

func TestDraftText(t *testing.T) {
	s := assist.Suggestion{ReplyKO: "확인 중입니다.", ReplyEN: "We are looking into it."}
	long := assist.Suggestion{ReplyEN: strings.Repeat("a", maxReplyChars+10)}
	cases := []struct {
		name      string
		ko, en    bool
		s         assist.Suggestion
		want      string
		wantRunes int
	}{
		{"Korean customers", true, false, s, "확인 중입니다.", 0},
		{"English customers", false, true, s, "We are looking into it.", 0},
		{"both", true, true, s, "확인 중입니다.\n\nWe are looking into it.", 0},
		{"language unknown: both", false, false, s, "확인 중입니다.\n\nWe are looking into it.", 0},
		{"no reply in the language", false, true, assist.Suggestion{ReplyKO: "확인 중입니다."}, "", 0},
		{"cut to the box", false, true, long, "", maxReplyChars},
		{"cut to what a reply holds", true, true, assist.Suggestion{ReplyKO: strings.Repeat("가", 1200), ReplyEN: strings.Repeat("a", 1200)}, "", -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := replyForm{korean: tc.ko, english: tc.en}.draftText(tc.s)
			switch {
			case tc.wantRunes < 0:
				if len(got) > maxReply || !strings.HasPrefix(got, strings.Repeat("가", 1200)) {
					t.Errorf("%d bytes, want at most %d, the Korean reply whole", len(got), maxReply)
				}
			case tc.wantRunes > 0:
				if n := len([]rune(got)); n != tc.wantRunes {
					t.Errorf("%d characters, want %d", n, tc.wantRunes)
				}
			case got != tc.want:
				t.Errorf("draftText = %q, want %q", got, tc.want)
			}
		})
	}
}

// Name on a problem's card: a modal with the problem's titles, or with
// the chat model's titles when a draft is cached; the name it submits is
// the card's title from then on, kept as clusters join.
func TestBoardProblemName(t *testing.T) {
	t.Parallel()
	h, _ := draftHarness(t)
	problem, _, _, _, _ := h.loginProblem()
	h.waitCard(problemSubject(problem), "the login problem's card", func(m message) bool { return strings.Contains(m.text, "2 clusters") })

	// No draft yet: the modal holds the titles the problem has.
	h.mustInteract(click(testAgent, actionProblemName, problem))
	opened := viewJSON(t, h.fake.WaitCalls(t, "views.open", 1, 10*time.Second)[0])
	if !strings.Contains(opened, `"callback_id":"problem_name"`) || !strings.Contains(opened, `"initial_value":"`+loginText) || strings.Contains(opened, "drafted") {
		t.Fatalf("name modal = %s; want the problem's title in it", opened)
	}
	// With a draft cached (a reply form was drafted), its titles.
	h.mustInteract(click(testAgent, actionProblemReply, problem))
	h.fake.WaitCalls(t, "views.update", 1, 10*time.Second)
	h.mustInteract(click(testAgent, actionProblemName, problem))
	drafted := viewJSON(t, h.fake.WaitCalls(t, "views.open", 3, 10*time.Second)[2])
	if !strings.Contains(drafted, `"initial_value":"로그인 오류"`) || !strings.Contains(drafted, `"initial_value":"Login failures"`) || !strings.Contains(drafted, "fake-chat drafted") {
		t.Fatalf("name modal after a draft = %s; want the model's titles", drafted)
	}

	name := func(ko, en string) map[string]any {
		return submit(testAgent, viewProblemName, problem, map[string]map[string]any{
			"title_ko": {"title": map[string]any{"type": "plain_text_input", "value": ko}},
			"title_en": {"title": map[string]any{"type": "plain_text_input", "value": en}},
		})
	}
	var resp struct {
		Errors map[string]string `json:"errors"`
	}
	if body := h.mustInteract(name(" ", "")); json.Unmarshal([]byte(body), &resp) != nil || resp.Errors["title_ko"] == "" {
		t.Fatalf("an empty name answered %q, want an error on the modal", body)
	}
	if body := h.mustInteract(name("로그인 장애", "Login outage")); body != "" {
		t.Fatalf("naming answered %q", body)
	}
	if p, err := h.db.Problem(h.ctx, problem); err != nil || p.Title != "로그인 장애" || p.OtherTitle != "Login outage" || p.NamedBy != "slack:"+testAgent {
		t.Fatalf("problem after naming = %+v, %v", p, err)
	}
	h.ask("login-late", loginText) // the engine places it, with a title of its own
	h.waitCard(problemSubject(problem), "the name on the card", func(m message) bool {
		return strings.Contains(m.text, "로그인 장애") && strings.Contains(m.text, "6 inquiries")
	})
	if p, _ := h.db.Problem(h.ctx, problem); p.Title != "로그인 장애" {
		t.Fatalf("a placement retitled the named problem: %+v", p)
	}
	// Named in English too, its members still write Korean: the reply
	// form's draft stays Korean.
	h.mustInteract(click(testAgent, actionProblemReply, problem))
	reply := viewJSON(t, h.fake.WaitCalls(t, "views.open", 4, 10*time.Second)[3])
	if !strings.Contains(reply, `"initial_value":"불편을 드려`) || strings.Contains(reply, "Sorry for the trouble") {
		t.Fatalf("the reply form after naming = %s; want the Korean draft only", reply)
	}
}

func TestNameModalFitsItsBoxes(t *testing.T) {
	long := strings.Repeat("가", desk.MaxTitle) + "…" // an engine title cut without a space near the end
	for _, tc := range []struct {
		name  string
		p     storage.Problem
		s     assist.Suggestion
		model string
	}{
		{"the problem's titles", storage.Problem{ID: "p", Title: long, TitleLang: "ko", OtherTitle: "login", OtherLang: "en"}, assist.Suggestion{}, ""},
		{"a draft's titles", storage.Problem{ID: "p"}, assist.Suggestion{TitleKO: long, TitleEN: "x"}, "m"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, b := range nameModal(tc.p, tc.s, tc.model).Blocks.BlockSet {
				in, ok := b.(*slack.InputBlock)
				if !ok {
					continue
				}
				e := in.Element.(*slack.PlainTextInputBlockElement)
				if n := len([]rune(e.InitialValue)); n > e.MaxLength || n == 0 {
					t.Errorf("%s: initial value of %d characters in a box of %d", in.BlockID, n, e.MaxLength)
				}
			}
		})
	}
}
