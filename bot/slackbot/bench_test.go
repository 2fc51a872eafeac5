package slackbot

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/bot"
	"github.com/surgedesk/surgedesk/bot/slackbot/slackfake"
	"github.com/surgedesk/surgedesk/bus/bustest"
	"github.com/surgedesk/surgedesk/config"
)

// BenchmarkEvent measures what Slack waits for before its 200: verifying
// the signature, parsing the event and making the inquiry durable in
// (embedded) JetStream. The baseline is the same inquiry through
// bot.Intake alone, in the same run; the difference is the Slack layer.
// Run: go test ./bot/slackbot -run '^$' -bench Event
func BenchmarkEvent(b *testing.B) {
	bs := bustest.Embedded(b)
	intake := bot.NewIntake(bs, bot.Limits{MaxTextBytes: 8 << 10}, 2*time.Second)
	cfg := config.Default().Slack
	cfg.BotToken, cfg.SigningSecret, cfg.SupportChannels = "xoxb-bench", testSecret, []string{testSupport}
	app := New(Options{Config: cfg, Intake: intake, Log: slog.New(slog.DiscardHandler)})
	const text = "이벤트 응모하려는데 앱 로그인이 안돼요 ㅠㅠ"

	b.Run("intake-baseline", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			ts := fmt.Sprintf("1763790000.%06d", i)
			if _, err := intake.AcceptFromChannel(b.Context(), bot.Submission{Source: Source, CustomerID: testCustomer, Text: text,
				IdempotencyKey: messageKey("DBASE", ts), ReplyURL: ReplyURL("DBASE", ts)}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("slack-event", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			ts := fmt.Sprintf("1763790000.%06d", i)
			body := evMessage(fmt.Sprint("Ev", i), "DBENCH", "im", testCustomer, ts, text, nil)
			req := httptest.NewRequest(http.MethodPost, "/slack/events", bytes.NewReader(body))
			for k, v := range slackfake.Sign(testSecret, time.Now(), body) {
				req.Header[k] = v
			}
			rec := httptest.NewRecorder()
			app.Events(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("event answered %d %s", rec.Code, rec.Body)
			}
		}
	})
}
