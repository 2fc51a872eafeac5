package slackbot

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/bot/slackbot/slackfake"
)

// A signed button click or modal submission replayed within its five
// minutes acts once; two genuine clicks (distinct action_ts) act twice.
func TestReplayedInteractionActsOnce(t *testing.T) {
	h := newHarness(t, nil)
	h.askMany("pay", paymentText, 3)
	c := h.clusterOf(paymentText, 3)

	b, _ := json.Marshal(click(testAgent, "reply", c.ID))
	body := []byte(url.Values{"payload": {string(b)}}.Encode())
	at := time.Now()
	for i := range 3 {
		if status, raw := h.post("/slack/interactivity", "application/x-www-form-urlencoded", body, at, nil); status != http.StatusOK {
			t.Fatalf("post %d = %d %s", i, status, raw)
		}
	}
	h.fake.WaitCalls(t, "views.open", 1, 10*time.Second)
	time.Sleep(200 * time.Millisecond)
	if n := len(h.fake.Calls("views.open")); n != 1 {
		t.Fatalf("a click replayed twice opened %d modals, want 1", n)
	}
	h.mustInteract(click(testAgent, "reply", c.ID))
	h.fake.WaitCalls(t, "views.open", 2, 10*time.Second)

	// A replayed submission of the reply modal sends the reply once.
	const text = "결제 오류는 복구되었습니다."
	b, _ = json.Marshal(submit(testAgent, "reply", c.ID, map[string]map[string]any{"reply": {"text": map[string]any{"type": "plain_text_input", "value": text}}}))
	body = []byte(url.Values{"payload": {string(b)}}.Encode())
	for i := range 2 {
		if status, raw := h.post("/slack/interactivity", "application/x-www-form-urlencoded", body, at, nil); status != http.StatusOK {
			t.Fatalf("submission %d = %d %s", i, status, raw)
		}
	}
	sent := func() int {
		n := 0
		for _, call := range slackfake.OK(h.fake.Calls("chat.postMessage")) {
			if call.Form.Get("channel") == testSupport && call.Form.Get("text") == text {
				n++
			}
		}
		return n
	}
	h.waitFor("the reply in the 3 threads", func() bool { return sent() >= 3 })
	time.Sleep(time.Second)
	if n := sent(); n != 3 {
		t.Fatalf("a replayed submission sent the reply %d times, want 3 (once per member)", n)
	}
}

// While the database is down the Slack endpoints answer 503, as the rest
// of the API does, never 500.
func TestSlackEndpointsUnavailableWhileDatabaseDown(t *testing.T) {
	h := newHarness(t, nil)
	h.askMany("pay", paymentText, 3)
	c := h.clusterOf(paymentText, 3)
	h.db.Close()
	if status, raw := h.interact(click(testAgent, "claim", c.ID), time.Now(), nil); status != http.StatusServiceUnavailable {
		t.Errorf("click = %d %s, want 503", status, raw)
	}
	if r := h.command(testManager, testWarRoom, "queue"); r.Status != http.StatusServiceUnavailable {
		t.Errorf("/surge queue = %d, want 503", r.Status)
	}
}
