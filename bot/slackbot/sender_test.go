package slackbot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"golang.org/x/time/rate"

	"github.com/surgedesk/surgedesk/bot/slackbot/slackfake"
	"github.com/surgedesk/surgedesk/config"
	"github.com/surgedesk/surgedesk/storage"
)

func testSender(t *testing.T, fake *slackfake.Server) *Sender {
	t.Helper()
	cfg := config.Default().Slack
	cfg.BotToken, cfg.APIURL = "xoxb-test", fake.URL()
	return NewSender(cfg, nil, slog.New(slog.DiscardHandler), nil)
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestReplyURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, url, channel, ts string
		ok                     bool
	}{
		{"thread", ReplyURL("C123", "1700000000.000100"), "C123", "1700000000.000100", true},
		{"direct message", "slack:D9/1.2", "D9", "1.2", true},
		{"no thread", "slack:C123", "", "", false},
		{"empty channel", "slack:/1.2", "", "", false},
		{"http", "https://example.com/x", "", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ch, ts, err := ParseReplyURL(tc.url)
			if (err == nil) != tc.ok || ch != tc.channel || ts != tc.ts {
				t.Fatalf("ParseReplyURL(%q) = %q, %q, %v; want %q, %q, ok=%v", tc.url, ch, ts, err, tc.channel, tc.ts, tc.ok)
			}
		})
	}
}

func TestSendPostsInThread(t *testing.T) {
	t.Parallel()
	fake := slackfake.New(t)
	s := testSender(t, fake)
	ctx := testContext(t)
	d := storage.Delivery{ID: "dl_1", URL: ReplyURL("C1", "1700000000.000100"), Text: "로그인 장애는 복구 중입니다 <곧>"}
	if err := s.Wait(ctx, d); err != nil {
		t.Fatal(err)
	}
	if retry, err := s.Send(ctx, d); err != nil {
		t.Fatalf("Send: retry=%v err=%v", retry, err)
	}
	calls := fake.Calls("chat.postMessage")
	if len(calls) != 1 {
		t.Fatalf("Slack received %d chat.postMessage calls, want 1", len(calls))
	}
	f := calls[0].Form
	if f.Get("channel") != "C1" || f.Get("thread_ts") != "1700000000.000100" {
		t.Errorf("posted to channel %q thread %q, want C1 thread 1700000000.000100", f.Get("channel"), f.Get("thread_ts"))
	}
	// Slack's mrkdwn needs <, > and & escaped, or "<곧>" would be a link.
	if want := "로그인 장애는 복구 중입니다 &lt;곧&gt;"; f.Get("text") != want {
		t.Errorf("text = %q, want %q", f.Get("text"), want)
	}
}

func TestSendClassifiesFailures(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		failure   slackfake.Failure
		retry     bool
		retryWait time.Duration
	}{
		{"rate limited", slackfake.Failure{Status: http.StatusTooManyRequests, RetryAfter: 7}, true, 7 * time.Second},
		{"server error", slackfake.Failure{Status: http.StatusInternalServerError}, true, 0},
		{"channel gone", slackfake.Failure{Status: http.StatusOK, Error: "channel_not_found"}, false, 0},
		{"slack busy", slackfake.Failure{Status: http.StatusOK, Error: "service_unavailable"}, true, 0},
		{"token being rotated", slackfake.Failure{Status: http.StatusOK, Error: "invalid_auth"}, true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := slackfake.New(t)
			fake.Fail("chat.postMessage", tc.failure)
			s := testSender(t, fake)
			retry, err := s.Send(testContext(t), storage.Delivery{URL: ReplyURL("C1", "1.1"), Text: "x"})
			if err == nil || retry != tc.retry {
				t.Fatalf("Send = retry %v, err %v; want retry %v and an error", retry, err, tc.retry)
			}
			var ra *RetryAfterError
			if got := errors.As(err, &ra); got != (tc.retryWait > 0) || (got && ra.RetryAfter() != tc.retryWait) {
				t.Fatalf("Retry-After error = %v (%v), want wait %s", got, ra, tc.retryWait)
			}
			if n := len(fake.Calls("chat.postMessage")); n != 1 {
				t.Fatalf("Slack received %d calls, want 1 (the sender itself never retries)", n)
			}
		})
	}
}

func TestRateLimitPausesTheChannel(t *testing.T) {
	t.Parallel()
	fake := slackfake.New(t)
	fake.Fail("chat.postMessage", slackfake.Failure{Status: http.StatusTooManyRequests, RetryAfter: 30})
	s := testSender(t, fake)
	ctx := testContext(t)
	if _, _, err := s.Post(ctx, "C1", "", nil...); err == nil {
		t.Fatal("the 429 was not reported")
	}
	// C1 sits out its Retry-After; other channels do not.
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if _, _, err := s.Post(short, "C1", ""); err == nil {
		t.Fatal("a post to C1 went out during its Retry-After")
	}
	if _, _, err := s.Post(ctx, "C2", ""); err != nil {
		t.Fatalf("C2 was held by C1's 429: %v", err)
	}
	if n := len(fake.Calls("chat.postMessage")); n != 2 {
		t.Fatalf("Slack received %d posts, want 2 (C1's 429 and C2's)", n)
	}
}

func TestPerChannelLimit(t *testing.T) {
	t.Parallel()
	fake := slackfake.New(t)
	cfg := config.Default().Slack
	cfg.BotToken, cfg.APIURL, cfg.RatePerChannel, cfg.BurstPerChannel = "xoxb-test", fake.URL(), 0.5, 2
	s := NewSender(cfg, nil, slog.New(slog.DiscardHandler), nil)
	ctx := testContext(t)
	for i := range 2 { // the burst
		if _, _, err := s.Post(ctx, "C1", ""); err != nil {
			t.Fatalf("post %d: %v", i, err)
		}
	}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if _, _, err := s.Post(short, "C1", ""); err == nil {
		t.Fatal("a third post to C1 went out at once, past a burst of 2 at 0.5/s")
	}
	if _, _, err := s.Post(ctx, "C2", ""); err != nil {
		t.Fatalf("C2 is limited by C1's posts: %v", err)
	}
	if n := len(fake.Calls("chat.postMessage")); n != 3 {
		t.Fatalf("Slack received %d posts, want 3", n)
	}
}

func TestRetryBacksOff(t *testing.T) {
	t.Parallel()
	fake := slackfake.New(t)
	fake.Fail("chat.update", slackfake.Failure{Status: http.StatusInternalServerError}, slackfake.Failure{Status: http.StatusOK, Error: "internal_error"})
	s := testSender(t, fake)
	err := Retry(testContext(t), func(ctx context.Context) (bool, error) { return s.Update(ctx, "C1", "1.1") })
	if err != nil {
		t.Fatalf("Retry: %v", err)
	}
	calls := fake.Calls("chat.update")
	if len(calls) != 3 || calls[2].Status != http.StatusOK {
		t.Fatalf("Slack received %d chat.update calls, want 2 failures then a success", len(calls))
	}
	if gap := calls[1].At.Sub(calls[0].At); gap < 400*time.Millisecond {
		t.Errorf("retried after %s, want a backoff of at least 500ms", gap)
	}

	fake.Fail("chat.update", slackfake.Failure{Status: http.StatusOK, Error: "message_not_found"})
	if err := Retry(testContext(t), func(ctx context.Context) (bool, error) { return s.Update(ctx, "C1", "1.1") }); err == nil {
		t.Fatal("a final error was retried or swallowed")
	}
	if n := len(fake.Calls("chat.update")); n != 4 {
		t.Fatalf("a final error was retried: %d calls, want 4", n)
	}
}

func TestSenderForgetsIdleChannels(t *testing.T) {
	t.Parallel()
	fake := slackfake.New(t)
	s := testSender(t, fake)
	ctx := testContext(t)
	for i := range minSweep + 10 {
		if err := s.wait(ctx, fmt.Sprintf("D%05d", i), ""); err != nil {
			t.Fatal(err)
		}
	}
	s.mu.Lock()
	s.paused["DPAUSED"] = time.Now().Add(time.Hour)
	s.paused["DOVER"] = time.Now().Add(-time.Second)
	// Later, every limiter has refilled: the sweep forgets them all, and
	// the pause that is over, but not the one still running.
	s.sweep(time.Now().Add(time.Minute))
	limiters, paused := len(s.limiters), s.paused
	s.mu.Unlock()
	if limiters != 0 || len(paused) != 1 || paused["DPAUSED"].IsZero() {
		t.Fatalf("after the sweep: %d limiters and pauses %v; want none and DPAUSED only", limiters, paused)
	}
	// A limiter still short of its burst is kept: forgetting it would let
	// its channel burst again at once.
	s.mu.Lock()
	s.limiters["DBUSY"] = rate.NewLimiter(s.limit, s.burst)
	s.limiters["DBUSY"].AllowN(time.Now(), s.burst)
	s.sweep(time.Now())
	_, kept := s.limiters["DBUSY"]
	s.mu.Unlock()
	if !kept {
		t.Fatal("a channel that just used its burst was forgotten")
	}
}

// A modal's trigger lives three seconds: while Slack has views.open paused
// the sender refuses at once rather than wait past it.
func TestOpenViewNeverWaits(t *testing.T) {
	t.Parallel()
	fake := slackfake.New(t)
	fake.Fail("views.open", slackfake.Failure{Status: http.StatusTooManyRequests, RetryAfter: 30})
	s := testSender(t, fake)
	ctx := testContext(t)
	view := slack.ModalViewRequest{Type: slack.VTModal, Title: slack.NewTextBlockObject(slack.PlainTextType, "Reply to all", false, false)}
	if _, _, err := s.OpenView(ctx, "trigger-1", view); err == nil {
		t.Fatal("the 429 was not reported")
	}
	if _, _, err := s.OpenView(ctx, "trigger-2", view); !errors.Is(err, errPaused) {
		t.Fatalf("OpenView during the pause = %v, want errPaused", err)
	}
	if calls := fake.Calls("views.open"); len(calls) != 1 || calls[0].JSON["trigger_id"] != "trigger-1" {
		t.Fatalf("Slack received %+v, want only the first views.open", calls)
	}
}
