package slackbot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/slack-go/slack"
	"golang.org/x/time/rate"

	"github.com/surgedesk/surgedesk/bot"
	"github.com/surgedesk/surgedesk/config"
	"github.com/surgedesk/surgedesk/storage"
)

// ReplyURL is the reply_url of a Slack message: replies go to its thread.
func ReplyURL(channel, threadTS string) string {
	return bot.ChannelScheme + ":" + channel + "/" + threadTS
}

// ParseReplyURL splits a ReplyURL into channel and thread.
func ParseReplyURL(u string) (channel, threadTS string, err error) {
	rest, ok := strings.CutPrefix(u, bot.ChannelScheme+":")
	if ok {
		channel, threadTS, ok = strings.Cut(rest, "/")
	}
	if !ok || channel == "" || threadTS == "" {
		return "", "", fmt.Errorf("slackbot: %q is not a Slack reply address", u)
	}
	return channel, threadTS, nil
}

// Sender is the one way out to Slack's Web API. Every call waits its turn
// on its channel's limiter (Slack allows about one message per second per
// channel, with short bursts), a 429 pauses the channel (or method) for its
// Retry-After, and each call says whether a failure is worth retrying.
// Retries belong to the caller: Retry for the board and alerts, the
// delivery worker (with statuses in SQL) for customers' messages.
type Sender struct {
	api     *slack.Client
	limit   rate.Limit
	burst   int
	timeout time.Duration
	log     *slog.Logger
	calls   *prometheus.CounterVec

	mu       sync.Mutex
	limiters map[string]*rate.Limiter // by channel
	paused   map[string]time.Time     // by channel or method, after a 429
	sweepAt  int                      // prune the maps when limiters reaches this size
}

// minSweep is the map size below which the sender never prunes: every DM
// customer is a channel of their own, so the maps would otherwise grow
// for as long as the process runs.
const minSweep = 1024

// NewSender returns a Sender for cfg; client nil means http.DefaultClient.
// Its metrics are registered on reg when it is not nil.
func NewSender(cfg config.Slack, client *http.Client, log *slog.Logger, reg prometheus.Registerer) *Sender {
	if client == nil {
		client = &http.Client{}
	}
	s := &Sender{
		api:      slack.New(cfg.BotToken, slack.OptionAPIURL(cfg.APIURL), slack.OptionHTTPClient(client)),
		limit:    rate.Limit(cfg.RatePerChannel),
		burst:    cfg.BurstPerChannel,
		timeout:  cfg.Timeout,
		log:      log,
		limiters: map[string]*rate.Limiter{},
		paused:   map[string]time.Time{},
		sweepAt:  minSweep,
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "surgedesk_slack_calls_total",
			Help: "Slack Web API calls by method and result: ok, rate_limited, retry, auth_error, failed."}, []string{"method", "result"}),
	}
	if reg != nil {
		reg.MustRegister(s.calls)
	}
	return s
}

// API is the underlying client, for calls that need no limiting (none
// that post).
func (s *Sender) API() *slack.Client { return s.api }

// RetryAfterError is a failure Slack asked to retry no sooner than After.
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string             { return e.Err.Error() }
func (e *RetryAfterError) Unwrap() error             { return e.Err }
func (e *RetryAfterError) RetryAfter() time.Duration { return e.After }

// wait takes a token from channel's limiter and sits out any pause for
// key (the channel, or the method when there is none).
func (s *Sender) wait(ctx context.Context, channel, key string) error {
	s.mu.Lock()
	until := s.paused[key]
	var l *rate.Limiter
	if channel != "" {
		if l = s.limiters[channel]; l == nil {
			if len(s.limiters) >= s.sweepAt {
				s.sweep(time.Now())
			}
			l = rate.NewLimiter(s.limit, s.burst)
			s.limiters[channel] = l
		}
	}
	s.mu.Unlock()
	if d := time.Until(until); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	if l == nil {
		return nil
	}
	return l.Wait(ctx)
}

// sweep drops what a fresh entry would equal: limiters back at a full
// burst and pauses that are over. Called with mu held; amortised by
// doubling sweepAt past what survives.
func (s *Sender) sweep(now time.Time) {
	for ch, l := range s.limiters {
		if l.TokensAt(now) >= float64(s.burst) {
			delete(s.limiters, ch)
		}
	}
	for key, until := range s.paused {
		if !until.After(now) {
			delete(s.paused, key)
		}
	}
	s.sweepAt = max(minSweep, 2*len(s.limiters))
}

// call makes one Web API call, already let through by wait, and classifies
// its failure.
func (s *Sender) call(ctx context.Context, method, key string, f func(ctx context.Context) error) (retry bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	err = f(ctx)
	retry, result := classify(err)
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		after := max(rl.RetryAfter, time.Second)
		s.mu.Lock()
		s.paused[key] = time.Now().Add(after)
		s.mu.Unlock()
		err = &RetryAfterError{After: after, Err: err}
	}
	s.calls.WithLabelValues(method, result).Inc()
	if err != nil {
		err = fmt.Errorf("slackbot: %s: %w", method, err)
	}
	return retry, err
}

// classify says whether err may go away on its own.
func classify(err error) (retry bool, result string) {
	if err == nil {
		return false, "ok"
	}
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return true, "rate_limited"
	}
	var resp slack.SlackErrorResponse
	if errors.As(err, &resp) {
		switch resp.Err {
		case "internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited":
			return true, "retry"
		case "invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive":
			// The token is being rotated or the app reinstalled: failing
			// every pending reply at once would lose them; the delivery's
			// attempts and backoff give the operator time.
			return true, "auth_error"
		}
		return false, "failed"
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		if sc.Retryable() {
			return true, "retry"
		}
		return false, "failed"
	}
	// Network errors and timeouts.
	return true, "retry"
}

// Post posts a message (in threadTS's thread when it is set) and returns
// its ts.
func (s *Sender) Post(ctx context.Context, channel, threadTS string, opts ...slack.MsgOption) (ts string, retry bool, err error) {
	if err := s.wait(ctx, channel, channel); err != nil {
		return "", true, err
	}
	return s.post(ctx, channel, threadTS, opts...)
}

func (s *Sender) post(ctx context.Context, channel, threadTS string, opts ...slack.MsgOption) (ts string, retry bool, err error) {
	if threadTS != "" {
		opts = append(opts, slack.MsgOptionTS(threadTS))
	}
	retry, err = s.call(ctx, "chat.postMessage", channel, func(ctx context.Context) error {
		var err error
		_, ts, err = s.api.PostMessageContext(ctx, channel, opts...)
		return err
	})
	return ts, retry, err
}

// Update replaces the message at ts.
func (s *Sender) Update(ctx context.Context, channel, ts string, opts ...slack.MsgOption) (retry bool, err error) {
	if err := s.wait(ctx, channel, channel); err != nil {
		return true, err
	}
	return s.call(ctx, "chat.update", channel, func(ctx context.Context) error {
		_, _, _, err := s.api.UpdateMessageContext(ctx, channel, ts, opts...)
		return err
	})
}

// PostEphemeral shows a message to one user in a channel.
func (s *Sender) PostEphemeral(ctx context.Context, channel, user string, opts ...slack.MsgOption) (retry bool, err error) {
	if err := s.wait(ctx, channel, channel); err != nil {
		return true, err
	}
	return s.call(ctx, "chat.postEphemeral", channel, func(ctx context.Context) error {
		_, err := s.api.PostEphemeralContext(ctx, channel, user, opts...)
		return err
	})
}

// viewWithin bounds opening a modal: Slack's trigger_id expires three
// seconds after the click, and the click's own answer must fit in them too.
const viewWithin = 2500 * time.Millisecond

// errPaused is a call refused at once because Slack asked us to wait.
var errPaused = errors.New("slackbot: Slack asked to slow down; try again shortly")

// OpenView opens a modal and returns its id and hash (for UpdateView).
// It is never queued: past a 429's pause or viewWithin the trigger is
// dead, so it fails at once instead.
func (s *Sender) OpenView(ctx context.Context, triggerID string, view slack.ModalViewRequest) (id, hash string, err error) {
	s.mu.Lock()
	paused := time.Until(s.paused["views.open"]) > 0
	s.mu.Unlock()
	if paused {
		return "", "", errPaused
	}
	ctx, cancel := context.WithTimeout(ctx, min(viewWithin, s.timeout))
	defer cancel()
	_, err = s.call(ctx, "views.open", "views.open", func(ctx context.Context) error {
		resp, err := s.api.OpenViewContext(ctx, triggerID, view)
		if resp != nil {
			id, hash = resp.ID, resp.Hash
		}
		return err
	})
	return id, hash, err
}

// UpdateView replaces an open modal, once: it is only worth doing while
// the modal is still open, and hash makes Slack refuse it when the modal
// changed since.
func (s *Sender) UpdateView(ctx context.Context, id, hash string, view slack.ModalViewRequest) error {
	s.mu.Lock()
	paused := time.Until(s.paused["views.update"]) > 0
	s.mu.Unlock()
	if paused {
		return errPaused
	}
	_, err := s.call(ctx, "views.update", "views.update", func(ctx context.Context) error {
		_, err := s.api.UpdateViewContext(ctx, view, "", hash, id)
		return err
	})
	return err
}

// Retry runs f until it succeeds, fails for good or ctx ends, backing off
// exponentially (from 500ms, capped at 30s) or as Slack's Retry-After asks.
func Retry(ctx context.Context, f func(ctx context.Context) (retry bool, err error)) error {
	backoff := 500 * time.Millisecond
	for {
		retry, err := f(ctx)
		if err == nil || !retry {
			return err
		}
		wait := backoff + rand.N(backoff/2)
		var ra *RetryAfterError
		if errors.As(err, &ra) && ra.After > wait {
			wait = ra.After
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.Join(err, ctx.Err())
		case <-t.C:
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}

// Wait blocks until the delivery d may be posted in its channel: the
// workers.Channel side of the delivery worker, which owns its retries.
func (s *Sender) Wait(ctx context.Context, d storage.Delivery) error {
	channel, _, err := ParseReplyURL(d.URL)
	if err != nil {
		return nil // Send fails it for good
	}
	return s.wait(ctx, channel, channel)
}

// Send posts delivery d in its message's thread, once.
func (s *Sender) Send(ctx context.Context, d storage.Delivery) (retry bool, err error) {
	channel, thread, err := ParseReplyURL(d.URL)
	if err != nil {
		return false, err
	}
	_, retry, err = s.post(ctx, channel, thread, slack.MsgOptionText(d.Text, true))
	return retry, err
}
