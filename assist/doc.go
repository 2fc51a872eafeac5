// Package assist is surgedesk's optional use of an OpenAI-compatible API
// (issue 9, item 3) through github.com/sashabaranov/go-openai: embeddings
// for knowledge-base matching and problem grouping, and, with a chat
// model, short problem titles and suggested replies that an agent edits
// before sending.
//
// Nothing here is on the critical path. Intake and instant answers only
// ever read the embeddings cache (Embedder.Lookup, no I/O); texts missing
// from it are queued (Embedder.Request, dropped and counted when the queue
// is full) and embedded by a worker in batches, rate-limited, behind a
// circuit breaker. A slow, failing or absent provider therefore changes
// only quality: the lexical matcher answers, nothing waits, nothing is
// lost.
//
// Only redacted text leaves the process: every text is passed through
// triage.Redact again (it is idempotent; intake already redacted it) and
// folded (Canonical) before it is hashed, cached or sent.
//
// The cache is in memory, per instance, keyed by the SHA-256 of the model
// and the canonical text. It is not shared in SQL on purpose: an embedding
// is a pure function of (model, text), losing it costs one provider call,
// never correctness, and a table of vectors would grow with every wording
// customers ever used. Each instance rebuilds what it needs as texts come.
package assist
