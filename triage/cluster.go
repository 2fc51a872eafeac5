package triage

import (
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"hash/maphash"
	"math"
	"slices"
	"sort"
	"sync"
	"time"
)

// Options configures a Clusterer.
type Options struct {
	// Threshold is the similarity (0..1) an inquiry needs to join a cluster.
	Threshold float64
	// IdleWindow closes a cluster that has seen no inquiry for this long.
	IdleWindow time.Duration
	// NewID returns a fresh, globally unique cluster id; nil means a random
	// 16-hex-digit id.
	NewID func() string
}

// DefaultThreshold is the tuned similarity threshold (docs/triage.md).
const DefaultThreshold = 0.26

// DefaultOptions returns the tuned defaults.
func DefaultOptions() Options {
	return Options{Threshold: DefaultThreshold, IdleWindow: 6 * time.Hour}
}

// Item is one (already redacted) inquiry offered to the clusterer.
type Item struct {
	ID         string
	CustomerID string
	Text       string
	At         time.Time
}

// Assignment is the clusterer's decision for one Item.
type Assignment struct {
	ClusterID  string
	New        bool    // the item started a new cluster
	Similarity float64 // similarity to the cluster joined (1 for a new cluster)
	// topic is the item's unit topic vector, which the clusterer computes
	// anyway: Grouper.ObserveAssigned reuses it instead of tokenising the
	// text again.
	topic []feature
}

// Cluster is a snapshot of one cluster.
type Cluster struct {
	ID             string
	Representative string   // a member text that stands for the cluster
	Label          []string // top terms
	Count          int      // inquiries
	Customers      int      // distinct customers
	FirstSeen      time.Time
	LastSeen       time.Time
	PerMinute      float64 // inquiries per minute over the last 5 minutes
	Last5m         int
	Last15m        int
}

// tuning holds the clusterer's internal knobs; docs/triage.md explains each.
type tuning struct {
	centroidFeatures int     // features kept per centroid
	indexedFeatures  int     // a cluster's heaviest features put in the index
	probedFeatures   int     // a query's heaviest features looked up
	postingsCap      int     // clusters kept per feature, most recent last
	rerankCandidates int     // candidates scored exactly against centroids
	rerankFloor      float64 // skip candidates below this share of the best partial score
	negationPenalty  float64 // similarity factor when negation disagrees
	idfPower         float64 // IDF exponent: above 1 favours rare words
	englishLift      float64 // similarity lift for all-English text (docs/triage.md)
	minTopic         float64 // topic cosine below which an inquiry cannot join (docs/problems.md)
	weights          featureWeights
}

var defaultTuning = tuning{
	centroidFeatures: 96,
	indexedFeatures:  24,
	probedFeatures:   24,
	postingsCap:      32,
	rerankCandidates: 8,
	rerankFloor:      0.7,
	negationPenalty:  0.25,
	idfPower:         1,
	englishLift:      0.4,
	minTopic:         0.05,
	weights:          defaultFeatureWeights,
}

const (
	expiryPerAssign = 4 // idle clusters closed per Assign at most
	labelTerms      = 3
	centroidSettled = 64 // members after which the centroid is sampled
)

// minuteCount is the number of inquiries in one wall-clock minute.
type minuteCount struct {
	minute int64
	count  int32
}

type cluster struct {
	id             string
	representative string
	repSimilarity  float64
	count          int
	customers      map[uint64]struct{} // customerKey of each distinct customer
	customerCount  int
	negated        int // members of this centroid with a negation marker
	voters         int // members folded into this centroid (count, unless merged)
	firstSeen      time.Time
	lastSeen       time.Time
	minutes        [15]minuteCount

	centroid  []feature // sum of member vectors, sorted by hash
	topic     []feature // sum of member topic vectors, sorted by hash
	topicNorm float64   // IDF-weighted norm of topic, as of topicDocs documents
	topicDocs int
	norm      float64  // Euclidean norm of the centroid's shape
	shapeSum  float64  // norm², kept up to date as members join
	indexed   []uint32 // features the index lists this cluster under
	nextIndex int      // count at which the index entries are refreshed

	label      []string // cached; see labelOf
	labelRep   string
	labelCount int

	prev, next int32 // idle list, least recently seen first
	slot       int32

	// A cluster merged into another stays in the index as a facet of it:
	// owner is set, and its matches count for the owner (regroup.go).
	owner  *cluster
	facets []*cluster
}

// root is the cluster whose id a match on cl reports.
func (cl *cluster) root() *cluster {
	if cl.owner != nil {
		return cl.owner
	}
	return cl
}

// Clusterer assigns inquiries to clusters online. Safe for concurrent use.
type Clusterer struct {
	mu        sync.Mutex
	opts      Options
	tune      tuning
	freq      *frequencyTable
	documents int
	slots     []*cluster // nil marks a free slot
	free      []int32
	byID      map[string]int32
	// closedIDs are clusters closed on purpose (Close): an announcement of
	// a member decided elsewhere before the close must not reopen them.
	closedIDs map[string]struct{}
	postings  map[uint32][]int32
	head      int32 // least recently seen open cluster, -1 if none
	tail      int32
	latest    time.Time

	// scratch for candidate scoring, indexed by slot
	cands    []int32
	vecBuf   []feature // the current inquiry's vector, valid under the lock
	topicBuf []feature // the current inquiry's weighed topic, likewise
	logN     float64   // ln(documents+1)+1 as of the current inquiry
	merge    []feature // scratch for centroid updates
	score    []float32
	stamp    []uint32
	epoch    uint32

	// repeats maps a text's feature signature to the cluster it joined, so
	// exact repeats (after normalising) skip the index: most surge traffic.
	repeats map[uint64]*cluster

	// mergedInto maps a cluster an agent merged away to the cluster it was
	// merged into (one hop: chains are flattened), and apart lists, per
	// cluster, the clusters an agent split from it (cannot-links). See
	// regroup.go.
	mergedInto map[string]string
	apart      map[string][]string

	tokens sync.Pool
	// words learns the English words of the traffic, to split runs typed
	// without spaces.
	words *segmenter
}

// repeatsCap bounds the repeat cache; it is simply cleared when full.
const repeatsCap = 1 << 16

// NewClusterer returns an empty Clusterer.
func NewClusterer(opts Options) *Clusterer {
	if opts.NewID == nil {
		opts.NewID = randomID
	}
	if opts.IdleWindow <= 0 {
		opts.IdleWindow = DefaultOptions().IdleWindow
	}
	return &Clusterer{
		opts:     opts,
		tune:     defaultTuning,
		freq:     newFrequencyTable(),
		byID:     map[string]int32{},
		postings: map[uint32][]int32{},
		repeats:  map[uint64]*cluster{},
		words:    newSegmenter(),
		head:     -1,
		tail:     -1,
	}
}

func randomID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

// profileOf extracts the features of text outside the lock.
func (c *Clusterer) profileOf(text string) profile {
	scratch, _ := c.tokens.Get().(*[]token)
	if scratch == nil {
		scratch = new([]token)
	}
	p, toks := extractWith(text, c.tune.weights, *scratch, c.words)
	if c.tune.minTopic > 0 {
		p.topic = topicOfTokens(toks)
	}
	*scratch = toks[:0]
	c.tokens.Put(scratch)
	return p
}

// advance moves the clock to it, closes what has idled out meanwhile and
// weighs p's features; c.mu is held.
func (c *Clusterer) advance(it Item, p profile) []feature {
	if it.At.After(c.latest) {
		c.latest = it.At
	}
	c.expire(it.At, expiryPerAssign)
	return c.weigh(p.features)
}

// Assign places it in an existing open cluster or starts a new one.
func (c *Clusterer) Assign(it Item) Assignment {
	p := c.profileOf(it.Text)
	c.mu.Lock()
	defer c.mu.Unlock()
	vec := c.advance(it, p)
	p.topicW = c.weighTopic(p.topic)
	signature := signatureOf(p.features)
	best, sim := int32(-1), 0.0
	if cl, ok := c.repeats[signature]; ok && c.slots[cl.slot] == cl && !c.idle(cl, it.At) {
		best, sim = cl.slot, c.similarity(vec, p, cl)
		if len(vec) == 0 {
			// Nothing left after normalising ("ㅠㅠ", "!!!"): such inquiries
			// are alike, and go together rather than one cluster each.
			sim = 1
		}
	}
	if best < 0 || sim < c.opts.Threshold {
		best, sim = c.nearest(vec, p, it.At)
	}
	if len(c.apart) > 0 && best >= 0 {
		best, sim = c.preferApart(best, sim, vec, p, it.At)
	}
	var cl *cluster
	joined := best >= 0 && sim >= c.opts.Threshold
	c.count(p.features)
	if joined {
		cl = c.slots[best]
		c.join(best, cl, vec, p, it, sim)
	} else {
		cl = c.open(c.freshID(), it.At)
		c.join(cl.slot, cl, vec, p, it, 1)
		sim = 1
	}
	if len(c.repeats) >= repeatsCap {
		clear(c.repeats)
	}
	c.repeats[signature] = cl
	return Assignment{ClusterID: cl.root().id, New: !joined, Similarity: sim, topic: p.topic}
}

// freshID asks NewID until the id is not taken by an open (for example a
// restored) cluster.
func (c *Clusterer) freshID() string {
	for {
		if id := c.opts.NewID(); !c.taken(id) {
			return id
		}
	}
}

func (c *Clusterer) taken(id string) bool {
	_, ok := c.byID[id]
	if !ok {
		_, ok = c.mergedInto[id]
	}
	return ok
}

// signatureOf hashes a feature list; equal normalised texts share it.
func signatureOf(features []feature) uint64 {
	h := uint64(14695981039346656037)
	for _, f := range features {
		h ^= uint64(f.hash)<<16 ^ uint64(math.Float32bits(f.weight))
		h *= 1099511628211
	}
	return h
}

// similarity is the cosine of vec to the cluster's centroid, lowered when
// negation disagrees and lifted for English text (docs/triage.md).
func (c *Clusterer) similarity(vec []feature, p profile, cl *cluster) float64 {
	sim := min(1, cosine(vec, cl.centroid, cl.norm)/(1-c.tune.englishLift*p.english))
	if (2*cl.negated > cl.voters) != p.negated {
		sim *= c.tune.negationPenalty
	}
	if len(p.topicW) > 0 && len(cl.topic) > 0 && c.topicCosine(p.topicW, cl) < c.tune.minTopic {
		// Sharing only the predicate and filler ("안 돼요", "asap") is
		// not the same request: "로그인 안 돼요" is not "결제 안 돼요".
		sim = 0
	}
	return sim
}

// weighTopic weighs a topic vector by IDF and normalises it, once per
// inquiry: template words every tail question shares ("뭐 준비해야 돼요")
// weigh less than what the question is about.
func (c *Clusterer) weighTopic(topic []feature) []feature {
	if len(topic) == 0 || c.tune.minTopic == 0 {
		return nil
	}
	c.logN = math.Log(float64(c.documents+1)) + 1
	out := slices.Grow(c.topicBuf[:0], len(topic))[:len(topic)]
	c.topicBuf = out
	var n float64
	for i, f := range topic {
		w := float64(f.weight) * c.idf(f.hash)
		out[i] = feature{hash: f.hash, weight: float32(w)}
		n += w * w
	}
	if n == 0 {
		return nil
	}
	inv := float32(1 / math.Sqrt(n))
	for i := range out {
		out[i].weight *= inv
	}
	return out
}

// idf is a feature's IDF as of the current inquiry (logN is set per
// inquiry by weighTopic).
func (c *Clusterer) idf(h uint32) float64 {
	return c.logN - logOf(c.freq.get(h)+1)
}

// topicCosine is the IDF-weighted cosine of an inquiry's weighed topic
// with a cluster's topic sum. The sum's norm is cached until the cluster's
// topic changes or the document count grows by a twentieth.
func (c *Clusterer) topicCosine(q []feature, cl *cluster) float64 {
	if cl.topicDocs == 0 || c.documents > cl.topicDocs+cl.topicDocs/20 {
		var n float64
		for _, f := range cl.topic {
			w := float64(f.weight) * c.idf(f.hash)
			n += w * w
		}
		cl.topicNorm, cl.topicDocs = math.Sqrt(n), max(c.documents, 1)
	}
	if cl.topicNorm == 0 {
		return 1
	}
	var dot float64
	i, j := 0, 0
	for i < len(q) && j < len(cl.topic) {
		switch {
		case q[i].hash < cl.topic[j].hash:
			i++
		case q[i].hash > cl.topic[j].hash:
			j++
		default:
			dot += float64(q[i].weight) * float64(cl.topic[j].weight) * c.idf(q[i].hash)
			i++
			j++
		}
	}
	return dot / cl.topicNorm
}

// addTopic folds a member's topic vector into cl's.
func (c *Clusterer) addTopic(cl *cluster, topic []feature) {
	if len(topic) == 0 {
		return
	}
	c.merge, _ = addVectors(c.merge[:0], cl.topic, topic)
	cl.topic = replaceVector(cl.topic, c.merge)
	if len(cl.topic) > 2*topicCap {
		cl.topic = slices.Clone(heaviest(cl.topic, topicCap))
		sortByHash(cl.topic)
	}
	cl.topicDocs = 0 // the cached norm is stale
}

// weigh turns term counts into a unit TF-IDF vector using the document
// frequencies seen so far.
func (c *Clusterer) weigh(counts []feature) []feature {
	vec := slices.Grow(c.vecBuf[:0], len(counts))[:len(counts)]
	c.vecBuf = vec
	logN := math.Log(float64(c.documents+1)) + 1
	var norm float64
	for i, f := range counts {
		idf := logN - logOf(c.freq.get(f.hash)+1)
		if c.tune.idfPower != 1 {
			idf = math.Pow(idf, c.tune.idfPower)
		}
		w := float64(f.weight) * idf
		vec[i] = feature{hash: f.hash, weight: float32(w)}
		norm += w * w
	}
	if norm > 0 {
		inv := float32(1 / math.Sqrt(norm))
		for i := range vec {
			vec[i].weight *= inv
		}
	}
	return vec
}

// logTable holds ln(n) for small n: IDF needs a logarithm per feature and
// most document frequencies are small.
var logTable = func() []float64 {
	t := make([]float64, 4096)
	for i := 1; i < len(t); i++ {
		t[i] = math.Log(float64(i))
	}
	return t
}()

func logOf(n uint32) float64 {
	if int(n) < len(logTable) {
		return logTable[n]
	}
	return math.Log(float64(n))
}

func (c *Clusterer) count(counts []feature) {
	c.documents++
	for _, f := range counts {
		c.freq.add(f.hash, 1)
	}
}

// nearest returns the open cluster most similar to vec, or -1. Candidates
// come from the inverted index over the query's heaviest features; the best
// few by partial score are then scored exactly against their centroids.
func (c *Clusterer) nearest(vec []feature, p profile, at time.Time) (int32, float64) {
	probe := heaviest(vec, c.tune.probedFeatures)
	c.epoch++
	if c.epoch == 0 {
		clear(c.stamp)
		c.epoch = 1
	}
	var cands []int32
	cands = c.cands[:0]
	for _, f := range probe {
		for _, slot := range c.postings[f.hash] {
			if c.stamp[slot] != c.epoch {
				c.stamp[slot] = c.epoch
				c.score[slot] = 0
				cands = append(cands, slot)
			}
			c.score[slot] += f.weight
		}
	}
	cands = c.topCandidates(cands)
	best, bestSim := int32(-1), -1.0
	for i, slot := range cands {
		cl := c.slots[slot]
		if cl == nil || c.idle(cl, at) {
			continue
		}
		// Candidates are in falling partial-score order; one far below the
		// leader shares too little of the query to win.
		if i > 0 && float64(c.score[slot]) < c.tune.rerankFloor*float64(c.score[cands[0]]) {
			break
		}
		if sim := c.similarity(vec, p, cl); sim > bestSim {
			best, bestSim = slot, sim
		}
	}
	c.cands = cands[:0]
	return best, bestSim
}

// topCandidates keeps, in place, the candidates with the highest partial
// scores; insertion into a short sorted prefix beats sorting them all.
func (c *Clusterer) topCandidates(cands []int32) []int32 {
	keep := c.tune.rerankCandidates
	if len(cands) <= keep {
		return cands
	}
	n := 0
	for _, slot := range cands {
		s := c.score[slot]
		if n == keep && s <= c.score[cands[n-1]] {
			continue
		}
		i := min(n, keep-1)
		for i > 0 && c.score[cands[i-1]] < s {
			cands[i] = cands[i-1]
			i--
		}
		cands[i] = slot
		if n < keep {
			n++
		}
	}
	return cands[:n]
}

func (c *Clusterer) idle(cl *cluster, at time.Time) bool {
	return at.Sub(cl.lastSeen) > c.opts.IdleWindow
}

// heaviest returns up to n features of vec with the largest weights.
func heaviest(vec []feature, n int) []feature {
	if len(vec) <= n {
		return vec
	}
	top := slices.Clone(vec)
	slices.SortFunc(top, func(a, b feature) int {
		switch {
		case a.weight > b.weight:
			return -1
		case a.weight < b.weight:
			return 1
		}
		return 0
	})
	return top[:n]
}

// cosine of unit vector q and the shape of a centroid (see shapeWeight),
// whose Euclidean norm is n; both are sorted by hash.
func cosine(q, centroid []feature, n float64) float64 {
	if n == 0 {
		return 0
	}
	var dot float64
	i, j := 0, 0
	for i < len(q) && j < len(centroid) {
		switch {
		case q[i].hash < centroid[j].hash:
			i++
		case q[i].hash > centroid[j].hash:
			j++
		default:
			dot += float64(q[i].weight) * shapeWeight(centroid[j].weight)
			i++
			j++
		}
	}
	return dot / n
}

// shapeWeight is the fourth root of a centroid weight. Compared raw, a
// centroid is dominated by the few features every member shares, and a
// paraphrase that words the request differently scores low; flattened,
// every feature seen in the cluster counts, weighted by its IDF more than by
// how many members had it. On ParaKQC this lifts ARI at equal precision by
// about 0.1 (docs/triage.md); the fourth root is two square roots, cheap enough to
// take on every comparison.
func shapeWeight(w float32) float64 { return math.Sqrt(math.Sqrt(float64(w))) }

// shapeSum is the sum of square roots of v's weights: the squared
// Euclidean norm of its shape.
func shapeSum(v []feature) float64 {
	var s float64
	for _, f := range v {
		s += math.Sqrt(float64(f.weight))
	}
	return s
}

// open starts an empty cluster in a free slot.
func (c *Clusterer) open(id string, at time.Time) *cluster {
	cl := &cluster{id: id, firstSeen: at, lastSeen: at, customers: map[uint64]struct{}{}, prev: -1, next: -1, nextIndex: 1}
	var slot int32
	if n := len(c.free); n > 0 {
		slot = c.free[n-1]
		c.free = c.free[:n-1]
		c.slots[slot] = cl
	} else {
		slot = int32(len(c.slots))
		c.slots = append(c.slots, cl)
		c.score = append(c.score, 0)
		c.stamp = append(c.stamp, 0)
	}
	cl.slot = slot
	c.byID[id] = slot
	c.pushBack(slot)
	return cl
}

// join adds a member to cl: statistics, centroid and, at growing
// intervals, the index entries.
func (c *Clusterer) join(slot int32, cl *cluster, vec []feature, p profile, it Item, sim float64) {
	negated := p.negated
	c.record(cl, it, sim)
	if cl.owner != nil {
		// A facet of a merged cluster: the member counts for its owner.
		c.record(cl.owner, it, sim)
		c.moveToBack(cl.owner.slot)
	}
	cl.voters++
	if negated {
		cl.negated++
	}
	// Past centroidSettled members a centroid hardly moves; folding in every
	// eighth member keeps surge clusters cheap to update.
	if cl.voters <= centroidSettled || cl.voters%8 == 0 {
		var grown float64
		c.merge, grown = addVectors(c.merge[:0], cl.centroid, vec)
		cl.centroid = replaceVector(cl.centroid, c.merge)
		cl.shapeSum += grown
		if len(cl.centroid) > 2*c.tune.centroidFeatures {
			cl.centroid = slices.Clone(heaviest(cl.centroid, c.tune.centroidFeatures))
			sortByHash(cl.centroid)
			cl.shapeSum = shapeSum(cl.centroid)
		}
		cl.norm = math.Sqrt(max(0, cl.shapeSum))
		c.addTopic(cl, p.topic)
	}
	if cl.voters >= cl.nextIndex {
		c.reindex(slot, cl)
		// Index entries are refreshed at 1, 2, 4, ... members and every 64
		// after that: a cluster's heaviest features settle quickly.
		cl.nextIndex = min(2*cl.voters, cl.voters+64)
	}
	c.moveToBack(slot)
}

// record counts a member in cl's statistics.
func (c *Clusterer) record(cl *cluster, it Item, sim float64) {
	cl.count++
	c.addCustomer(cl, it.CustomerID)
	if it.At.Before(cl.firstSeen) {
		cl.firstSeen = it.At
	}
	if it.At.After(cl.lastSeen) {
		cl.lastSeen = it.At
	}
	cl.tally(it.At, 1)
	if cl.representative == "" || (sim < 1 && sim > cl.repSimilarity) {
		cl.representative = it.Text
		if sim < 1 {
			cl.repSimilarity = sim
		}
	}
}

func (c *Clusterer) addCustomer(cl *cluster, customer string) {
	if customer == "" {
		cl.customerCount++
		return
	}
	if k := customerKey(customer); !hasKey(cl.customers, k) {
		cl.customers[k] = struct{}{}
		cl.customerCount++
	}
}

// customerKey hashes a customer id: a cluster counts distinct customers
// in a set of 64-bit hashes, cheaper to look up than one of strings (a
// collision in 2^64 miscounts one customer).
func customerKey(customer string) uint64 { return maphash.String(customerSeed, customer) }

var customerSeed = maphash.MakeSeed()

func hasKey(m map[uint64]struct{}, k uint64) bool {
	_, ok := m[k]
	return ok
}

func (cl *cluster) tally(at time.Time, n int32) {
	cl.tallyMinute(at.Unix()/60, n)
}

// tallyMinute adds n (which may be negative, never below zero) to minute m.
func (cl *cluster) tallyMinute(m int64, n int32) {
	b := &cl.minutes[m%int64(len(cl.minutes))]
	if b.minute != m {
		if m < b.minute {
			return // older than the 15 minutes the buckets hold
		}
		*b = minuteCount{minute: m}
	}
	b.count = max(0, b.count+n)
}

// recent counts inquiries in the last n minutes up to now.
func (cl *cluster) recent(now time.Time, n int64) int {
	m := now.Unix() / 60
	total := 0
	for _, b := range cl.minutes {
		if b.count > 0 && b.minute <= m && b.minute > m-n {
			total += int(b.count)
		}
	}
	return total
}

func sortByHash(v []feature) {
	slices.SortFunc(v, func(a, b feature) int { return cmp.Compare(a.hash, b.hash) })
}

// replaceVector copies src over dst, reusing dst's storage when it fits and
// otherwise allocating a quarter more than needed: append's doubling would
// leave most small centroids half empty.
func replaceVector(dst, src []feature) []feature {
	if cap(dst) < len(src) {
		dst = make([]feature, 0, len(src)+len(src)/4)
	}
	return append(dst[:0], src...)
}

// addVectors appends the sum of two hash-sorted vectors to out, and returns
// how much the sum of square roots of the weights (shapeSum) grew from a to
// the result, so centroid norms need not be recomputed from scratch.
func addVectors(out, a, b []feature) ([]feature, float64) {
	var grown float64
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i].hash < b[j].hash:
			out = append(out, a[i])
			i++
		case a[i].hash > b[j].hash:
			out = append(out, b[j])
			grown += math.Sqrt(float64(b[j].weight))
			j++
		default:
			w := a[i].weight + b[j].weight
			out = append(out, feature{hash: a[i].hash, weight: w})
			grown += math.Sqrt(float64(w)) - math.Sqrt(float64(a[i].weight))
			i++
			j++
		}
	}
	out = append(out, a[i:]...)
	for _, f := range b[j:] {
		grown += math.Sqrt(float64(f.weight))
	}
	return append(out, b[j:]...), grown
}

// reindex lists the cluster under its current heaviest features.
func (c *Clusterer) reindex(slot int32, cl *cluster) {
	top := heaviest(cl.centroid, c.tune.indexedFeatures)
	want := make([]uint32, len(top))
	for i, f := range top {
		want[i] = f.hash
	}
	for _, h := range cl.indexed {
		if !slices.Contains(want, h) {
			c.unlist(h, slot)
		}
	}
	for _, h := range want {
		if !slices.Contains(cl.indexed, h) {
			c.list(h, slot)
		}
	}
	cl.indexed = want
}

func (c *Clusterer) list(h uint32, slot int32) {
	p := c.postings[h]
	if len(p) >= c.tune.postingsCap {
		// The oldest entry goes: surges make recent clusters the likely match.
		copy(p, p[1:])
		p = p[:len(p)-1]
	}
	c.postings[h] = append(p, slot)
}

func (c *Clusterer) unlist(h uint32, slot int32) {
	p := c.postings[h]
	if i := slices.Index(p, slot); i >= 0 {
		p = slices.Delete(p, i, i+1)
	}
	if len(p) == 0 {
		delete(c.postings, h)
		return
	}
	c.postings[h] = p
}

// expire closes up to limit clusters idle at time at, least recently seen
// first, so the cost per Assign stays bounded.
func (c *Clusterer) expire(at time.Time, limit int) {
	for ; limit > 0 && c.head >= 0; limit-- {
		cl := c.slots[c.head]
		if !c.idle(cl, at) {
			return
		}
		c.close(c.head)
	}
}

func (c *Clusterer) close(slot int32) {
	cl := c.slots[slot]
	for _, h := range cl.indexed {
		c.unlist(h, slot)
	}
	c.unlink(slot)
	if c.byID[cl.id] == slot {
		delete(c.byID, cl.id)
	}
	c.slots[slot] = nil
	c.free = append(c.free, slot)
	if o := cl.owner; o != nil {
		o.facets = slices.DeleteFunc(o.facets, func(f *cluster) bool { return f == cl })
		cl.owner = nil
	}
	for len(cl.facets) > 0 {
		c.close(cl.facets[len(cl.facets)-1].slot)
	}
}

func (c *Clusterer) pushBack(slot int32) {
	cl := c.slots[slot]
	cl.prev, cl.next = c.tail, -1
	if c.tail >= 0 {
		c.slots[c.tail].next = slot
	} else {
		c.head = slot
	}
	c.tail = slot
}

func (c *Clusterer) unlink(slot int32) {
	cl := c.slots[slot]
	if cl.prev >= 0 {
		c.slots[cl.prev].next = cl.next
	} else {
		c.head = cl.next
	}
	if cl.next >= 0 {
		c.slots[cl.next].prev = cl.prev
	} else {
		c.tail = cl.prev
	}
	cl.prev, cl.next = -1, -1
}

func (c *Clusterer) moveToBack(slot int32) {
	if c.tail == slot {
		return
	}
	c.unlink(slot)
	c.pushBack(slot)
}

// Cluster returns a snapshot of one open cluster; rates are counted up to
// the latest inquiry time seen.
func (c *Clusterer) Cluster(id string) (Cluster, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	slot, ok := c.byID[id]
	if !ok {
		return Cluster{}, false
	}
	return c.snapshot(c.slots[slot], c.latest), true
}

// Open returns snapshots of the clusters open at now, largest first.
func (c *Clusterer) Open(now time.Time) []Cluster {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Cluster
	for _, cl := range c.slots {
		if cl != nil && cl.owner == nil && !c.idle(cl, now) {
			out = append(out, c.snapshot(cl, now))
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].FirstSeen.Before(out[j].FirstSeen)
	})
	return out
}

func (c *Clusterer) snapshot(cl *cluster, now time.Time) Cluster {
	last5 := cl.recent(now, 5)
	return Cluster{
		ID:             cl.id,
		Representative: cl.representative,
		Label:          c.labelOf(cl),
		Count:          cl.count,
		Customers:      cl.customerCount,
		FirstSeen:      cl.firstSeen,
		LastSeen:       cl.lastSeen,
		PerMinute:      float64(last5) / 5,
		Last5m:         last5,
		Last15m:        cl.recent(now, 15),
	}
}

// labelOf returns a copy of the cluster's label, recomputed when the
// representative changed or the cluster doubled since the last time:
// snapshots are taken after every inquiry and the label hardly moves.
func (c *Clusterer) labelOf(cl *cluster) []string {
	if cl.label == nil || cl.labelRep != cl.representative || cl.count >= 2*cl.labelCount {
		cl.label = c.label(cl)
		cl.labelRep, cl.labelCount = cl.representative, cl.count
	}
	return slices.Clone(cl.label)
}

// label picks the representative's words that weigh most in the centroid.
func (c *Clusterer) label(cl *cluster) []string {
	toks := tokenize(cl.representative, nil)
	type scored struct {
		term  string
		score float64
	}
	var terms []scored
	seen := map[string]bool{}
	for _, t := range toks {
		if seen[t.text] || (!t.hangul && englishStopwords[t.text]) {
			continue
		}
		seen[t.text] = true
		p, _ := extract(t.text, c.tune.weights, nil)
		var s float64
		for _, f := range p.features {
			if i, ok := slices.BinarySearchFunc(cl.centroid, f.hash, func(e feature, h uint32) int {
				switch {
				case e.hash < h:
					return -1
				case e.hash > h:
					return 1
				}
				return 0
			}); ok {
				s += float64(cl.centroid[i].weight)
			}
		}
		if s > 0 {
			terms = append(terms, scored{t.text, s})
		}
	}
	sort.SliceStable(terms, func(i, j int) bool { return terms[i].score > terms[j].score })
	label := []string{}
	for i := 0; i < len(terms) && i < labelTerms; i++ {
		label = append(label, terms[i].term)
	}
	return label
}

// Restore rebuilds one persisted cluster and its members without
// re-deciding any assignment (used on restart). members may be a bounded
// sample: the centroid is rebuilt from the representative and the sample,
// and the counts come from cl, so the sample only has to be typical.
func (c *Clusterer) Restore(cl Cluster, members []Item) {
	texts := make([]profile, 0, len(members)+1)
	for _, m := range members {
		p := c.profileOf(m.Text)
		texts = append(texts, p)
	}
	var rep profile
	if cl.Representative != "" {
		rep = c.profileOf(cl.Representative)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl.LastSeen.After(c.latest) {
		c.latest = cl.LastSeen
	}
	if old, ok := c.byID[cl.ID]; ok {
		c.close(old)
	}
	r := c.open(cl.ID, cl.FirstSeen)
	slot := c.byID[cl.ID]
	r.representative = cl.Representative
	r.lastSeen = cl.LastSeen
	negated := 0
	samples := len(members)
	if cl.Representative != "" {
		samples++
	}
	// Each sampled text stands for count/samples inquiries in the document
	// frequencies, so IDF after a restart resembles IDF before it.
	weight := uint32(1)
	if samples > 0 && cl.Count > samples {
		weight = uint32((cl.Count + samples/2) / samples)
	}
	add := func(p profile) {
		vec := c.weigh(p.features)
		c.documents += int(weight)
		for _, f := range p.features {
			c.freq.add(f.hash, weight)
		}
		c.merge, _ = addVectors(c.merge[:0], r.centroid, vec)
		r.centroid = replaceVector(r.centroid, c.merge)
		if len(r.centroid) > 2*c.tune.centroidFeatures {
			r.centroid = slices.Clone(heaviest(r.centroid, c.tune.centroidFeatures))
			sortByHash(r.centroid)
		}
		if p.negated {
			negated++
		}
		c.addTopic(r, p.topic)
	}
	if cl.Representative != "" {
		add(rep)
	}
	recounted := int32(0)
	for i, m := range members {
		add(texts[i])
		if m.CustomerID != "" {
			r.customers[customerKey(m.CustomerID)] = struct{}{}
		}
		if !m.At.IsZero() && cl.LastSeen.Sub(m.At) < 15*time.Minute {
			r.tally(m.At, 1)
			recounted++
		}
	}
	// Members may be a sample: whatever recent traffic it misses is put in
	// the minute of the last inquiry so the rates survive the restart.
	if missing := int32(cl.Last15m) - recounted; missing > 0 && !cl.LastSeen.IsZero() {
		r.tally(cl.LastSeen, missing)
	}
	r.count = max(cl.Count, len(members))
	r.voters = r.count
	r.customerCount = max(cl.Customers, len(r.customers))
	if samples > 0 {
		// Scale the negation votes of the sample up to the whole cluster.
		r.negated = negated * r.count / samples
	}
	r.shapeSum = shapeSum(r.centroid)
	r.norm = math.Sqrt(r.shapeSum)
	c.reindex(slot, r)
	r.nextIndex = min(2*r.count, r.count+64)
	c.moveToBack(slot)
}

// IndexBytes estimates the memory held by the candidate index: postings,
// centroids and the document-frequency table.
func (c *Clusterer) IndexBytes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	const mapEntry = 8 + 24 + 8 // key, slice header, map overhead per entry
	total := c.freq.bytes()
	for _, p := range c.postings {
		total += mapEntry + 4*cap(p)
	}
	for _, cl := range c.slots {
		if cl != nil {
			total += 8*cap(cl.centroid) + 4*cap(cl.indexed) + 24*2
		}
	}
	total += 8*len(c.slots) + 8*len(c.score) + 24*len(c.repeats)
	return total
}

// Add records that it joined clusterID by another instance's decision, so
// that this instance's index learns from it as if Assign had put it there.
// A cluster unknown here (started elsewhere) is opened under that id.
func (c *Clusterer) Add(clusterID string, it Item) {
	p := c.profileOf(it.Text)
	c.mu.Lock()
	defer c.mu.Unlock()
	if into, ok := c.mergedInto[clusterID]; ok {
		// Decided before the merge reached that instance.
		clusterID = into
	}
	if _, closed := c.closedIDs[clusterID]; closed {
		return
	}
	vec := c.advance(it, p)
	p.topicW = c.weighTopic(p.topic)
	c.count(p.features)
	var cl *cluster
	if slot, ok := c.byID[clusterID]; ok && c.slots[slot] != nil {
		cl = c.slots[slot]
		c.join(slot, cl, vec, p, it, c.similarity(vec, p, cl))
	} else {
		cl = c.open(clusterID, it.At)
		c.join(cl.slot, cl, vec, p, it, 1)
	}
	if len(c.repeats) >= repeatsCap {
		clear(c.repeats)
	}
	c.repeats[signatureOf(p.features)] = cl
}

// Close closes a cluster now (its incident was resolved, say): later
// inquiries start afresh. Closing an unknown or closed cluster does nothing.
func (c *Clusterer) Close(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if slot, ok := c.byID[id]; ok && c.slots[slot] != nil {
		c.close(slot)
	}
	if c.closedIDs == nil || len(c.closedIDs) >= repeatsCap {
		c.closedIDs = map[string]struct{}{}
	}
	c.closedIDs[id] = struct{}{}
}
