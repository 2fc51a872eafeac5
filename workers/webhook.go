package workers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/surgedesk/surgedesk/signature"
	"github.com/surgedesk/surgedesk/storage"
)

// webhook is the Channel of http(s) reply URLs: a JSON POST, signed like
// the intake's inquiries, rate-limited per receiving host.
type webhook struct {
	opts DeliverOptions

	mu       sync.Mutex
	limiters map[string]*rate.Limiter // by host
}

func newWebhook(opts DeliverOptions) *webhook {
	return &webhook{opts: opts, limiters: map[string]*rate.Limiter{}}
}

// errPrivateAddress refuses a reply to a non-public address; it is final.
var errPrivateAddress = errors.New("workers: reply url resolves to a non-public address")

// publicOnly (address.go) is the dialer's check.

// Wait takes a token from the receiving host's rate limiter.
func (w *webhook) Wait(ctx context.Context, dl storage.Delivery) error {
	host := dl.URL
	if u, err := url.Parse(dl.URL); err == nil {
		host = u.Host
	}
	w.mu.Lock()
	l, ok := w.limiters[host]
	if !ok {
		l = rate.NewLimiter(rate.Limit(w.opts.RatePerHost), w.opts.BurstPerHost)
		w.limiters[host] = l
	}
	w.mu.Unlock()
	return l.Wait(ctx)
}

// payload is the JSON body of a delivery POST.
type payload struct {
	ID            string `json:"id"`
	Kind          string `json:"kind"`
	InquiryID     string `json:"inquiry_id"`
	IncidentID    string `json:"incident_id"`
	UpdateVersion int    `json:"update_version"`
	Locale        string `json:"locale"`
	Text          string `json:"text"`
}

// statusError is a receiver's non-2xx answer.
type statusError struct {
	code       int
	retryAfter time.Duration
}

// RetryAfter is the receiver's Retry-After, 0 if none.
func (e *statusError) RetryAfter() time.Duration { return e.retryAfter }

func (e *statusError) Error() string {
	return fmt.Sprintf("workers: receiver answered %d %s", e.code, http.StatusText(e.code))
}

// Send POSTs dl once, signed with its source's secret. It reports whether a failure may succeed later: a
// network error, 429 or 5xx may; another status will not.
func (w *webhook) Send(ctx context.Context, dl storage.Delivery) (retry bool, err error) {
	body, err := json.Marshal(payload{ID: dl.ID, Kind: dl.Kind, InquiryID: dl.InquiryID, IncidentID: dl.IncidentID,
		UpdateVersion: dl.UpdateVersion, Locale: dl.Locale, Text: dl.Text})
	if err != nil {
		return false, fmt.Errorf("workers: unable to encode delivery: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, w.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, dl.URL, bytes.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("workers: bad reply url: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "surgedesk")
	secret, ok := w.opts.Secrets[dl.Source]
	if !ok || secret == "" {
		secret = w.opts.Secret
	}
	if secret != "" {
		req.Header.Set(signature.Header, signature.Sign([]byte(secret), time.Now(), body))
	}
	resp, err := w.opts.Client.Do(req)
	if err != nil {
		// Reply URLs often carry tokens: keep them out of logs, last_error
		// and the notifications API.
		var ue *url.Error
		if errors.As(err, &ue) {
			ue.URL = withoutSecrets(ue.URL)
		}
		if errors.Is(err, errPrivateAddress) {
			return false, fmt.Errorf("workers: unable to post delivery: %w", err)
		}
		return true, fmt.Errorf("workers: unable to post delivery: %w", err)
	}
	// Drained so the connection is reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return false, nil
	}
	se := &statusError{code: resp.StatusCode, retryAfter: retryAfter(resp.Header.Get("Retry-After"), time.Now())}
	return resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500, se
}

// retryAfter parses Retry-After: seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// withoutSecrets drops the user info and query of a URL.
func withoutSecrets(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable url)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}
