package assist

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	openai "github.com/sashabaranov/go-openai"
	"golang.org/x/time/rate"

	"github.com/surgedesk/surgedesk/config"
)

// ErrUnavailable is returned while the circuit breaker refuses calls, and
// ErrNotConfigured when the model a call needs is not configured: callers
// fall back to what works without a provider.
var (
	ErrUnavailable   = errors.New("assist: provider unavailable (circuit open)")
	ErrNotConfigured = errors.New("assist: not configured")
)

// Client calls an OpenAI-compatible API through go-openai, rate-limited,
// with a timeout on every call and a circuit breaker in front.
type Client struct {
	api     *openai.Client
	cfg     config.Assist
	limiter *rate.Limiter
	breaker *breaker
	metrics *metrics
}

// NewClient returns a client for cfg (cfg.Enabled() must hold). reg may be
// nil. apiKey is usually cfg.APIKey(); local servers need none.
func NewClient(cfg config.Assist, apiKey string, reg prometheus.Registerer) *Client {
	oc := openai.DefaultConfig(apiKey)
	oc.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	// Each call has its own context deadline; the transport's are only a
	// backstop against a connection that hangs.
	oc.HTTPClient = &http.Client{Timeout: max(cfg.Timeout, cfg.ChatTimeout) + 5*time.Second}
	return &Client{
		api:     openai.NewClientWithConfig(oc),
		cfg:     cfg,
		limiter: rate.NewLimiter(rate.Limit(cfg.RatePerSecond), cfg.Burst),
		breaker: newBreaker(cfg.BreakerFailures, cfg.BreakerCooldown),
		metrics: newMetrics(reg),
	}
}

// EmbeddingModel is the configured embedding model ("" when off).
func (c *Client) EmbeddingModel() string { return c.cfg.EmbeddingModel }

// ChatModel is the configured chat model ("" when off).
func (c *Client) ChatModel() string { return c.cfg.ChatModel }

// Embed returns one unit-length vector per text, in order. The texts are
// cleaned (redacted, folded) before they are sent.
func (c *Client) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if c.cfg.EmbeddingModel == "" {
		return nil, ErrNotConfigured
	}
	input := make([]string, len(texts))
	for i, t := range texts {
		input[i] = Canonical(t)
	}
	var resp openai.EmbeddingResponse
	err := c.call(ctx, "embeddings", c.cfg.Timeout, func(ctx context.Context) error {
		var err error
		resp, err = c.api.CreateEmbeddings(ctx, openai.EmbeddingRequestStrings{
			Input: input, Model: openai.EmbeddingModel(c.cfg.EmbeddingModel)})
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([][]float32, len(texts))
	for _, d := range resp.Data {
		if d.Index < 0 || d.Index >= len(out) || len(d.Embedding) == 0 {
			return nil, fmt.Errorf("assist: embeddings response has an entry with index %d for %d texts", d.Index, len(texts))
		}
		out[d.Index] = unit(d.Embedding)
	}
	for i, v := range out {
		if v == nil {
			return nil, fmt.Errorf("assist: embeddings response lacks text %d of %d", i, len(texts))
		}
	}
	return out, nil
}

// chat sends one system and one user message and returns the reply's text.
func (c *Client) chat(ctx context.Context, system, user string, maxTokens int) (string, error) {
	if c.cfg.ChatModel == "" {
		return "", ErrNotConfigured
	}
	var resp openai.ChatCompletionResponse
	err := c.call(ctx, "chat", c.cfg.ChatTimeout, func(ctx context.Context) error {
		var err error
		resp, err = c.api.CreateChatCompletion(ctx, openai.ChatCompletionRequest{
			Model:       c.cfg.ChatModel,
			MaxTokens:   maxTokens,
			Temperature: 0.2,
			Messages: []openai.ChatCompletionMessage{
				{Role: openai.ChatMessageRoleSystem, Content: system},
				{Role: openai.ChatMessageRoleUser, Content: user},
			},
		})
		return err
	})
	if err != nil {
		return "", err
	}
	if len(resp.Choices) == 0 {
		return "", errors.New("assist: chat response has no choices")
	}
	return resp.Choices[0].Message.Content, nil
}

// call runs one provider call under the breaker, the rate limit and the
// timeout, and records it.
func (c *Client) call(ctx context.Context, op string, timeout time.Duration, fn func(context.Context) error) error {
	if !c.breaker.allow() {
		c.metrics.calls.WithLabelValues(op, "breaker_open").Inc()
		c.metrics.open.Set(1)
		return ErrUnavailable
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := c.limiter.Wait(ctx); err != nil {
		// Not the provider's fault: the call never went out.
		c.breaker.release()
		c.metrics.calls.WithLabelValues(op, "timeout").Inc()
		return fmt.Errorf("assist: %s: waiting for the rate limit: %w", op, err)
	}
	start := time.Now()
	err := fn(ctx)
	c.metrics.latency.WithLabelValues(op).Observe(time.Since(start).Seconds())
	c.breaker.done(err == nil)
	c.metrics.calls.WithLabelValues(op, result(err)).Inc()
	c.metrics.open.Set(map[bool]float64{true: 1}[c.breaker.open()])
	if err != nil {
		return fmt.Errorf("assist: %s: %w", op, err)
	}
	return nil
}

// result names an outcome for the calls metric.
func result(err error) string {
	var apiErr *openai.APIError
	var reqErr *openai.RequestError
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.As(err, &apiErr) && apiErr.HTTPStatusCode == http.StatusTooManyRequests,
		errors.As(err, &reqErr) && reqErr.HTTPStatusCode == http.StatusTooManyRequests:
		return "rate_limited"
	}
	return "error"
}

// unit scales v to length 1, so that a dot product is a cosine.
func unit(v []float32) []float32 {
	var norm float64
	for _, x := range v {
		norm += float64(x) * float64(x)
	}
	if norm == 0 {
		return v
	}
	inv := float32(1 / math.Sqrt(norm))
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = x * inv
	}
	return out
}

// Cosine is the dot product of two unit vectors (0 when the lengths differ).
func Cosine(a, b []float32) float64 {
	if len(a) != len(b) {
		return 0
	}
	var s float32
	for i := range a {
		s += a[i] * b[i]
	}
	return float64(s)
}
