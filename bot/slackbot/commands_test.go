package slackbot

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/bot/slackbot/slackfake"
	"github.com/surgedesk/surgedesk/config"
	"github.com/surgedesk/surgedesk/kb"
	"github.com/surgedesk/surgedesk/storage"
)

// testWarRoom is a channel that is neither a support nor the agents'
// channel: where managers run commands.
const testWarRoom = "CWARROOM"

// commandReply is the JSON Slack gets back from /slack/commands.
type commandReply struct {
	Status       int
	Raw          string
	ResponseType string `json:"response_type"`
	Text         string `json:"text"`
}

// commandForm is the form Slack posts for `/surge <text>`.
func commandForm(command, user, channel, text string) url.Values {
	return url.Values{"token": {"deprecated"}, "team_id": {"T1"}, "team_domain": {"bank"}, "channel_id": {channel},
		"channel_name": {"war-room"}, "user_id": {user}, "user_name": {strings.ToLower(user)}, "command": {command},
		"text": {text}, "api_app_id": {"A1"}, "response_url": {"https://hooks.slack.com/commands/T1/1/x"},
		"trigger_id": {fmt.Sprintf("1.2.%d", triggers.Add(1))}}
}

// triggers numbers the test commands: Slack gives each its own trigger_id.
var triggers atomic.Int64

// command runs `/surge text` signed, as user in channel.
func (h *harness) command(user, channel, text string) commandReply {
	h.t.Helper()
	status, raw := h.postForm("/slack/commands", commandForm("/surge", user, channel, text), time.Now())
	r := commandReply{Status: status, Raw: raw}
	if status == http.StatusOK {
		if err := json.Unmarshal([]byte(raw), &r); err != nil {
			h.t.Fatalf("reply %q: %v", raw, err)
		}
	}
	return r
}

// mustCommand is command for a reply that must be a 200 of responseType.
func (h *harness) mustCommand(user, channel, text, responseType string) string {
	h.t.Helper()
	r := h.command(user, channel, text)
	if r.Status != http.StatusOK || r.ResponseType != responseType {
		h.t.Fatalf("/surge %s by %s = %d %s; want 200 %s", text, user, r.Status, r.Raw, responseType)
	}
	return r.Text
}

func (h *harness) incidents() []kb.Incident {
	h.t.Helper()
	incs, err := h.db.Incidents(h.ctx, false)
	if err != nil {
		h.t.Fatal(err)
	}
	return incs
}

// noSlackCallsIn checks that the fake Slack received nothing for channel:
// a command's reply goes back in the HTTP response only.
func (h *harness) noSlackCallsIn(channel string) {
	h.t.Helper()
	for _, c := range h.fake.Calls("") {
		if c.Form.Get("channel") == channel || c.JSON["channel"] == channel {
			h.t.Errorf("Slack received %s in %s: %v %v", c.Method, channel, c.Form, c.JSON)
		}
	}
}

func TestCommandVerification(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	body := []byte(commandForm("/surge", testManager, testWarRoom, "declare major 결제 장애").Encode())
	now := time.Now()
	sign := func(secret string, at time.Time) http.Header { return slackfake.Sign(secret, at, body) }
	cases := []struct {
		name    string
		body    []byte
		headers http.Header
	}{
		{"unsigned", body, nil},
		{"forged", body, sign("not-the-secret", now)},
		{"stale, six minutes past", body, sign(testSecret, now.Add(-6*time.Minute))},
		{"six minutes in the future", body, sign(testSecret, now.Add(6*time.Minute))},
		{"body changed after signing", []byte(strings.Replace(string(body), "major", "critical", 1)), sign(testSecret, now)},
		{"signature without timestamp", body, http.Header{"X-Slack-Signature": sign(testSecret, now)["X-Slack-Signature"]}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, raw := h.post("/slack/commands", "application/x-www-form-urlencoded", c.body, time.Time{}, c.headers)
			if status != http.StatusUnauthorized || !strings.Contains(raw, `"unverified"`) {
				t.Fatalf("= %d %s; want 401 unverified", status, raw)
			}
		})
	}
	if incs := h.incidents(); len(incs) != 0 {
		t.Fatalf("incidents after refused requests = %+v", incs)
	}
	// The same body, signed now, is accepted: the refusals were the
	// signatures'.
	status, raw := h.post("/slack/commands", "application/x-www-form-urlencoded", body, now, nil)
	if status != http.StatusOK || len(h.incidents()) != 1 {
		t.Fatalf("signed = %d %s, incidents %d; want 200 and one incident", status, raw, len(h.incidents()))
	}
	h.noSlackCallsIn(testWarRoom)
}

func TestCommandWrongName(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	status, raw := h.postForm("/slack/commands", commandForm("/other", testManager, testWarRoom, "declare major 결제 장애"), time.Now())
	if status != http.StatusBadRequest || !strings.Contains(raw, `"invalid_payload"`) {
		t.Fatalf("= %d %s; want 400 invalid_payload", status, raw)
	}
	if incs := h.incidents(); len(incs) != 0 {
		t.Fatalf("incidents = %+v; want none", incs)
	}
	// A custom name is honoured.
	h = newHarness(t, func(c *config.Slack) { c.Command = "/장애" })
	status, raw = h.postForm("/slack/commands", commandForm("/장애", testManager, testWarRoom, "help"), time.Now())
	if status != http.StatusOK || !strings.Contains(raw, "/장애 declare") {
		t.Fatalf("custom command = %d %s; want 200 with its usage", status, raw)
	}
	h.noSlackCallsIn(testWarRoom)
}

func TestCommandDeclare(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	cases := []struct {
		name, text     string
		severity       kb.Severity
		titleKO, title string
	}{
		{"Korean title", "declare major 모바일 상품권 결제 장애", kb.Major, "모바일 상품권 결제 장애", ""},
		{"quoted, Korean severity", `선언 심각 "인터넷뱅킹 로그인 불가"`, kb.Critical, "인터넷뱅킹 로그인 불가", ""},
		{"English title", "declare minor Card refunds delayed", kb.Minor, "", "Card refunds delayed"},
		{"both locales", "declare CRITICAL ko: 이체 지연 | en: Transfers delayed", kb.Critical, "이체 지연", "Transfers delayed"},
		{"Slack's escapes undone", "declare major 결제 &amp; 환불 &lt;지연&gt;", kb.Major, "결제 & 환불 <지연>", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// The new incident is the one that was not there before: declares
			// within one millisecond share a timestamp, so order says nothing.
			known := map[string]bool{}
			for _, inc := range h.incidents() {
				known[inc.ID] = true
			}
			text := h.mustCommand(testManager, testWarRoom, c.text, "in_channel")
			var added []kb.Incident
			for _, inc := range h.incidents() {
				if !known[inc.ID] {
					added = append(added, inc)
				}
			}
			if len(added) != 1 {
				t.Fatalf("new incidents = %+v, want exactly one", added)
			}
			inc := added[0]
			if inc.TitleKO != c.titleKO || inc.TitleEN != c.title || inc.Severity != c.severity || inc.Status != kb.Investigating {
				t.Fatalf("incident = %+v; want ko %q en %q %s investigating", inc, c.titleKO, c.title, c.severity)
			}
			if !strings.Contains(text, "`"+inc.ID+"`") || !strings.Contains(text, "<@"+testManager+">") {
				t.Fatalf("reply %q does not name the incident %s and its declarer", text, inc.ID)
			}
			audit, err := h.db.AuditEntries(h.ctx, "incident:"+inc.ID, 10)
			if err != nil || len(audit) != 1 || audit[0].Actor != "slack:"+testManager || audit[0].Action != "incident.create" {
				t.Fatalf("audit = %+v, %v; want incident.create by slack:%s", audit, err, testManager)
			}
		})
	}
	// In a support channel, where customers read along, the announcement
	// is for the manager only.
	h.mustCommand(testManager, testSupport, "declare minor 알림톡 지연", "ephemeral")
	if n := len(h.incidents()); n != len(cases)+1 {
		t.Fatalf("incidents = %d, want %d", n, len(cases)+1)
	}
	h.noSlackCallsIn(testWarRoom)
}

func TestCommandDeclareRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	cases := []struct {
		name, user, channel, text, want string
	}{
		{"agent", testAgent, testWarRoom, "declare major 결제 장애", "slack.manager_users"},
		{"anyone in the agents' channel", testOtherCustomer, testAgents, "declare major 결제 장애", "slack.manager_users"},
		{"customer", testCustomer, testSupport, "declare major 결제 장애", "slack.manager_users"},
		{"customer resolving", testCustomer, testSupport, "resolve inc-1", "slack.manager_users"},
		{"no severity", testManager, testWarRoom, "declare", "Usage: `/surge declare"},
		{"unknown severity", testManager, testWarRoom, "declare 긴급 결제 장애", "Unknown severity `긴급`"},
		{"no title", testManager, testWarRoom, "declare major  \"\" ", "needs a title"},
		{"title too long", testManager, testWarRoom, "declare major " + strings.Repeat("장애", 101), "title_ko"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if text := h.mustCommand(c.user, c.channel, c.text, "ephemeral"); !strings.Contains(text, c.want) {
				t.Fatalf("reply %q; want it to say %q", text, c.want)
			}
		})
	}
	if incs := h.incidents(); len(incs) != 0 {
		t.Fatalf("incidents = %+v; want none", incs)
	}
	h.noSlackCallsIn(testWarRoom)
}

// voucherKB is an incident under way with an answer customers get about it.
func voucherKB() kb.Document {
	started := time.Now().Add(-10 * time.Minute).UTC().Truncate(time.Second)
	return kb.Document{
		Incidents: []kb.Incident{{ID: "inc-voucher", TitleKO: "모바일 상품권 결제 장애", TitleEN: "Mobile voucher payments failing",
			Status: kb.Investigating, Severity: kb.Major, StartedAt: started,
			Updates: []kb.Update{{Version: 1, Status: kb.Investigating, TextKO: "원인을 확인하고 있습니다.",
				TextEN: "We are investigating.", CreatedAt: started, Author: "ops-kim"}}}},
		Answers: []kb.Answer{{ID: "ans-voucher", IncidentID: "inc-voucher",
			Examples:   kb.Examples{KO: []string{"모바일 상품권 결제가 안 돼요", "상품권 결제 오류"}},
			TemplateKO: "[{{.Incident.Title}}] {{.Status}}: {{.Text}}"}},
	}
}

// posted waits for the fake Slack to receive a message in channel's
// thread ts containing want.
func (h *harness) posted(channel, ts, want string) slackfake.Call {
	h.t.Helper()
	var found slackfake.Call
	h.fake.WaitFor(h.t, "chat.postMessage", 20*time.Second, func(cs []slackfake.Call) bool {
		for _, c := range slackfake.OK(cs) {
			if c.Form.Get("channel") == channel && c.Form.Get("thread_ts") == ts && strings.Contains(c.Text(), want) {
				found = c
				return true
			}
		}
		return false
	})
	return found
}

// clusterOfInquiry waits until inquiry id is stored in a cluster, and
// returns it.
func (h *harness) clusterOfInquiry(id string) storage.Cluster {
	h.t.Helper()
	var c storage.Cluster
	h.waitFor("inquiry "+id+" to be clustered", func() bool {
		in, err := h.db.Inquiry(h.ctx, id)
		if err != nil || in.ClusterID == "" {
			return false
		}
		c, err = h.db.Cluster(h.ctx, in.ClusterID)
		return err == nil
	})
	return c
}

func TestCommandUpdateFollowsUpInThreadsAndResolveClosesClusters(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.importKB(voucherKB())
	// One customer answered about the incident, one whose question is in a
	// cluster an agent linked to it.
	r := h.askAt(testCustomer, "모바일 상품권 결제가 안 돼요ㅠㅠ", "1700000000.000100")
	if r.Answer == nil {
		t.Fatal("no instant answer; the test needs the customer answered about the incident")
	}
	h.posted(testSupport, "1700000000.000100", "원인을 확인하고 있습니다")
	other := h.askAt(testOtherCustomer, "편의점에서 바코드 인식이 계속 실패합니다", "1700000000.000200")
	if other.Answer != nil {
		t.Fatalf("the second inquiry was answered (%+v); the test needs it unanswered", other.Answer)
	}
	answered, linked := h.clusterOfInquiry(r.ID), h.clusterOfInquiry(other.ID)
	if answered.ID == linked.ID {
		t.Fatal("both inquiries in one cluster; the test needs two")
	}
	if err := h.db.LinkCluster(h.ctx, "slack:"+testAgent, linked.ID, "inc-voucher"); err != nil {
		t.Fatal(err)
	}

	text := h.mustCommand(testManager, testWarRoom, "update inc-voucher identified eta=2030-01-02T15:30:00+09:00 결제 서버 장애를 확인하고 복구 중입니다", "in_channel")
	for _, want := range []string{"`inc-voucher`", "update 2", "identified (원인 확인)", "결제 서버 장애를 확인하고 복구 중입니다", "1월 2일 15:30"} {
		if !strings.Contains(text, want) {
			t.Errorf("update reply %q; want %q in it", text, want)
		}
	}
	inc, err := h.db.Incident(h.ctx, "inc-voucher")
	if err != nil {
		t.Fatal(err)
	}
	if latest := inc.Latest(); inc.Status != kb.Identified || latest.Version != 2 || latest.Author != "slack:"+testManager ||
		latest.TextKO != "결제 서버 장애를 확인하고 복구 중입니다" || !latest.ETA.Equal(time.Date(2030, 1, 2, 6, 30, 0, 0, time.UTC)) {
		t.Fatalf("incident = %s, latest %+v", inc.Status, latest)
	}
	for _, ts := range []string{"1700000000.000100", "1700000000.000200"} {
		c := h.posted(testSupport, ts, "결제 서버 장애를 확인하고 복구 중입니다")
		if !strings.Contains(c.Text(), "원인 확인") {
			t.Errorf("follow-up in %s = %q; want the status in Korean", ts, c.Text())
		}
	}

	text = h.mustCommand(testManager, testWarRoom, "resolve inc-voucher 결제가 정상화되었습니다", "in_channel")
	if !strings.Contains(text, "resolved (해결됨)") || !strings.Contains(text, "2 clusters closed") {
		t.Errorf("resolve reply %q; want resolved and two clusters closed", text)
	}
	for _, c := range []storage.Cluster{answered, linked} {
		got, err := h.db.Cluster(h.ctx, c.ID)
		if err != nil || got.Status != storage.ClusterClosed {
			t.Errorf("cluster %s = %s, %v; want closed", c.ID, got.Status, err)
		}
		if _, open := h.clusters.Cluster(c.ID); open {
			t.Errorf("cluster %s still open in memory", c.ID)
		}
	}
	for _, ts := range []string{"1700000000.000100", "1700000000.000200"} {
		h.posted(testSupport, ts, "결제가 정상화되었습니다")
	}
	audit, err := h.db.AuditEntries(h.ctx, "incident:inc-voucher", 10)
	if err != nil || len(audit) < 2 || audit[0].Actor != "slack:"+testManager || audit[0].Action != "incident.resolve" {
		t.Fatalf("audit = %+v, %v; want incident.resolve by slack:%s last", audit, err, testManager)
	}
	h.noSlackCallsIn(testWarRoom)
}

func TestCommandUpdateRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.importKB(voucherKB())
	cases := []struct {
		name, user, text, want string
	}{
		{"agent", testAgent, "update inc-voucher identified 복구 중", "slack.manager_users"},
		{"unknown status", testManager, "update inc-voucher fixed 복구 중", "Unknown status `fixed`"},
		{"no text", testManager, "update inc-voucher identified", "needs a text"},
		{"no status", testManager, "update inc-voucher", "Usage: `/surge update"},
		{"unknown incident", testManager, "update inc-nope identified 복구 중", "no incident `inc-nope`"},
		{"bad eta", testManager, "update inc-voucher identified eta=곧 복구 중", "eta=곧"},
		{"resolve without id", testManager, "resolve", "Usage: `/surge resolve"},
		{"resolve unknown incident", testManager, "resolve inc-nope", "no incident `inc-nope`"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if text := h.mustCommand(c.user, testWarRoom, c.text, "ephemeral"); !strings.Contains(text, c.want) {
				t.Fatalf("reply %q; want it to say %q", text, c.want)
			}
		})
	}
	// Moving back is refused, and so is anything after resolved.
	h.mustCommand(testManager, testWarRoom, "update inc-voucher monitoring 모니터링 중입니다", "in_channel")
	if text := h.mustCommand(testManager, testWarRoom, "update inc-voucher identified 다시 확인 중", "ephemeral"); !strings.Contains(text, "cannot move back") {
		t.Fatalf("moving back: reply %q", text)
	}
	h.mustCommand(testManager, testWarRoom, "resolve inc-voucher", "in_channel")
	if text := h.mustCommand(testManager, testWarRoom, "update inc-voucher monitoring 재발", "ephemeral"); !strings.Contains(text, "declare a new incident") {
		t.Fatalf("after resolved: reply %q", text)
	}
	inc, err := h.db.Incident(h.ctx, "inc-voucher")
	if err != nil {
		t.Fatal(err)
	}
	if len(inc.Updates) != 3 || inc.Status != kb.Resolved || inc.Latest().TextEN == "" || inc.Latest().TextKO == "" {
		t.Fatalf("incident = %s with %+v; want only the monitoring and resolved updates added, the default resolve text in both locales", inc.Status, inc.Updates)
	}
	h.noSlackCallsIn(testWarRoom)
}

func TestCommandStatusAndQueue(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.importKB(voucherKB())
	answered := h.askAt(testCustomer, "모바일 상품권 결제가 안 돼요", "1700000000.000100")
	h.askAt(testOtherCustomer, "모바일 상품권 결제가 안 돼요ㅠㅠ", "1700000000.000200")
	urgent := h.askAt("UTHIRD", "통장에서 돈이 두 번 빠져나갔어요 환불해 주세요", "1700000000.000300")
	voucher, money := h.clusterOfInquiry(answered.ID), h.clusterOfInquiry(urgent.ID)
	h.waitFor("both voucher inquiries in their cluster", func() bool {
		c, err := h.db.Cluster(h.ctx, voucher.ID)
		voucher = c
		return err == nil && c.Inquiries == 2
	})
	now := time.Now()
	if err := h.db.ClaimCluster(h.ctx, "slack:"+testAgent, money.ID, now.UnixMilli(), now.Add(10*time.Minute).UnixMilli()); err != nil {
		t.Fatal(err)
	}
	money, _ = h.db.Cluster(h.ctx, money.ID)

	t.Run("status", func(t *testing.T) {
		text := h.mustCommand(testAgent, testWarRoom, "status", "ephemeral")
		for _, want := range []string{"`inc-voucher`", "모바일 상품권 결제 장애 / Mobile voucher payments failing", "investigating (조사 중)",
			"원인을 확인하고 있습니다.", "Inquiries: 2 from 2 customers, 2 answered automatically"} {
			if !strings.Contains(text, want) {
				t.Errorf("status %q; want %q in it", text, want)
			}
		}
	})
	t.Run("status of one incident, in Korean, from the agents' channel", func(t *testing.T) {
		text := h.mustCommand(testOtherCustomer, testAgents, "현황 inc-voucher", "ephemeral")
		for _, want := range []string{"*Update 1*", "ops-kim", "Severity major", "원인을 확인하고 있습니다."} {
			if !strings.Contains(text, want) {
				t.Errorf("status %q; want %q in it", text, want)
			}
		}
	})
	t.Run("queue", func(t *testing.T) {
		text := h.mustCommand(testAgent, testAgents, "queue", "ephemeral")
		// Both mention money (urgent); the one answered automatically about
		// a declared incident counts half, and ranks below though larger.
		first, second := strings.Index(text, "`"+money.ID+"`"), strings.Index(text, "`"+voucher.ID+"`")
		if first < 0 || second < 0 || first > second {
			t.Fatalf("queue %q; want %s then %s", text, money.ID, voucher.ID)
		}
		for _, want := range []string{"통장에서 돈이 두 번 빠져나갔어요", voucher.Representative,
			"urgent", "claimed by <@" + testAgent + ">", "2 inquiries from 2 customers in 1 cluster", "1 inquiry from 1 customer", "incident `inc-voucher`"} {
			if !strings.Contains(text, want) {
				t.Errorf("queue %q; want %q in it", text, want)
			}
		}
	})
	t.Run("refused to customers", func(t *testing.T) {
		for _, sub := range []string{"status", "queue", "대기열", "status inc-voucher"} {
			text := h.mustCommand(testCustomer, testSupport, sub, "ephemeral")
			if !strings.Contains(text, "slack.agent_users") || strings.Contains(text, "inc-voucher") || strings.Contains(text, "통장") {
				t.Errorf("%s by a customer = %q; want a refusal that shows nothing", sub, text)
			}
		}
	})
	h.noSlackCallsIn(testWarRoom)
}

func TestCommandEmptyQueueAndNoIncident(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	if text := h.mustCommand(testAgent, testWarRoom, "queue", "ephemeral"); text != "The queue is empty." {
		t.Errorf("queue = %q", text)
	}
	if text := h.mustCommand(testAgent, testWarRoom, "status", "ephemeral"); text != "No active incident." {
		t.Errorf("status = %q", text)
	}
	if text := h.mustCommand(testAgent, testWarRoom, "status inc-nope", "ephemeral"); !strings.Contains(text, "no incident `inc-nope`") {
		t.Errorf("status inc-nope = %q", text)
	}
	h.noSlackCallsIn(testWarRoom)
}

func TestCommandHelp(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	cases := []struct {
		name, user, text, want string
	}{
		{"empty", testAgent, "", "/surge declare <minor|major|critical> <title>"},
		{"blank", testCustomer, "   ", "/surge queue"},
		{"help", testManager, "HELP", "/surge resolve <incident-id> [text]"},
		{"unknown", testAgent, "deploy 결제", "Unknown subcommand `deploy`"},
		{"unknown, escaped", testAgent, "<@U1>", "Unknown subcommand `&lt;@U1&gt;`"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			text := h.mustCommand(c.user, testWarRoom, c.text, "ephemeral")
			if !strings.Contains(text, c.want) || !strings.Contains(text, "/surge status [incident-id]") {
				t.Fatalf("reply %q; want usage and %q", text, c.want)
			}
		})
	}
	h.noSlackCallsIn(testWarRoom)
}

func TestCommandParsing(t *testing.T) {
	t.Parallel()
	words := []struct{ in, word, rest string }{
		{"  declare   major  결제 장애 ", "declare", "major  결제 장애"},
		{"현황\u3000inc-1", "현황", "inc-1"},
		{"queue", "queue", ""},
		{"", "", ""},
	}
	for _, c := range words {
		if w, r := cmdWord(c.in); w != c.word || r != c.rest {
			t.Errorf("cmdWord(%q) = %q, %q; want %q, %q", c.in, w, r, c.word, c.rest)
		}
	}
	texts := []struct{ in, ko, en string }{
		{"결제 장애", "결제 장애", ""},
		{"Payments down", "", "Payments down"},
		{`"결제 장애"`, "결제 장애", ""},
		{"“결제 장애”", "결제 장애", ""},
		{"ko: 결제 장애 | en: Payments down", "결제 장애", "Payments down"},
		{"EN: Payments down|KO:결제 장애", "결제 장애", "Payments down"},
		{`ko: "결제 장애"`, "결제 장애", ""},
		{"A | B 장애", "A | B 장애", ""},
		{"ko: 하나 | ko: 둘", "ko: 하나 | ko: 둘", ""},
		{"note: Payments down", "", "note: Payments down"},
	}
	for _, c := range texts {
		if ko, en := cmdBilingual(c.in); ko != c.ko || en != c.en {
			t.Errorf("cmdBilingual(%q) = %q, %q; want %q, %q", c.in, ko, en, c.ko, c.en)
		}
	}
	now := time.Date(2026, 11, 22, 14, 0, 0, 0, cmdZone) // 14:00 KST
	etas := []struct {
		in   string
		want time.Time
	}{
		{"15:30", time.Date(2026, 11, 22, 15, 30, 0, 0, cmdZone)},
		{"09:00", time.Date(2026, 11, 23, 9, 0, 0, 0, cmdZone)}, // already past today
		{"2026-11-22T06:00:00Z", time.Date(2026, 11, 22, 6, 0, 0, 0, time.UTC)},
	}
	for _, c := range etas {
		if got, err := cmdParseETA(c.in, now); err != nil || !got.Equal(c.want) {
			t.Errorf("cmdParseETA(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"곧", "25:00", ""} {
		if _, err := cmdParseETA(bad, now); err == nil {
			t.Errorf("cmdParseETA(%q) succeeded", bad)
		}
	}
	for _, c := range []struct{ got, want string }{
		{cmdCount(1, "inquiry"), "1 inquiry"}, {cmdCount(3, "inquiry"), "3 inquiries"},
		{cmdCount(0, "customer"), "0 customers"}, {cmdWaiting(30 * time.Second), "under a minute"},
		{cmdWaiting(5*time.Minute + 20*time.Second), "5m"}, {cmdWaiting(2*time.Hour + 10*time.Minute), "2h10m"},
		{escape("<@U1> & co"), "&lt;@U1&gt; &amp; co"}, {truncate("모바일 상품권", 4), "모바일…"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// A signed /surge declare replayed within its five minutes declares once:
// commands are deduplicated by their request identity (trigger_id).
func TestReplayedCommandActsOnce(t *testing.T) {
	h := newHarness(t, nil)
	body := []byte(commandForm("/surge", testManager, testWarRoom, "declare major 결제 장애").Encode())
	at := time.Now()
	for i := range 3 {
		status, raw := h.post("/slack/commands", "application/x-www-form-urlencoded", body, at, nil)
		if status != http.StatusOK {
			t.Fatalf("post %d = %d %s", i, status, raw)
		}
		if i > 0 && !strings.Contains(raw, "already handled") {
			t.Errorf("replay %d answered %s", i, raw)
		}
	}
	if incs := h.incidents(); len(incs) != 1 {
		t.Fatalf("incidents after a replayed declare = %d, want 1", len(incs))
	}
	// Another invocation of the same command is a new request.
	if r := h.command(testManager, testWarRoom, "declare major 결제 장애"); r.Status != http.StatusOK || len(h.incidents()) != 2 {
		t.Fatalf("a second invocation = %d %s, incidents %d; want 2", r.Status, r.Raw, len(h.incidents()))
	}
}
