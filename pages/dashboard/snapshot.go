package dashboard

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/surgedesk/surgedesk/kb"
	"github.com/surgedesk/surgedesk/storage"
)

// Store is what the dashboard reads (storage).
type Store interface {
	Incidents(ctx context.Context, activeOnly bool) ([]kb.Incident, error)
	IncidentCounts(ctx context.Context, incidentID string, bucketMS, since int64) ([]storage.VolumeBucket, error)
	IncidentReach(ctx context.Context, incidentID string) (storage.IncidentReach, error)
	DeskVolume(ctx context.Context, bucketMS, since int64) ([]storage.VolumeBucket, error)
	OpenClusters(ctx context.Context, since int64, limit int) ([]storage.Cluster, error)
	Problems(ctx context.Context, since int64, limit int) ([]storage.Problem, error)
	RecentCounts(ctx context.Context, clusterIDs []string, now int64) (map[string]storage.Recent, error)
	Alerts(ctx context.Context, status string, limit int) ([]storage.Alert, error)
	OldestWaiting(ctx context.Context, since int64) (storage.Cluster, error)
	FirstReplyTimes(ctx context.Context, since int64, limit int) ([]int64, error)
}

// snapshot is everything the dashboard shows, computed once and shared by
// every viewer until it is older than the cache's TTL.
type snapshot struct {
	At        time.Time
	Desk      deskFigures
	Incidents []incidentFigures
	Problems  []storage.Problem // the biggest problems, most inquiries first
	Clusters  []clusterFigures
	Alerts    []storage.Alert
}

type deskFigures struct {
	PerMinute     series // the last hour, one bucket a minute
	LastHour      int64
	AnsweredHour  int64
	Last5Minutes  int64
	Waiting       *storage.Cluster // the oldest unanswered item, if any
	ReplyTimes    []int64          // ms each replied cluster waited, the last 24 hours
	MedianReplyMS int64
}

// Deflection is the share of the last hour's inquiries answered without
// an agent, or -1 when there were none.
func (d deskFigures) Deflection() float64 {
	if d.LastHour == 0 {
		return -1
	}
	return float64(d.AnsweredHour) / float64(d.LastHour)
}

type incidentFigures struct {
	Incident kb.Incident
	Totals   incidentTotals
	Volume   series
}

// incidentTotals are an incident's counts: inquiries and answered from its
// chart's buckets, the rest from its reach.
type incidentTotals struct {
	storage.IncidentReach
	Inquiries, Answered int64
}

// Queued is what went to the agents' queue.
func (t incidentTotals) Queued() int64 { return t.Inquiries - t.Answered }

type clusterFigures struct {
	storage.Cluster
	storage.Recent
}

// Growing says the last 5 minutes ran faster than the 10 before them.
func (c clusterFigures) Growing() bool {
	before := c.Last15m - c.Last5m
	return c.Last5m*2 > before && c.Last5m > 0
}

// series is a volume per bucket with every bucket present, empty ones as
// zero, from the bucket holding start to the one holding now.
type series struct {
	BucketMS  int64
	Start     []int64 // unix ms
	Inquiries []int64
	Answered  []int64
}

// bucketSizes are the sizes a chart's buckets may take: the smallest that
// keeps a chart at or under maxPoints.
var bucketSizes = []time.Duration{time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute,
	30 * time.Minute, time.Hour, 2 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour}

const maxPoints = 240

// minSpan is the shortest time a chart covers.
const minSpan = 15 * time.Minute

// slowEvery is how often an incident's reach (customers, replies,
// follow-ups) is read.
const slowEvery = 10 * time.Second

func bucketFor(span time.Duration) time.Duration {
	for _, b := range bucketSizes {
		if span/b < maxPoints {
			return b
		}
	}
	return bucketSizes[len(bucketSizes)-1]
}

// fill lays the non-empty buckets SQL returns over every bucket from
// start to now.
func fill(buckets []storage.VolumeBucket, bucket time.Duration, start, now time.Time) series {
	ms := bucket.Milliseconds()
	first, last := start.UnixMilli()/ms*ms, now.UnixMilli()/ms*ms
	s := series{BucketMS: ms}
	if last < first {
		last = first
	}
	n := int((last-first)/ms) + 1
	s.Start, s.Inquiries, s.Answered = make([]int64, n), make([]int64, n), make([]int64, n)
	for i := range n {
		s.Start[i] = first + int64(i)*ms
	}
	for _, b := range buckets {
		i := (b.Start - first) / ms
		if i < 0 || i >= int64(n) {
			continue
		}
		s.Inquiries[i] += b.Inquiries
		s.Answered[i] += b.Answered
	}
	return s
}

// Limits on what one snapshot reads.
const (
	maxClusters   = 10
	maxAlerts     = 20
	maxReplyTimes = 1000
)

// compute reads the snapshot from SQL: a few indexed queries for the desk,
// two per active incident.
func (d *Dashboard) compute(ctx context.Context) (*snapshot, error) {
	now := d.opts.Now()
	snap := &snapshot{At: now}
	// How long each part took, in the debug log: what to look at first if
	// the dashboard ever weighs on the server.
	var took []any
	mark := time.Now()
	lap := func(part string) {
		took = append(took, part, time.Since(mark).Round(time.Microsecond))
		mark = time.Now()
	}
	defer func() { d.opts.Log.Debug("dashboard figures computed", took...) }()
	hourAgo := now.Add(-time.Hour)
	desk, err := d.desk.read(ctx, d.opts.Store.DeskVolume, time.Minute, hourAgo, now)
	if err != nil {
		return nil, err
	}
	snap.Desk.PerMinute = fill(desk, time.Minute, hourAgo, now)
	for i, start := range snap.Desk.PerMinute.Start {
		snap.Desk.LastHour += snap.Desk.PerMinute.Inquiries[i]
		snap.Desk.AnsweredHour += snap.Desk.PerMinute.Answered[i]
		if start >= now.Add(-5*time.Minute).UnixMilli() {
			snap.Desk.Last5Minutes += snap.Desk.PerMinute.Inquiries[i]
		}
	}
	since := now.Add(-d.opts.IdleWindow).UnixMilli()
	waiting, err := d.opts.Store.OldestWaiting(ctx, since)
	switch {
	case err == nil:
		snap.Desk.Waiting = &waiting
	case !errors.Is(err, storage.ErrNotFound):
		return nil, err
	}
	if snap.Desk.ReplyTimes, err = d.opts.Store.FirstReplyTimes(ctx, now.Add(-24*time.Hour).UnixMilli(), maxReplyTimes); err != nil {
		return nil, err
	}
	if n := len(snap.Desk.ReplyTimes); n > 0 {
		sorted := slices.Sorted(slices.Values(snap.Desk.ReplyTimes))
		snap.Desk.MedianReplyMS = sorted[n/2]
	}

	lap("desk")
	incs, err := d.opts.Store.Incidents(ctx, true)
	if err != nil {
		return nil, err
	}
	// Customers, replies and follow-ups are read every slowEvery, not at
	// every refresh: they change slowly and cost more.
	stale := now.Sub(d.slowAt) >= slowEvery
	for _, inc := range incs {
		_, known := d.slow[inc.ID]
		stale = stale || !known
	}
	if stale {
		slow := make(map[string]storage.IncidentReach, len(incs))
		for _, inc := range incs {
			if slow[inc.ID], err = d.opts.Store.IncidentReach(ctx, inc.ID); err != nil {
				return nil, err
			}
		}
		d.slow, d.slowAt = slow, now
		lap("reach")
	}
	active := map[string]bool{}
	for _, inc := range incs {
		// At least minSpan wide, so that a young incident's chart reads in
		// minutes; before it started, its count is what SQL says (zero
		// unless a linked cluster was already growing), and its start is
		// marked on the chart.
		start := inc.StartedAt
		if start.IsZero() || start.After(now.Add(-minSpan)) {
			start = now.Add(-minSpan)
		}
		bucket := bucketFor(now.Sub(start))
		cache := d.incidents[inc.ID]
		if cache == nil {
			cache = &bucketCache{}
			d.incidents[inc.ID] = cache
		}
		active[inc.ID] = true
		vol, err := cache.read(ctx, func(ctx context.Context, bucketMS, since int64) ([]storage.VolumeBucket, error) {
			return d.opts.Store.IncidentCounts(ctx, inc.ID, bucketMS, since)
		}, bucket, start, now)
		if err != nil {
			return nil, err
		}
		// Inquiries and answered from the buckets, so that the counts move
		// with the chart; the rest as last read.
		totals := incidentTotals{IncidentReach: d.slow[inc.ID]}
		for _, b := range vol {
			totals.Inquiries += b.Inquiries
			totals.Answered += b.Answered
		}
		snap.Incidents = append(snap.Incidents, incidentFigures{Incident: inc, Totals: totals, Volume: fill(vol, bucket, start, now)})
	}
	for id := range d.incidents {
		if !active[id] {
			delete(d.incidents, id)
		}
	}
	lap("incidents")

	if snap.Problems, err = d.opts.Store.Problems(ctx, since, maxClusters); err != nil {
		return nil, err
	}
	open, err := d.opts.Store.OpenClusters(ctx, since, maxClusters)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(open))
	for i, c := range open {
		ids[i] = c.ID
	}
	recent, err := d.opts.Store.RecentCounts(ctx, ids, now.UnixMilli())
	if err != nil {
		return nil, err
	}
	for _, c := range open {
		snap.Clusters = append(snap.Clusters, clusterFigures{Cluster: c, Recent: recent[c.ID]})
	}
	if snap.Alerts, err = d.opts.Store.Alerts(ctx, storage.AlertOpen, maxAlerts); err != nil {
		return nil, err
	}
	lap("problems, clusters and alerts")
	return snap, nil
}

// current returns the cached snapshot, computing it when it is older than
// the TTL. Viewers arriving during a computation wait for it rather than
// start their own: N viewers cost one computation per TTL.
func (d *Dashboard) current(ctx context.Context) (*snapshot, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.snap != nil && d.opts.Now().Sub(d.snap.At) < d.opts.CacheTTL {
		return d.snap, nil
	}
	// Long enough for the first count of an old incident's whole life.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	snap, err := d.compute(ctx)
	if err != nil {
		return nil, fmt.Errorf("dashboard: unable to compute the figures: %w", err)
	}
	d.computations.Add(1)
	d.snap = snap
	return snap, nil
}

// bucketCache keeps a series' counts, so that a refresh counts again only
// what may still change: during a surge an hour holds millions of
// inquiries, and an incident's whole life as many. Buckets that ended
// settleAfter ago are final (an inquiry is stored within seconds of its
// arrival unless the store worker lags) and kept; the time since is
// counted minute by minute, again at each refresh only for the minutes not
// yet final, and added up into its bucket, so a refresh reads about a
// minute of inquiries whatever the bucket size. The whole series is
// counted afresh every recount, to take in anything stored late, and
// whenever the bucket size changes.
type bucketCache struct {
	bucketMS     int64
	done         map[int64]storage.VolumeBucket // final buckets, by start (unix ms)
	doneThrough  int64                          // buckets before this one are in done
	minutes      map[int64]storage.VolumeBucket // minutes since doneThrough
	minutesFinal int64                          // minutes before this one are final
	full         time.Time                      // when the whole series was last counted
}

// countFunc counts per bucket of bucketMS from since (unix ms) on.
type countFunc func(ctx context.Context, bucketMS, since int64) ([]storage.VolumeBucket, error)

const (
	settleAfter = 30 * time.Second
	recount     = 10 * time.Minute
)

// read returns the non-empty buckets from the one holding start to now.
func (c *bucketCache) read(ctx context.Context, count countFunc, bucket time.Duration, start, now time.Time) ([]storage.VolumeBucket, error) {
	ms, minute := bucket.Milliseconds(), time.Minute.Milliseconds()
	first := start.UnixMilli() / ms * ms
	settled := now.Add(-settleAfter).UnixMilli()
	if c.done == nil || c.bucketMS != ms || now.Sub(c.full) >= recount || c.doneThrough < first {
		*c = bucketCache{bucketMS: ms, done: map[int64]storage.VolumeBucket{}, doneThrough: first,
			minutes: map[int64]storage.VolumeBucket{}, minutesFinal: first, full: now}
	}
	// Buckets that became final since the last read, counted whole once.
	if cur := max(first, settled/ms*ms); c.doneThrough < cur {
		rows, err := count(ctx, ms, c.doneThrough)
		if err != nil {
			return nil, err
		}
		for _, b := range rows {
			if b.Start < cur {
				c.done[b.Start] = b
			}
		}
		c.doneThrough = cur
		c.minutesFinal = max(c.minutesFinal, cur)
	}
	// The minutes since, counted again from the first one not final.
	rows, err := count(ctx, minute, c.minutesFinal)
	if err != nil {
		return nil, err
	}
	for m := range c.minutes {
		if m >= c.minutesFinal || m < c.doneThrough {
			delete(c.minutes, m)
		}
	}
	for _, b := range rows {
		c.minutes[b.Start] = b
	}
	c.minutesFinal = max(c.doneThrough, settled/minute*minute)
	for m := range c.done {
		if m < first {
			delete(c.done, m)
		}
	}
	open := map[int64]storage.VolumeBucket{}
	for m, b := range c.minutes {
		start := m / ms * ms
		sum := open[start]
		sum.Start, sum.Inquiries, sum.Answered = start, sum.Inquiries+b.Inquiries, sum.Answered+b.Answered
		open[start] = sum
	}
	out := make([]storage.VolumeBucket, 0, len(c.done)+len(open))
	for _, b := range c.done {
		out = append(out, b)
	}
	for _, b := range open {
		out = append(out, b)
	}
	slices.SortFunc(out, func(a, b storage.VolumeBucket) int { return cmp.Compare(a.Start, b.Start) })
	return out, nil
}
