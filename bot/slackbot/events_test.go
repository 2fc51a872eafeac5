package slackbot

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/surgedesk/surgedesk/bot"
	"github.com/surgedesk/surgedesk/bot/slackbot/slackfake"
	"github.com/surgedesk/surgedesk/kb"
	"github.com/surgedesk/surgedesk/storage"
)

// A direct-message channel of testCustomer's and one of testOtherCustomer's.
const (
	evDM      = "DCUSTOMER"
	evOtherDM = "DOTHER"
)

// evMessage is an Events API message event as Slack sends it; extra sets
// or (with a nil value) removes fields of the inner event.
func evMessage(eventID, channel, channelType, user, ts, text string, extra map[string]any) []byte {
	inner := map[string]any{"type": "message", "channel": channel, "channel_type": channelType, "user": user,
		"text": text, "ts": ts, "event_ts": ts, "team": "TTEST", "client_msg_id": "c-" + eventID}
	for k, v := range extra {
		if v == nil {
			delete(inner, k)
		} else {
			inner[k] = v
		}
	}
	b, err := json.Marshal(map[string]any{"token": "legacy", "team_id": "TTEST", "api_app_id": "AAPP",
		"type": "event_callback", "event_id": eventID, "event_time": 1763790000, "event": inner,
		"authorizations": []map[string]any{{"team_id": "TTEST", "user_id": "UBOT", "is_bot": true}}})
	if err != nil {
		panic(err)
	}
	return b
}

// evPost sends an event to /slack/events, signed now.
func evPost(h *harness, body []byte, extra http.Header) (int, string) {
	h.t.Helper()
	return h.post("/slack/events", "application/json", body, time.Now(), extra)
}

// evAccept sends an event and requires the 200.
func evAccept(h *harness, body []byte) {
	h.t.Helper()
	if status, resp := evPost(h, body, nil); status != http.StatusOK {
		h.t.Fatalf("event answered %d %s", status, resp)
	}
}

// evStored returns the stored inquiries once there are n of them.
func evStored(h *harness, n int) []storage.Inquiry {
	h.t.Helper()
	var out []storage.Inquiry
	h.waitFor(fmt.Sprintf("%d stored inquiries", n), func() bool {
		out = nil
		count, err := h.db.InquiryCount(h.ctx)
		if err != nil || count != int64(n) {
			return false
		}
		cs, err := h.db.OpenClusters(h.ctx, 0, 1000)
		if err != nil {
			return false
		}
		for _, c := range cs {
			ins, err := h.db.InquiriesByCluster(h.ctx, c.ID, 1000)
			if err != nil {
				return false
			}
			out = append(out, ins...)
		}
		return len(out) == n // clustered too
	})
	return out
}

// evFind picks the inquiry of the message at channel/ts.
func evFind(t *testing.T, ins []storage.Inquiry, channel, ts string) storage.Inquiry {
	t.Helper()
	for _, in := range ins {
		if in.ReplyURL == ReplyURL(channel, ts) {
			return in
		}
	}
	t.Fatalf("no inquiry for %s/%s among %+v", channel, ts, ins)
	return storage.Inquiry{}
}

// evPosts returns the successful chat.postMessage calls in one thread.
func evPosts(h *harness, channel, threadTS string) []slackfake.Call {
	var out []slackfake.Call
	for _, c := range slackfake.OK(h.fake.Calls("chat.postMessage")) {
		if c.Form.Get("channel") == channel && c.Form.Get("thread_ts") == threadTS {
			out = append(out, c)
		}
	}
	return out
}

// evCustomerPosts returns every chat.postMessage call, failed or not, that
// was not for the agents' board.
func evCustomerPosts(h *harness) []slackfake.Call {
	var out []slackfake.Call
	for _, c := range h.fake.Calls("chat.postMessage") {
		if c.Form.Get("channel") != testAgents {
			out = append(out, c)
		}
	}
	return out
}

// evWaitPosts waits for n successful posts in a thread and returns them.
func evWaitPosts(h *harness, channel, threadTS string, n int) []slackfake.Call {
	h.t.Helper()
	h.fake.WaitFor(h.t, "chat.postMessage", 20*time.Second, func([]slackfake.Call) bool {
		return len(evPosts(h, channel, threadTS)) >= n
	})
	return evPosts(h, channel, threadTS)
}

// evImportExampleKB loads configs/kb.example.yaml.
func evImportExampleKB(h *harness) {
	h.t.Helper()
	f, err := os.Open("../../configs/kb.example.yaml")
	if err != nil {
		h.t.Fatal(err)
	}
	defer f.Close()
	doc, err := kb.Decode(f)
	if err != nil {
		h.t.Fatal(err)
	}
	h.importKB(doc)
}

func TestEventsRefuseUnverifiedRequests(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	body := evMessage("Ev1", evDM, "im", testCustomer, "1763790000.000100", "로그인이 안돼요", nil)
	now := time.Now()
	tests := []struct {
		name    string
		headers http.Header
	}{
		{"unsigned", nil},
		{"forged", slackfake.Sign("not-the-secret", now, body)},
		{"six minutes old", slackfake.Sign(testSecret, now.Add(-6*time.Minute), body)},
		{"six minutes ahead", slackfake.Sign(testSecret, now.Add(6*time.Minute), body)},
		{"signed over another body", slackfake.Sign(testSecret, now, append([]byte(" "), body...))},
		{"signature without timestamp", http.Header{"X-Slack-Signature": slackfake.Sign(testSecret, now, body)["X-Slack-Signature"]}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A zero time sends the request unsigned; the case's headers
			// are all the signature it has.
			status, resp := h.post("/slack/events", "application/json", body, time.Time{}, tt.headers)
			if status != http.StatusUnauthorized || !strings.Contains(resp, `"code":"unverified"`) {
				t.Fatalf("got %d %s, want 401 unverified", status, resp)
			}
		})
	}
	// A challenge needs a signature as much as a message does.
	challenge := []byte(`{"token":"legacy","challenge":"c-1","type":"url_verification"}`)
	if status, resp := h.post("/slack/events", "application/json", challenge, time.Time{}, nil); status != http.StatusUnauthorized {
		t.Fatalf("unsigned challenge answered %d %s", status, resp)
	}
	// Then a signed message: the only one that ever reaches SQL, and the
	// refused ones, published before it if at all, would be stored first.
	evAccept(h, evMessage("Ev2", evDM, "im", testCustomer, "1763790000.000200", "결제가 안 돼요", nil))
	if ins := evStored(h, 1); ins[0].ReplyURL != ReplyURL(evDM, "1763790000.000200") {
		t.Fatalf("stored %+v", ins[0])
	}
	if posts := evCustomerPosts(h); len(posts) != 0 {
		t.Fatalf("Slack received %d posts: %v", len(posts), posts)
	}
}

// The other two endpoints share verify(): an unverified request is refused
// before anything else happens.
func TestInteractivityAndCommandsRefuseUnverifiedRequests(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	form := url.Values{"payload": {`{"type":"block_actions","user":{"id":"UAGENT"},"actions":[]}`}}
	command := url.Values{"command": {"/surge"}, "text": {"help"}, "user_id": {testAgent}, "channel_id": {testAgents}}
	now := time.Now()
	for _, ep := range []struct {
		path string
		form url.Values
	}{{"/slack/interactivity", form}, {"/slack/commands", command}} {
		body := []byte(ep.form.Encode())
		for _, tt := range []struct {
			name    string
			headers http.Header
		}{
			{"unsigned", nil},
			{"forged", slackfake.Sign("not-the-secret", now, body)},
			{"six minutes old", slackfake.Sign(testSecret, now.Add(-6*time.Minute), body)},
			{"six minutes ahead", slackfake.Sign(testSecret, now.Add(6*time.Minute), body)},
		} {
			t.Run(ep.path+"/"+tt.name, func(t *testing.T) {
				status, resp := h.post(ep.path, "application/x-www-form-urlencoded", body, time.Time{}, tt.headers)
				if status != http.StatusUnauthorized || !strings.Contains(resp, `"code":"unverified"`) {
					t.Fatalf("got %d %s, want 401 unverified", status, resp)
				}
			})
		}
	}
	for _, c := range h.fake.Calls("") {
		if c.Method != "chat.postMessage" && c.Method != "chat.update" || c.Form.Get("channel") != testAgents {
			t.Errorf("an unverified request made Slack receive %s %v", c.Method, c.Form)
		}
	}
}

func TestEventsAnswerURLVerification(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	body := []byte(`{"token":"legacy","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`)
	status, resp := evPost(h, body, nil)
	var got map[string]string
	if status != http.StatusOK || json.Unmarshal([]byte(resp), &got) != nil ||
		got["challenge"] != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Fatalf("got %d %s", status, resp)
	}
	if status, resp := evPost(h, []byte(`{"type":`), nil); status != http.StatusBadRequest || !strings.Contains(resp, "invalid_payload") {
		t.Fatalf("a signed unparseable body answered %d %s", status, resp)
	}
	// An event type slack-go does not know is acknowledged, not refused:
	// Slack would retry a refusal and in the end turn events off.
	unknown := []byte(`{"type":"event_callback","event_id":"Ev9","team_id":"TTEST","event":{"type":"brand_new_event","user":"U1"}}`)
	if status, resp := evPost(h, unknown, nil); status != http.StatusOK {
		t.Fatalf("an unknown event type answered %d %s", status, resp)
	}
}

func TestKoreanDirectMessageBecomesInquiry(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	const ts = "1763790000.000100"
	evAccept(h, evMessage("EvKo1", evDM, "im", testCustomer, ts, "로그인이 안돼요 비밀번호 재설정도 안됩니다", nil))
	// In a support channel, Slack's escaping is undone and mentions stay.
	const ts2 = "1763790001.000200"
	evAccept(h, evMessage("EvKo2", testSupport, "channel", testOtherCustomer, ts2,
		"&lt;@"+testAgent+"&gt;가 아니라 <@"+testAgent+"> 님께: 이체 &amp; 결제 오류 &lt;E-401&gt;", nil))

	ins := evStored(h, 2)
	in := evFind(t, ins, evDM, ts)
	if in.Source != Source || in.CustomerID != testCustomer || in.Locale != "ko" ||
		in.Text != "로그인이 안돼요 비밀번호 재설정도 안됩니다" || in.ReplyURL != "slack:"+evDM+"/"+ts {
		t.Fatalf("stored %+v", in)
	}
	var meta map[string]string
	if err := json.Unmarshal([]byte(in.Metadata), &meta); err != nil {
		t.Fatal(err)
	}
	if meta["channel"] != evDM || meta["ts"] != ts || meta["team"] != "TTEST" || meta["event_id"] != "EvKo1" || meta["channel_type"] != "im" {
		t.Fatalf("metadata %v", meta)
	}
	in2 := evFind(t, ins, testSupport, ts2)
	if want := "<@" + testAgent + ">가 아니라 <@" + testAgent + "> 님께: 이체 & 결제 오류 <E-401>"; in2.Text != want || in2.CustomerID != testOtherCustomer {
		t.Fatalf("stored %q from %s, want %q", in2.Text, in2.CustomerID, want)
	}
}

// Slack retries an event it got no timely 200 for, with the same event_id
// and X-Slack-Retry-Num; the message is also the same one if it comes
// again with another event_id (over Socket Mode, say). One inquiry.
func TestRetriedEventCountsOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	const ts = "1763790000.000300"
	body := evMessage("EvRetry", evDM, "im", testCustomer, ts, "앱이 계속 튕겨요", nil)
	evAccept(h, body)
	for _, n := range []string{"1", "2"} {
		status, resp := evPost(h, body, http.Header{"X-Slack-Retry-Num": {n}, "X-Slack-Retry-Reason": {"http_timeout"}})
		if status != http.StatusOK {
			t.Fatalf("retry %s answered %d %s", n, status, resp)
		}
	}
	evAccept(h, evMessage("EvOther", evDM, "im", testCustomer, ts, "앱이 계속 튕겨요", nil))
	// A later message proves the stream is drained past the retries.
	evAccept(h, evMessage("EvNext", evOtherDM, "im", testOtherCustomer, "1763790009.000100", "송금이 안 돼요", nil))
	ins := evStored(h, 2)
	evFind(t, ins, evDM, ts)
	evFind(t, ins, evOtherDM, "1763790009.000100")
	if n := strings.Count(h.logs.String(), "duplicate=true"); n != 3 {
		t.Fatalf("%d publishes were duplicates, want 3\n%s", n, h.logs.String())
	}
}

func TestEventsIgnored(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	tests := []struct {
		name string
		body []byte
	}{
		{"bot message", evMessage("EvI1", evDM, "im", "", "1763790000.000401", "자동 안내입니다", map[string]any{"bot_id": "BOTHER", "subtype": "bot_message", "user": nil})},
		{"own post without bot_id", evMessage("EvI2", evDM, "im", "UBOT", "1763790000.000402", "안녕하세요, 고객님", nil)},
		{"edit", evMessage("EvI3", evDM, "im", "", "1763790000.000403", "", map[string]any{"subtype": "message_changed",
			"message": map[string]any{"type": "message", "user": testCustomer, "text": "로그인이 안돼요 (수정)", "ts": "1763790000.000100"}})},
		{"delete", evMessage("EvI4", evDM, "im", "", "1763790000.000404", "", map[string]any{"subtype": "message_deleted", "deleted_ts": "1763790000.000100"})},
		{"join", evMessage("EvI5", testSupport, "channel", testCustomer, "1763790000.000405", "<@UCUSTOMER> has joined the channel", map[string]any{"subtype": "channel_join"})},
		{"thread reply", evMessage("EvI6", evDM, "im", testCustomer, "1763790000.000406", "아직도 안 돼요", map[string]any{"thread_ts": "1763790000.000100"})},
		{"thread broadcast", evMessage("EvI7", testSupport, "channel", testCustomer, "1763790000.000407", "아직도 안 돼요", map[string]any{"thread_ts": "1763790000.000100", "subtype": "thread_broadcast"})},
		{"empty text", evMessage("EvI8", evDM, "im", testCustomer, "1763790000.000408", "  ", nil)},
		{"unconfigured channel", evMessage("EvI9", "CRANDOM", "channel", testCustomer, "1763790000.000409", "로그인이 안돼요", nil)},
		{"agents' channel", evMessage("EvI10", testAgents, "channel", testAgent, "1763790000.000410", "로그인 문의가 많네요", nil)},
		{"group DM", evMessage("EvI11", "GMPIM", "mpim", testCustomer, "1763790000.000411", "로그인이 안돼요", nil)},
		{"app mention", []byte(`{"type":"event_callback","event_id":"EvI12","team_id":"TTEST","event":{"type":"app_mention","user":"UCUSTOMER","text":"<@UBOT> 로그인이 안돼요","ts":"1763790000.000412","channel":"CSUPPORT"}}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if status, resp := evPost(h, tt.body, nil); status != http.StatusOK {
				t.Fatalf("answered %d %s, want 200 (ignored, not refused)", status, resp)
			}
		})
	}
	// A file shared with a caption is a message all the same.
	evAccept(h, evMessage("EvFile", testSupport, "channel", testCustomer, "1763790000.000500", "이 화면에서 멈춰요",
		map[string]any{"subtype": "file_share", "files": []any{map[string]any{"id": "F1"}}}))
	ins := evStored(h, 1)
	evFind(t, ins, testSupport, "1763790000.000500")
	if posts := evCustomerPosts(h); len(posts) != 0 {
		t.Fatalf("Slack received %d posts for ignored messages: %v", len(posts), posts)
	}
}

// The instant answer, a follow-up on the incident and an agent's reply to
// all go to the message's thread.
func TestAnswerAndFollowUpInThread(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	evImportExampleKB(h)
	const ts, text = "1763790000.000600", "이벤트 응모하려는데 앱 로그인이 안돼요"
	answer, ok := h.knowledge.Answer(text, "ko")
	if !ok || answer.IncidentID != "inc-app-login-event" {
		t.Fatalf("the example KB has no answer for %q: %+v", text, answer)
	}
	evAccept(h, evMessage("EvAns", evDM, "im", testCustomer, ts, text, nil))
	posts := evWaitPosts(h, evDM, ts, 1)
	if posts[0].Text() != answer.Text {
		t.Fatalf("answer posted %q, want %q", posts[0].Text(), answer.Text)
	}

	u := kb.Update{Status: kb.Monitoring, TextKO: "인증 서버 증설을 마치고 모니터링 중입니다.", TextEN: "Capacity added; monitoring.",
		CreatedAt: time.Now(), Author: "ops-kim"}
	updated, err := h.app.Desk.UpdateIncident(h.ctx, "test", "inc-app-login-event", u)
	if err != nil {
		t.Fatal(err)
	}
	added := updated.Update
	inc, err := h.db.Incident(h.ctx, "inc-app-login-event")
	if err != nil {
		t.Fatal(err)
	}
	posts = evWaitPosts(h, evDM, ts, 2)
	if want := kb.FollowUpText(inc, added, "ko"); posts[1].Text() != want {
		t.Fatalf("follow-up posted %q, want %q", posts[1].Text(), want)
	}
	if len(posts) != 2 {
		t.Fatalf("the thread has %d posts: %v", len(posts), posts)
	}
}

func TestAgentReplyReachesEveryThreadOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	const ts1, ts2 = "1763790000.000700", "1763790100.000800"
	evAccept(h, evMessage("EvR1", evDM, "im", testCustomer, ts1, "로그인이 안돼요 비밀번호 재설정도 안됩니다", nil))
	first := evFind(t, evStored(h, 1), evDM, ts1)

	// The first post of the reply fails; the delivery worker retries it.
	h.fake.Fail("chat.postMessage", slackfake.Failure{Status: http.StatusInternalServerError})
	const reply = "고객님, 인증 서버 장애로 로그인이 지연되고 있습니다. 30분 안에 복구될 예정입니다."
	if queued, err := h.db.ReplyToCluster(h.ctx, "slack:"+testAgent, first.ClusterID, reply); err != nil || queued != 1 {
		t.Fatalf("ReplyToCluster = %d, %v", queued, err)
	}
	h.deliver.Kick()
	posts := evWaitPosts(h, evDM, ts1, 1)
	if posts[0].Text() != reply {
		t.Fatalf("reply posted %q", posts[0].Text())
	}

	// A later customer with the same problem joins the cluster and gets
	// the reply at once, in the support channel thread of their message.
	evAccept(h, evMessage("EvR2", testSupport, "channel", testOtherCustomer, ts2, "로그인이 안돼요 비밀번호 재설정이 안됩니다", nil))
	second := evFind(t, evStored(h, 2), testSupport, ts2)
	if second.ClusterID != first.ClusterID {
		t.Fatalf("the second message went to cluster %s, not %s", second.ClusterID, first.ClusterID)
	}
	if posts := evWaitPosts(h, testSupport, ts2, 1); posts[0].Text() != reply {
		t.Fatalf("late joiner got %q", posts[0].Text())
	}

	// Once delivered, each thread has the reply exactly once, and the
	// failed attempt was the only other one.
	for _, in := range []storage.Inquiry{first, second} {
		h.waitFor("the reply to "+in.ID+" to be delivered", func() bool {
			ds, err := h.db.DeliveriesByInquiry(h.ctx, in.ID)
			return err == nil && len(ds) == 1 && ds[0].Status == storage.DeliveryDelivered
		})
	}
	if n := len(evPosts(h, evDM, ts1)); n != 1 {
		t.Errorf("the first thread has the reply %d times", n)
	}
	if n := len(evPosts(h, testSupport, ts2)); n != 1 {
		t.Errorf("the second thread has the reply %d times", n)
	}
	if n := len(evCustomerPosts(h)); n != 3 {
		t.Errorf("Slack received %d posts to customers, want the failed one, its retry and the late joiner's", n)
	}
}

// A message Intake refuses is acknowledged (Slack's retries would be
// refused alike) and the customer is told in the thread, once.
func TestRefusedMessageIsAcknowledgedAndExplained(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	const ts = "1763790000.000900"
	long := strings.Repeat("로그인이 안 돼요. ", 700) // over the 8 KiB limit
	body := evMessage("EvLong", evDM, "im", testCustomer, ts, long, nil)
	evAccept(h, body)
	if status, _ := evPost(h, body, http.Header{"X-Slack-Retry-Num": {"1"}}); status != http.StatusOK {
		t.Fatalf("the retry answered %d", status)
	}
	posts := evWaitPosts(h, evDM, ts, 1)
	if !strings.Contains(posts[0].Text(), "너무 길어") {
		t.Fatalf("posted %q", posts[0].Text())
	}
	ds, err := h.db.DeliveriesByInquiry(h.ctx, "refused:"+messageKey(evDM, ts))
	if err != nil || len(ds) != 1 {
		t.Fatalf("notes queued: %v, %v; want one for both attempts", ds, err)
	}
	evAccept(h, evMessage("EvShort", evDM, "im", testCustomer, "1763790000.000901", "로그인이 안 돼요", nil))
	evFind(t, evStored(h, 1), evDM, "1763790000.000901")
}

// evStuckStream is a JetStream that never acknowledges.
type evStuckStream struct{}

func (evStuckStream) PublishMsg(ctx context.Context, _ *nats.Msg, _ ...jetstream.PublishOpt) (*jetstream.PubAck, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// When JetStream does not take the inquiry in time the answer is a 503
// well within Slack's three seconds (however long Intake would wait), and
// Slack's retry, once JetStream is back, is accepted.
func TestEventsUnavailableStream(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	opts := h.app.Options
	opts.Intake = bot.NewIntake(evStuckStream{}, bot.Limits{MaxTextBytes: 8 << 10}, time.Hour)
	opts.Log = slog.New(slog.DiscardHandler)
	stuck := New(opts)
	stuck.ackWithin = 200 * time.Millisecond // the bound, shortened: what is tested is that it holds
	down := httptest.NewServer(http.HandlerFunc(stuck.Events))
	t.Cleanup(down.Close)

	const ts = "1763790000.001000"
	body := evMessage("EvDown", evDM, "im", testCustomer, ts, "로그인이 안돼요", nil)
	req, err := http.NewRequestWithContext(h.ctx, http.MethodPost, down.URL, strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = slackfake.Sign(testSecret, time.Now(), body)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req) // the test's deadline catches a hang
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("answered %d, want 503", resp.StatusCode)
	}

	status, _ := evPost(h, body, http.Header{"X-Slack-Retry-Num": {"1"}, "X-Slack-Retry-Reason": {"http_error"}})
	if status != http.StatusOK {
		t.Fatalf("the retry answered %d", status)
	}
	if ins := evStored(h, 1); ins[0].ReplyURL != ReplyURL(evDM, ts) {
		t.Fatalf("stored %+v", ins[0])
	}
}
