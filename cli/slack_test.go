package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/bot/slackbot/slackfake"
	"github.com/surgedesk/surgedesk/config"
)

// The real serve, wired to a fake Slack by configuration alone: Slack's
// URL check is answered, a customer's direct message gets the instant answer
// in its thread, and an unsigned event is refused.
func TestServeWithSlack(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	fake := slackfake.New(t)
	const secret = "serve-signing-secret-0123"
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.Auth.AdminToken = testToken
	cfg.Replies.PollInterval = 20 * time.Millisecond
	cfg.Slack.BotToken, cfg.Slack.SigningSecret, cfg.Slack.APIURL = "xoxb-serve-test", secret, fake.URL()
	c := serveInProcess(t, cfg)

	slack := func(body []byte, signed bool) (int, string) {
		req, _ := http.NewRequestWithContext(ctx, "POST", c.base+"/slack/events", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if signed {
			for k, v := range slackfake.Sign(secret, time.Now(), body) {
				req.Header[k] = v
			}
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		return resp.StatusCode, b.String()
	}
	if code, body := slack([]byte(`{"type":"url_verification","token":"x","challenge":"c-123"}`), true); code != 200 || !strings.Contains(body, "c-123") {
		t.Fatalf("url_verification = %d %s", code, body)
	}

	var out bytesBuffer
	if code := Main(ctx, []string{"kb", "import", "../configs/kb.example.yaml", "--url", c.base, "--token", testToken}, &out, &out); code != 0 {
		t.Fatalf("kb import = %d: %s", code, out.String())
	}
	message := func(eventID, ts string) []byte {
		b, _ := json.Marshal(map[string]any{"type": "event_callback", "team_id": "T1", "event_id": eventID, "event_time": time.Now().Unix(),
			"event": map[string]any{"type": "message", "channel": "D0CUSTOMER", "channel_type": "im", "user": "U0CUSTOMER",
				"text": "모바일 상품권 결제가 안 돼요ㅠㅠ", "ts": ts, "event_ts": ts}})
		return b
	}
	if code, _ := slack(message("Ev-unsigned", "1763790000.000050"), false); code != http.StatusUnauthorized {
		t.Fatalf("an unsigned event got %d, want 401", code)
	}
	// The import reaches intake's in-memory knowledge base over NATS; send
	// messages until one is answered (each is a new message, so each is
	// an inquiry of its own).
	for i := 0; ; i++ {
		ts := "1763790000.0001" + string(rune('0'+i/10%10)) + string(rune('0'+i%10))
		if code, body := slack(message("Ev"+ts, ts), true); code != 200 {
			t.Fatalf("event = %d %s", code, body)
		}
		deadline := time.Now().Add(2 * time.Second)
		for time.Now().Before(deadline) {
			for _, call := range slackfake.OK(fake.Calls("chat.postMessage")) {
				if call.Form.Get("channel") == "D0CUSTOMER" && call.Form.Get("thread_ts") == ts && strings.Contains(call.Text(), "상품권") {
					return
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
		if ctx.Err() != nil || i == 40 {
			t.Fatalf("no answer in a thread; Slack received %+v", fake.Calls(""))
		}
	}
}
