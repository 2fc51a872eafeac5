// Package workers holds surgedesk's background work, shared between
// instances through JetStream and SQL:
//
//   - Ingest consumes the inquiry stream: it clusters each inquiry, stores
//     it in batched transactions, queues its replies, and acknowledges
//     only after the commit, dead-lettering (bus.DeadLetters) what can
//     never be stored. RestoreClusters and FollowClusters keep every
//     instance's clusterer in step with SQL and with the others.
//   - FollowUp queues an incident update for every customer who asked
//     about it; RunFollowUpOwed catches up on updates a crash left owed.
//   - Deliver sends the queued replies (instant answers, agents' replies,
//     follow-ups) through a Channel per reply_url scheme: a signed webhook
//     POST by default, Slack threads when configured. It leases, retries
//     with backoff and records each delivery's status in SQL.
//
// Each worker's Run blocks until its context ends, then drains:
//
//	ingest := workers.NewIngest(b.JetStream, db, clusters, bus.NewDeadLetters(b.JetStream), opts, log, reg)
//	go ingest.Run(ctx)
package workers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/surgedesk/surgedesk/bus"
	"github.com/surgedesk/surgedesk/kb"
	"github.com/surgedesk/surgedesk/storage"
	"github.com/surgedesk/surgedesk/triage"
)

// inquiryStore is the part of storage the Ingest worker needs.
type inquiryStore interface {
	StoreInquiries(ctx context.Context, batch []storage.Inquiry, clusters []storage.Cluster) (map[string]bool, error)
	StoredIDs(ctx context.Context, ids []string) (map[string]bool, error)
	RaiseAlert(ctx context.Context, a storage.Alert) (bool, error)
	Problem(ctx context.Context, id string) (storage.Problem, error)
	EnqueueDeliveries(ctx context.Context, ds []storage.Delivery) (int, error)
	Incident(ctx context.Context, id string) (kb.Incident, error)
	ClusterReplies(ctx context.Context, clusterIDs []string) (map[string]storage.Reply, error)
	Ping(ctx context.Context) error
}

// IngestOptions tune the Ingest worker.
type IngestOptions struct {
	BatchSize   int           // messages per SQL transaction at most
	BatchLinger time.Duration // how long a partial batch waits for more
	MaxAttempts int           // deliveries before a message is dead-lettered
	AckWait     time.Duration // redelivery after this long without an ack
	MaxBackoff  time.Duration // longest delay between attempts
	// Instance names this process in cluster announcements, so that it
	// skips its own.
	Instance string
	// Kick, when set, wakes the outbound sender after deliveries are queued.
	Kick func()
	// SurgePerMinute and SurgeMinCustomers raise a cluster as a possible
	// incident; SurgePerMinute 0 turns that off.
	SurgePerMinute    float64
	SurgeMinCustomers int
	// ConsumerCheck is how often the worker makes sure its consumer still
	// exists (2s when zero).
	ConsumerCheck time.Duration
}

// Ingest consumes the inquiry stream and stores inquiries in batched
// transactions, acknowledging each message only after its commit.
type Ingest struct {
	js       jetstream.JetStream
	db       inquiryStore
	clusters clusterer
	problems Grouper // nil: clusters are not grouped into problems
	opts     IngestOptions
	log      *slog.Logger
	metrics  ingestMetrics
	dead     *bus.DeadLetters

	// alerted holds clusters that need no more surge checks; only the
	// store stage's goroutine touches it.
	alerted map[string]bool
	// written remembers the placements committed, so that a batch writes
	// only those that changed.
	written placements

	// afterCommit, when set (tests), runs between commit and ack; returning
	// false skips the acks, as a crash at that point would.
	afterCommit func(n int) bool
}

type ingestMetrics struct {
	commit    prometheus.Histogram
	batchSize prometheus.Histogram
	stored    prometheus.Counter
	redeliv   prometheus.Counter
	failures  *prometheus.CounterVec
	lag       prometheus.Gauge
}

// NewIngest returns an Ingest worker; its metrics are registered on reg.
func NewIngest(js jetstream.JetStream, db inquiryStore, clusters clusterer, dead *bus.DeadLetters, opts IngestOptions, log *slog.Logger, reg prometheus.Registerer) *Ingest {
	m := ingestMetrics{
		commit: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "surgedesk_store_batch_commit_seconds", Help: "Time to store one batch in SQL, commit included.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "surgedesk_store_batch_size", Help: "Inquiries per stored batch.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 15), // to 16,384: workers.batch_size is 10,000 at most
		}),
		stored:   prometheus.NewCounter(prometheus.CounterOpts{Name: "surgedesk_stored_total", Help: "Inquiries newly stored in SQL by this instance."}),
		redeliv:  prometheus.NewCounter(prometheus.CounterOpts{Name: "surgedesk_store_redelivered_total", Help: "Messages delivered more than once (crash or failure before the ack)."}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "surgedesk_store_errors_total", Help: "Ingest worker errors by kind."}, []string{"kind"}),
		lag:      prometheus.NewGauge(prometheus.GaugeOpts{Name: "surgedesk_consumer_lag", Help: "Inquiries accepted but not yet stored (pending plus unacknowledged)."}),
	}
	if reg != nil {
		reg.MustRegister(m.commit, m.batchSize, m.stored, m.redeliv, m.failures, m.lag)
	}
	return &Ingest{js: js, db: db, clusters: clusters, dead: dead, opts: opts, log: log, metrics: m, alerted: map[string]bool{}}
}

// Run consumes until ctx is cancelled, then drains: messages already
// received are stored and acknowledged before Run returns.
//
// A NATS restart or a node's death must not stop storing, so Run never
// gives up on its consumer: creating it is retried until NATS answers, and
// a consumer found gone (deleted, or lost with a node) is created again.
func (s *Ingest) Run(ctx context.Context) error {
	msgs := make(chan jetstream.Msg, s.opts.BatchSize*2)
	// done closes when consuming has stopped for good: ctx ended and the
	// consumer drained, or given up on because NATS is gone (a drain then
	// never completes; whatever is unacknowledged is redelivered after
	// AckWait anyway).
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.consume(ctx, msgs)
	}()

	// Storing must finish even while shutting down, so it gets its own
	// context, bounded per database call.
	work := context.WithoutCancel(ctx)
	// Two stages: a full batch is decoded and clustered (CPU) while the
	// one before it is committed (the database), in order, one at a time.
	// A batch short of full waits for the commit instead, filling up
	// meanwhile: under a light load batches grow while a commit runs, as
	// with one stage, and fewer, larger commits leave intake more CPU.
	prepared := make(chan preparedBatch)
	free := make(chan struct{}, 1) // the store stage's turn, held by whoever may hand it a batch
	free <- struct{}{}
	stored := make(chan struct{})
	go func() {
		defer close(stored)
		for b := range prepared {
			s.store(work, ctx.Done(), b)
			free <- struct{}{}
		}
	}()
	defer func() {
		close(prepared)
		<-stored
	}()
	handOver := func(batch []jetstream.Msg) {
		batch, turn := s.fill(batch, msgs, free)
		b, ok := s.prepare(work, batch)
		if !turn {
			<-free
		}
		if !ok {
			free <- struct{}{}
			return
		}
		prepared <- b
	}
	batch := make([]jetstream.Msg, 0, s.opts.BatchSize)
	for {
		select {
		case m := <-msgs:
			handOver(s.collect(append(batch[:0], m), msgs))
		case <-done:
			for {
				batch = batch[:0]
				for len(batch) < s.opts.BatchSize && len(msgs) > 0 {
					batch = append(batch, <-msgs)
				}
				if len(batch) == 0 {
					break
				}
				handOver(batch)
			}
			return nil
		}
	}
}

// fill adds messages to batch until it is full or the store stage is free;
// turn says whether it took the store stage's turn.
func (s *Ingest) fill(batch []jetstream.Msg, msgs <-chan jetstream.Msg, free <-chan struct{}) ([]jetstream.Msg, bool) {
	for len(batch) < s.opts.BatchSize {
		select {
		case <-free:
			return batch, true
		case m := <-msgs:
			batch = append(batch, m)
		}
	}
	return batch, false
}

// preparedBatch is a batch decoded and clustered, waiting for its commit.
type preparedBatch struct {
	rows     []storage.Inquiry
	msgs     []jetstream.Msg // rows[i] came in msgs[i]
	clusters []storage.Cluster
}

// consume feeds msgs from the durable consumer until ctx ends, creating
// the consumer again whenever it stops or is found gone.
func (s *Ingest) consume(ctx context.Context, msgs chan<- jetstream.Msg) {
	for attempt := 0; ; attempt++ {
		cons, cc, err := s.subscribe(ctx, msgs)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			s.metrics.failures.WithLabelValues("consumer").Inc()
			if attempt == 0 {
				s.log.Error("unable to consume inquiries; retrying until NATS answers", "err", err)
			} else {
				s.log.Debug("store consumer retry", "attempt", attempt, "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(min(time.Duration(1<<min(attempt, 6))*100*time.Millisecond, 5*time.Second)):
			}
			continue
		}
		if attempt > 0 {
			s.log.Info("consuming inquiries again", "consumer", bus.InquiryConsumer)
		}
		attempt = -1
		if s.watch(ctx, cons, cc) {
			return
		}
		s.metrics.failures.WithLabelValues("consumer").Inc()
		s.log.Error("store consumer stopped or vanished; creating it again", "consumer", bus.InquiryConsumer)
	}
}

// subscribe creates (or finds) the durable consumer and starts consuming.
// Each call to NATS is bounded: a request sent just before NATS went away
// is never answered, and an unbounded wait would stop storing for good.
func (s *Ingest) subscribe(ctx context.Context, msgs chan<- jetstream.Msg) (jetstream.Consumer, jetstream.ConsumeContext, error) {
	cctx, cancel := context.WithTimeout(ctx, natsCallTimeout)
	defer cancel()
	cons, err := s.js.CreateOrUpdateConsumer(cctx, bus.InquiryStream, jetstream.ConsumerConfig{
		Durable:       bus.InquiryConsumer,
		Description:   "stores accepted inquiries in SQL",
		FilterSubject: bus.InquirySubject,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       s.opts.AckWait,
		MaxDeliver:    -1, // the worker itself dead-letters after MaxAttempts
		MaxAckPending: s.opts.BatchSize * 8,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("workers: unable to create consumer %s: %w", bus.InquiryConsumer, err)
	}
	cc, err := cons.Consume(func(m jetstream.Msg) { msgs <- m },
		jetstream.PullMaxMessages(s.opts.BatchSize*2),
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			s.log.Debug("store consumer", "err", err)
		}))
	if err != nil {
		return nil, nil, fmt.Errorf("workers: unable to consume: %w", err)
	}
	return cons, cc, nil
}

// natsCallTimeout bounds each of the worker's own requests to JetStream.
const natsCallTimeout = 5 * time.Second

// watch keeps the lag gauge and checks every few seconds that the
// consumer still exists: after a restart that lost it, the client would
// otherwise pull from nothing forever. It returns true once ctx ended and
// the consumer is drained, false when the consumer must be made again.
func (s *Ingest) watch(ctx context.Context, cons jetstream.Consumer, cc jetstream.ConsumeContext) bool {
	t := time.NewTicker(s.checkEvery())
	defer t.Stop()
	for {
		select {
		case <-cc.Closed():
			return ctx.Err() != nil
		case <-ctx.Done():
			cc.Drain()
			select {
			case <-cc.Closed():
			case <-time.After(2 * time.Second):
			}
			return true
		case <-t.C:
			ictx, cancel := context.WithTimeout(ctx, natsCallTimeout)
			info, err := cons.Info(ictx)
			cancel()
			switch {
			case err == nil:
				s.metrics.lag.Set(float64(info.NumPending) + float64(info.NumAckPending))
			case errors.Is(err, jetstream.ErrConsumerNotFound), errors.Is(err, jetstream.ErrStreamNotFound):
				cc.Stop()
				return false
			}
		}
	}
}

func (s *Ingest) checkEvery() time.Duration {
	if s.opts.ConsumerCheck > 0 {
		return s.opts.ConsumerCheck
	}
	return 2 * time.Second
}

// collect adds messages until the batch is full or BatchLinger has passed.
func (s *Ingest) collect(batch []jetstream.Msg, msgs <-chan jetstream.Msg) []jetstream.Msg {
	var timeout <-chan time.Time
	for len(batch) < s.opts.BatchSize {
		select {
		case m := <-msgs:
			batch = append(batch, m)
			continue
		default:
		}
		if s.opts.BatchLinger <= 0 {
			return batch
		}
		if timeout == nil {
			timeout = time.After(s.opts.BatchLinger)
		}
		select {
		case m := <-msgs:
			batch = append(batch, m)
		case <-timeout:
			return batch
		}
	}
	return batch
}

// prepare is the pipeline's first stage: decode → dedupe → skip stored →
// assign. false: nothing is left to store.
func (s *Ingest) prepare(ctx context.Context, msgs []jetstream.Msg) (preparedBatch, bool) {
	rows, ok := s.decodeAll(ctx, msgs)
	rows, ok, copies := dedupe(rows, ok)
	// Copies are acknowledged now: the first copy of each is still
	// unacknowledged until it is stored, and is redelivered if it is not.
	s.ackAll(copies)
	rows, ok = s.skipStored(ctx, rows, ok)
	if len(rows) == 0 {
		return preparedBatch{}, false
	}
	// Assigned once per batch: a retried commit stores the same decision.
	return preparedBatch{rows: rows, msgs: ok, clusters: s.assign(rows)}, true
}

// store is the pipeline's second stage: commit → queue replies → ack →
// announce → raise surges. Nothing is acknowledged before it is committed
// and its replies queued.
func (s *Ingest) store(ctx context.Context, stop <-chan struct{}, b preparedBatch) {
	rows, ok, clusters := b.rows, b.msgs, b.clusters
	inserted, err := s.commit(ctx, stop, rows, ok, clusters)
	switch {
	case errors.Is(err, errStopping):
		return // unacknowledged: redelivered after AckWait
	case err != nil:
		s.commitEach(ctx, rows, ok, clusters)
		return
	}
	s.written.record(clusters)
	if s.afterCommit != nil && !s.afterCommit(len(inserted)) {
		return
	}
	// Before the acks: a crash or a failure in between leaves the batch to
	// be redelivered, and the redelivery (already stored) queues again,
	// idempotently.
	if err := s.queueReplies(ctx, rows); err != nil {
		return
	}
	s.ackAll(ok)
	s.announce(rows, inserted)
	s.raiseSurges(ctx, rows, inserted)
}

// decodeAll decodes each message into a row; one that cannot be decoded
// never will be, so it is dead-lettered at once, with no retries.
func (s *Ingest) decodeAll(ctx context.Context, msgs []jetstream.Msg) ([]storage.Inquiry, []jetstream.Msg) {
	rows := make([]storage.Inquiry, 0, len(msgs))
	ok := make([]jetstream.Msg, 0, len(msgs))
	for _, m := range msgs {
		row, err := decode(m)
		if err != nil {
			s.metrics.failures.WithLabelValues("decode").Inc()
			s.deadLetter(ctx, m, err)
			continue
		}
		rows = append(rows, row)
		ok = append(ok, m)
	}
	return rows, ok
}

// dedupe keeps the first copy of each inquiry in the batch. Later copies
// (a redelivery, a keyed retry past the duplicate window, a replay) are
// acknowledged with the batch but neither clustered nor counted.
func dedupe(rows []storage.Inquiry, msgs []jetstream.Msg) (kept []storage.Inquiry, keptMsgs, copies []jetstream.Msg) {
	seen := make(map[string]bool, len(rows))
	kept, keptMsgs = rows[:0:0], msgs[:0:0]
	for i, row := range rows {
		if seen[row.ID] {
			copies = append(copies, msgs[i])
			continue
		}
		seen[row.ID] = true
		kept, keptMsgs = append(kept, row), append(keptMsgs, msgs[i])
	}
	return kept, keptMsgs, copies
}

// errStopping ends a commit held through a database outage at shutdown.
var errStopping = errors.New("workers: stopping with the database unreachable")

// commit stores the batch in one transaction. While the database is down
// (not the messages' fault) it holds the batch, kept ours with InProgress,
// and retries, so no delivery is spent and nothing is dead-lettered for an
// outage; it gives up with errStopping when stop closes. Any other error
// means a row the database refuses: the caller stores them one by one.
func (s *Ingest) commit(ctx context.Context, stop <-chan struct{}, rows []storage.Inquiry, msgs []jetstream.Msg, clusters []storage.Cluster) (map[string]bool, error) {
	for outage := 0; ; outage++ {
		start := time.Now()
		inserted, err := s.storeRows(ctx, rows, clusters)
		if err == nil {
			s.metrics.commit.Observe(time.Since(start).Seconds())
			s.metrics.batchSize.Observe(float64(len(rows)))
			s.metrics.stored.Add(float64(len(inserted)))
			return inserted, nil
		}
		s.metrics.failures.WithLabelValues("batch").Inc()
		// Keep the batch ours while finding out why: a hanging database
		// must not let AckWait pass and the batch go to another instance.
		s.inProgress(msgs)
		perr := s.ping(ctx)
		if perr == nil {
			return nil, err
		}
		if outage == 0 {
			s.log.Error("database unreachable; holding the batch until it is back", "err", perr, "batch", len(msgs))
		}
		wait := min(time.Duration(1<<min(outage, 10))*50*time.Millisecond, s.opts.MaxBackoff, s.opts.AckWait/2)
		select {
		case <-stop:
			return nil, errStopping
		case <-time.After(wait):
		}
		s.inProgress(msgs)
	}
}

// commitEach stores rows one by one so a single bad row does not hold back
// the rest; each is acknowledged once stored and its replies queued.
func (s *Ingest) commitEach(ctx context.Context, rows []storage.Inquiry, msgs []jetstream.Msg, clusters []storage.Cluster) {
	for i, m := range msgs {
		inserted, err := s.storeRows(ctx, rows[i:i+1], clusters)
		if err != nil {
			s.metrics.failures.WithLabelValues("row").Inc()
			s.retryOrDeadLetter(ctx, m, err)
			continue
		}
		s.metrics.stored.Add(float64(len(inserted)))
		if err := s.queueReplies(ctx, rows[i:i+1]); err != nil {
			continue // redelivered, found stored, queued again
		}
		s.ack(m)
		s.announce(rows[i:i+1], inserted)
	}
}

func (s *Ingest) inProgress(msgs []jetstream.Msg) {
	for _, m := range msgs {
		_ = m.InProgress()
	}
}

func (s *Ingest) ackAll(msgs []jetstream.Msg) {
	for _, m := range msgs {
		s.ack(m)
	}
}

// skipStored acknowledges redelivered messages whose inquiry is already
// stored (a crash or a lost ack after the commit) and returns the rest, so
// that a redelivery is not clustered a second time in memory.
func (s *Ingest) skipStored(ctx context.Context, rows []storage.Inquiry, msgs []jetstream.Msg) ([]storage.Inquiry, []jetstream.Msg) {
	var again []string
	for i, m := range msgs {
		if md, err := m.Metadata(); err == nil && md.NumDelivered > 1 {
			again = append(again, rows[i].ID)
		}
	}
	if len(again) == 0 {
		return rows, msgs
	}
	ctx, cancel := context.WithTimeout(ctx, s.callTimeout())
	defer cancel()
	stored, err := s.db.StoredIDs(ctx, again)
	if err != nil || len(stored) == 0 {
		return rows, msgs // the insert skips them anyway
	}
	keptRows, keptMsgs := rows[:0:0], msgs[:0:0]
	var done []storage.Inquiry
	for i, r := range rows {
		if stored[r.ID] {
			done = append(done, r)
			continue
		}
		keptRows, keptMsgs = append(keptRows, r), append(keptMsgs, msgs[i])
	}
	// Stored before a crash, perhaps before their answers were queued:
	// acknowledged only once their answers are.
	if err := s.queueReplies(ctx, done); err == nil {
		for i, r := range rows {
			if stored[r.ID] {
				s.ack(msgs[i])
			}
		}
	}
	return keptRows, keptMsgs
}

// storeRows and ping bound each database call well inside AckWait.
func (s *Ingest) storeRows(ctx context.Context, rows []storage.Inquiry, clusters []storage.Cluster) (map[string]bool, error) {
	ctx, cancel := context.WithTimeout(ctx, s.callTimeout())
	defer cancel()
	return s.db.StoreInquiries(ctx, rows, clusters)
}

func (s *Ingest) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.callTimeout())
	defer cancel()
	return s.db.Ping(ctx)
}

// callTimeout lets a failed store and the ping after it both end well
// within AckWait, so the InProgress that follows arrives in time.
func (s *Ingest) callTimeout() time.Duration { return min(30*time.Second, s.opts.AckWait/4) }

func (s *Ingest) ack(m jetstream.Msg) {
	if md, err := m.Metadata(); err == nil && md.NumDelivered > 1 {
		s.metrics.redeliv.Inc()
	}
	if err := m.Ack(); err != nil {
		// Redelivery follows; the insert is idempotent.
		s.log.Warn("ack failed", "err", err)
	}
}

func (s *Ingest) retryOrDeadLetter(ctx context.Context, m jetstream.Msg, cause error) {
	md, err := m.Metadata()
	if err != nil || int(md.NumDelivered) >= s.opts.MaxAttempts {
		s.deadLetter(ctx, m, cause)
		return
	}
	delay := time.Duration(1<<min(md.NumDelivered, 16)) * 100 * time.Millisecond
	s.log.Warn("store failed; will retry", "attempt", md.NumDelivered, "delay", min(delay, s.opts.MaxBackoff), "err", cause)
	_ = m.NakWithDelay(min(delay, s.opts.MaxBackoff))
}

func (s *Ingest) deadLetter(ctx context.Context, m jetstream.Msg, cause error) {
	if err := s.dead.Add(ctx, m, cause); err != nil {
		s.log.Error("dead-lettering failed; will retry", "err", err)
		_ = m.NakWithDelay(s.opts.MaxBackoff)
		return
	}
	s.log.Warn("inquiry dead-lettered", "err", cause)
	if err := m.Term(); err != nil {
		s.log.Warn("term failed", "err", err)
	}
}

func decode(m jetstream.Msg) (storage.Inquiry, error) {
	var in bus.Inquiry
	if err := json.Unmarshal(m.Data(), &in); err != nil {
		return storage.Inquiry{}, fmt.Errorf("workers: undecodable inquiry: %w", err)
	}
	if in.ID == "" || in.Source == "" || in.CustomerID == "" {
		return storage.Inquiry{}, errors.New("workers: inquiry lacks id, source or customer_id")
	}
	md, err := m.Metadata()
	if err != nil {
		return storage.Inquiry{}, fmt.Errorf("workers: message has no metadata: %w", err)
	}
	meta := string(in.Metadata)
	if meta == "" {
		meta = "{}"
	}
	row := storage.Inquiry{
		ID:             in.ID,
		Source:         in.Source,
		CustomerID:     in.CustomerID,
		IdempotencyKey: in.IdempotencyKey,
		Text:           in.Text,
		Locale:         in.Locale,
		ReplyURL:       in.ReplyURL,
		Metadata:       meta,
		Redactions:     strings.Join(in.Redactions, ","),
		State:          storage.StateStored,
		ReceivedAt:     in.ReceivedAt,
		StoredAt:       time.Now().UnixMilli(),
		StreamSeq:      md.Sequence.Stream,
		Urgent:         triage.Urgent(in.Text),
	}
	if a := in.Answer; a != nil && a.AnswerID != "" {
		row.State = storage.StateAnswered
		row.AnswerID, row.IncidentID, row.UpdateVersion = a.AnswerID, a.IncidentID, int64(a.UpdateVersion)
		row.AnswerText = a.Text
	}
	return row, nil
}
