package assist

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Suggestion is a chat model's draft for one cluster or problem: a short
// title in Korean and English and a reply to all its customers, in both
// languages. It is a draft: an agent edits and sends it; nothing sends it
// on its own.
type Suggestion struct {
	TitleKO string `json:"title_ko"`
	TitleEN string `json:"title_en"`
	ReplyKO string `json:"reply_ko"`
	ReplyEN string `json:"reply_en"`
	Model   string `json:"model"`
}

// Limits on what a suggestion may hold, in characters.
const (
	maxTitle   = 80
	maxReply   = 1200
	maxSamples = 12
)

const suggestSystem = `You help a customer-support desk during outages. You get messages from customers that are about one problem; secrets were replaced by placeholders such as [CARD] or [PHONE].
Answer with one JSON object and nothing else:
{"title_ko": "...", "title_en": "...", "reply_ko": "...", "reply_en": "..."}
- title_ko / title_en: what the problem is, in at most 8 words, in Korean and in English, no customer details.
- reply_ko / reply_en: a short, polite reply that a support agent can send to all these customers at once, in Korean (존댓말) and in English: acknowledge the problem, say the team is looking into it. Promise no time, refund or cause. No placeholders, no names.`

// Suggest asks the chat model for a title and a reply for the problem that
// samples (already redacted member texts) show. Texts are cleaned again
// before they are sent.
func (c *Client) Suggest(ctx context.Context, samples []string) (Suggestion, error) {
	var b strings.Builder
	n := 0
	for _, s := range samples {
		s = Clean(s)
		if s == "" {
			continue
		}
		fmt.Fprintf(&b, "%d. %s\n", n+1, s)
		if n++; n == maxSamples {
			break
		}
	}
	if n == 0 {
		return Suggestion{}, errors.New("assist: nothing to suggest from")
	}
	out, err := c.chat(ctx, suggestSystem, "Customer messages:\n"+b.String(), 600)
	if err != nil {
		return Suggestion{}, err
	}
	s, err := parseSuggestion(out)
	if err != nil {
		return Suggestion{}, err
	}
	s.Model = c.cfg.ChatModel
	return s, nil
}

// parseSuggestion reads the JSON object in a model's reply, tolerating
// prose or a code fence around it, and bounds every field.
func parseSuggestion(reply string) (Suggestion, error) {
	start, end := strings.Index(reply, "{"), strings.LastIndex(reply, "}")
	if start < 0 || end < start {
		return Suggestion{}, errors.New("assist: the chat model's reply holds no JSON object")
	}
	var s Suggestion
	if err := json.Unmarshal([]byte(reply[start:end+1]), &s); err != nil {
		return Suggestion{}, fmt.Errorf("assist: the chat model's reply is not the JSON asked for: %w", err)
	}
	s.TitleKO, s.TitleEN = cut(s.TitleKO, maxTitle), cut(s.TitleEN, maxTitle)
	s.ReplyKO, s.ReplyEN = cut(s.ReplyKO, maxReply), cut(s.ReplyEN, maxReply)
	if s.TitleKO == "" && s.TitleEN == "" && s.ReplyKO == "" && s.ReplyEN == "" {
		return Suggestion{}, errors.New("assist: the chat model's reply is empty")
	}
	return s, nil
}

// cut trims s and bounds it to n characters, on a character boundary.
func cut(s string, n int) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return strings.TrimSpace(string([]rune(s)[:n-1])) + "…"
}

// Suggester caches suggestions, so agents reopening a problem do not pay
// for a new completion each time: a draft is kept for ttl per problem.
type Suggester struct {
	client *Client
	ttl    time.Duration
	now    func() time.Time

	mu    sync.Mutex
	cache map[string]cachedSuggestion
}

type cachedSuggestion struct {
	s  Suggestion
	at time.Time
}

// maxCachedSuggestions bounds the cache; past it, it starts over.
const maxCachedSuggestions = 1000

// NewSuggester returns a Suggester over client; it needs a chat model.
func NewSuggester(client *Client, ttl time.Duration) *Suggester {
	return &Suggester{client: client, ttl: ttl, now: time.Now, cache: map[string]cachedSuggestion{}}
}

// Cached returns the draft cached under key if it is younger than the
// ttl, without asking the model.
func (s *Suggester) Cached(key string) (Suggestion, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.cache[key]
	if !ok || s.now().Sub(c.at) >= s.ttl {
		return Suggestion{}, false
	}
	return c.s, true
}

// Suggest returns the draft cached under key (a cluster's or problem's id)
// if it is younger than the ttl, or asks the model with samples.
func (s *Suggester) Suggest(ctx context.Context, key string, samples []string) (Suggestion, error) {
	if c, ok := s.Cached(key); ok {
		return c, nil
	}
	sug, err := s.client.Suggest(ctx, samples)
	if err != nil {
		return Suggestion{}, err
	}
	s.mu.Lock()
	if len(s.cache) >= maxCachedSuggestions {
		s.cache = map[string]cachedSuggestion{}
	}
	s.cache[key] = cachedSuggestion{s: sug, at: s.now()}
	s.mu.Unlock()
	return sug, nil
}
