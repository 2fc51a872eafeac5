package assist

import (
	"container/list"
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// embedClient is the part of Client the Embedder uses.
type embedClient interface {
	Embed(ctx context.Context, texts []string) ([][]float32, error)
}

// Embedder keeps the embeddings of texts seen: Lookup reads the cache and
// never waits; Request queues what is missing for the worker (Run), which
// embeds in batches. Vectors embeds at once, for callers off the intake
// path (a knowledge base being loaded, eval).
type Embedder struct {
	client embedClient
	model  string
	batch  int
	linger time.Duration
	log    *slog.Logger
	m      *metrics

	queue chan string // canonical texts

	mu     sync.Mutex
	cache  *lru
	queued map[string]bool // keys queued or in flight: a surge of one wording queues it once
}

// EmbedderOptions sizes an Embedder.
type EmbedderOptions struct {
	Model     string // part of every cache key
	BatchSize int
	Linger    time.Duration
	QueueSize int
	CacheSize int
}

// NewEmbedder returns an Embedder over client; start Run to serve
// Requests. A *Client's metrics are shared.
func NewEmbedder(client embedClient, opts EmbedderOptions, log *slog.Logger) *Embedder {
	m := (*metrics)(nil)
	if c, ok := client.(*Client); ok {
		m = c.metrics
	} else {
		m = newMetrics(nil)
	}
	return &Embedder{client: client, model: opts.Model, batch: max(opts.BatchSize, 1), linger: opts.Linger,
		log: log, m: m, queue: make(chan string, max(opts.QueueSize, 1)),
		cache: newLRU(max(opts.CacheSize, 1)), queued: map[string]bool{}}
}

// Lookup returns text's embedding if it is cached. It does no I/O.
func (e *Embedder) Lookup(text string) ([]float32, bool) {
	key := Key(e.model, text)
	e.mu.Lock()
	v, ok := e.cache.get(key)
	e.mu.Unlock()
	if ok {
		e.m.cache.WithLabelValues("hit").Inc()
	} else {
		e.m.cache.WithLabelValues("miss").Inc()
	}
	return v, ok
}

// Request queues the texts not yet cached for the worker. It never waits:
// when the queue is full the text is dropped (and counted), and is matched
// lexically.
func (e *Embedder) Request(texts ...string) {
	for _, t := range texts {
		c := Canonical(t)
		if c == "" {
			continue
		}
		key := Key(e.model, c)
		e.mu.Lock()
		_, cached := e.cache.get(key)
		skip := cached || e.queued[key]
		if !skip {
			e.queued[key] = true
		}
		e.mu.Unlock()
		if skip {
			continue
		}
		select {
		case e.queue <- c:
		default:
			e.mu.Lock()
			delete(e.queued, key)
			e.mu.Unlock()
			e.m.dropped.Inc()
		}
	}
}

// Run embeds queued texts in batches until ctx ends. A failed batch is
// given up (logged, counted by the client): its texts stay lexical until
// requested again, and the breaker keeps a dead endpoint from being
// hammered.
func (e *Embedder) Run(ctx context.Context) error {
	for {
		var first string
		select {
		case <-ctx.Done():
			return nil
		case first = <-e.queue:
		}
		batch := []string{first}
		timer := time.NewTimer(e.linger)
	fill:
		for len(batch) < e.batch {
			select {
			case t := <-e.queue:
				batch = append(batch, t)
			case <-timer.C:
				break fill
			case <-ctx.Done():
				timer.Stop()
				return nil
			}
		}
		timer.Stop()
		if err := e.embed(ctx, batch); err != nil && ctx.Err() == nil {
			// An open circuit refuses every batch: logged once, when it
			// opened (the failure before), not once per batch.
			level := slog.LevelWarn
			if errors.Is(err, ErrUnavailable) {
				level = slog.LevelDebug
			}
			e.log.Log(ctx, level, "embeddings not computed; those texts are matched lexically", "texts", len(batch), "err", err)
		}
		e.mu.Lock()
		for _, t := range batch {
			delete(e.queued, Key(e.model, t))
		}
		e.mu.Unlock()
	}
}

// Vectors returns the embedding of every text, from the cache or from the
// provider now (in batches). It waits, so it is for callers off the intake
// path.
func (e *Embedder) Vectors(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	var missing []string
	index := map[string][]int{}
	e.mu.Lock()
	for i, t := range texts {
		c := Canonical(t)
		key := Key(e.model, c)
		if v, ok := e.cache.get(key); ok {
			out[i] = v
			continue
		}
		if _, seen := index[c]; !seen {
			missing = append(missing, c)
		}
		index[c] = append(index[c], i)
	}
	e.mu.Unlock()
	for start := 0; start < len(missing); start += e.batch {
		batch := missing[start:min(start+e.batch, len(missing))]
		if err := e.embed(ctx, batch); err != nil {
			return nil, err
		}
		e.mu.Lock()
		for _, c := range batch {
			v, _ := e.cache.get(Key(e.model, c))
			for _, i := range index[c] {
				out[i] = v
			}
		}
		e.mu.Unlock()
	}
	return out, nil
}

// embed calls the provider for canonical texts and caches the vectors.
func (e *Embedder) embed(ctx context.Context, texts []string) error {
	vecs, err := e.client.Embed(ctx, texts)
	if err != nil {
		return err
	}
	e.mu.Lock()
	for i, t := range texts {
		e.cache.put(Key(e.model, t), vecs[i])
	}
	e.mu.Unlock()
	return nil
}

// lru is a bounded map that forgets the least recently used entry.
type lru struct {
	size  int
	order *list.List // front: most recent
	items map[string]*list.Element
}

type lruItem struct {
	key string
	vec []float32
}

func newLRU(size int) *lru {
	return &lru{size: size, order: list.New(), items: map[string]*list.Element{}}
}

func (c *lru) get(key string) ([]float32, bool) {
	el, ok := c.items[key]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*lruItem).vec, true
}

func (c *lru) put(key string, vec []float32) {
	if el, ok := c.items[key]; ok {
		el.Value.(*lruItem).vec = vec
		c.order.MoveToFront(el)
		return
	}
	c.items[key] = c.order.PushFront(&lruItem{key: key, vec: vec})
	if c.order.Len() > c.size {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.items, last.Value.(*lruItem).key)
	}
}
