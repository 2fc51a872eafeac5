package config

import (
	"net/url"
	"os"
	"time"
)

// Assist configures embeddings and LLM assist over an OpenAI-compatible API
// (OpenAI, Azure OpenAI, vLLM, Ollama, llama.cpp's server,
// text-embeddings-inference). It is off while BaseURL is empty, and never
// on the critical path: a slow, failing or absent provider changes only the
// quality of matching and grouping. See docs/assist.md.
type Assist struct {
	// BaseURL is the API root, ending in /v1 (https://api.openai.com/v1,
	// http://127.0.0.1:11434/v1 for Ollama). Empty: assist is off.
	BaseURL string `yaml:"base_url"`
	// APIKeyEnv names the environment variable holding the API key, so the
	// key itself is never in a file; local servers need none.
	APIKeyEnv string `yaml:"api_key_env"`
	// EmbeddingModel turns embeddings on (KB matching, problem grouping).
	EmbeddingModel string `yaml:"embedding_model"`
	// ChatModel turns on problem titles and suggested replies.
	ChatModel string `yaml:"chat_model"`
	// Timeout bounds one embeddings call; ChatTimeout one chat completion.
	Timeout     time.Duration `yaml:"timeout"`
	ChatTimeout time.Duration `yaml:"chat_timeout"`
	// BatchSize is the most texts sent in one embeddings call;
	// BatchLinger how long the worker waits to fill a batch.
	BatchSize   int           `yaml:"batch_size"`
	BatchLinger time.Duration `yaml:"batch_linger"`
	// RatePerSecond and Burst limit calls to the provider, per instance.
	RatePerSecond float64 `yaml:"rate_per_second"`
	Burst         int     `yaml:"burst"`
	// QueueSize bounds the texts waiting for the worker; beyond it texts
	// are dropped (and counted): they are matched lexically.
	QueueSize int `yaml:"queue_size"`
	// CacheSize bounds the embeddings kept in memory, per instance.
	CacheSize int `yaml:"cache_size"`
	// BreakerFailures consecutive failures open the circuit for
	// BreakerCooldown; then one call probes the provider again.
	BreakerFailures int           `yaml:"breaker_failures"`
	BreakerCooldown time.Duration `yaml:"breaker_cooldown"`
	// SemanticWeight is the embedding's share of the hybrid KB score
	// (0 keeps matching lexical even with embeddings on).
	SemanticWeight float64 `yaml:"semantic_weight"`
	// ProblemWeight is the embedding's share of problem grouping's
	// similarity between a cluster and a problem. 0, the default, keeps
	// grouping lexical: embeddings and the lexical topics score on other
	// scales, so a weight wants the problem threshold checked on your own
	// data first (docs/assist.md).
	ProblemWeight float64 `yaml:"problem_weight"`
}

// Enabled reports whether assist is configured.
func (a Assist) Enabled() bool { return a.BaseURL != "" }

// APIKey reads the key from the environment variable APIKeyEnv names.
func (a Assist) APIKey() string {
	if a.APIKeyEnv == "" {
		return ""
	}
	return os.Getenv(a.APIKeyEnv)
}

func defaultAssist() Assist {
	return Assist{
		APIKeyEnv:       "OPENAI_API_KEY",
		Timeout:         5 * time.Second,
		ChatTimeout:     30 * time.Second,
		BatchSize:       64,
		BatchLinger:     50 * time.Millisecond,
		RatePerSecond:   5,
		Burst:           5,
		QueueSize:       10000,
		CacheSize:       100000,
		BreakerFailures: 5,
		BreakerCooldown: 30 * time.Second,
		SemanticWeight:  0.3,
	}
}

func (a Assist) validate(bad func(string, ...any)) {
	if a.BaseURL != "" {
		if u, err := url.Parse(a.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("assist.base_url: %q is not an http(s) URL", a.BaseURL)
		}
		if a.EmbeddingModel == "" && a.ChatModel == "" {
			bad("assist: base_url is set but neither embedding_model nor chat_model is")
		}
	}
	if a.Timeout <= 0 {
		bad("assist.timeout: must be a positive duration")
	}
	if a.ChatTimeout <= 0 {
		bad("assist.chat_timeout: must be a positive duration")
	}
	if a.BatchSize < 1 || a.BatchSize > 2048 {
		bad("assist.batch_size: must be between 1 and 2048")
	}
	if a.BatchLinger < 0 {
		bad("assist.batch_linger: must not be negative")
	}
	if a.RatePerSecond <= 0 {
		bad("assist.rate_per_second: must be positive")
	}
	if a.Burst < 1 {
		bad("assist.burst: must be at least 1")
	}
	if a.QueueSize < 1 {
		bad("assist.queue_size: must be at least 1")
	}
	if a.CacheSize < 1 {
		bad("assist.cache_size: must be at least 1")
	}
	if a.BreakerFailures < 1 {
		bad("assist.breaker_failures: must be at least 1")
	}
	if a.BreakerCooldown <= 0 {
		bad("assist.breaker_cooldown: must be a positive duration")
	}
	if a.SemanticWeight < 0 || a.SemanticWeight > 1 {
		bad("assist.semantic_weight: must be in 0..1")
	}
	if a.ProblemWeight < 0 || a.ProblemWeight > 1 {
		bad("assist.problem_weight: must be in 0..1")
	}
}
