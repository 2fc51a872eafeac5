package triage

import (
	"math"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// A problem groups the clusters that are one underlying issue in any
// wording or language: clusters stay near-duplicates (safe for one reply
// to all), problems are what agents count and work on. Grouping runs on
// clusters, online, as they form and grow; problem.go's doc in doc.go
// ("Problems") explains the signals.

// Embedder is an optional semantic signal: an embedding of a cluster's
// text, computed off the intake path by whoever implements it. A cluster
// without a vector yet (or a nil Embedder) is grouped on the lexical
// signals alone.
type Embedder interface {
	ClusterVector(clusterID string) ([]float32, bool)
}

// ProblemOptions configures a Grouper. Each signal can be switched off, so
// that eval measures it on its own.
type ProblemOptions struct {
	// Threshold is the topic similarity (0..1) a cluster needs to join a
	// problem.
	Threshold float64
	// Topics groups clusters by topic similarity; off, only incident
	// anchoring, embeddings and agents group clusters.
	Topics bool
	// Anchoring puts every cluster matched to an incident's answer in that
	// incident's problem.
	Anchoring bool
	// Embedder, when set, blends embedding similarity with the topic one
	// (weight EmbeddingWeight).
	Embedder        Embedder
	EmbeddingWeight float64
	// NewID returns a fresh, globally unique problem id; nil means random.
	NewID func() string
}

// DefaultProblemThreshold is tuned with `surgedesk eval cluster --level
// problem` on the tuning phrasings of gen-surge and the first half of the
// BANKING77 and CLINC150 labels (docs/problems.md).
const DefaultProblemThreshold = 0.5

// DefaultProblemOptions returns the tuned defaults, every lexical signal on.
func DefaultProblemOptions() ProblemOptions {
	return ProblemOptions{Threshold: DefaultProblemThreshold, Topics: true, Anchoring: true, EmbeddingWeight: 0.5}
}

// Placement is the Grouper's decision for one cluster.
type Placement struct {
	ProblemID string
	Moved     bool // the cluster left another problem (or was new)
	Emptied   string
}

// Title is a readable label: a real member text in the language of most
// members, with the other language's most central text beside it.
type Title struct {
	Text      string
	Lang      string // "ko" or "en"
	Other     string
	OtherLang string
}

const (
	topicCap        = 64  // terms kept per cluster topic vector
	topicProbe      = 12  // a cluster's heaviest terms looked up
	topicPostings   = 32  // problems kept per term, most recent last
	topicCandidates = 8   // problems scored exactly
	recentProblems  = 32  // problems scanned for embeddings only
	titleRunes      = 80  // a title longer than this is cut
	gluedLetters    = 12  // an English token this long may be words without spaces
	moveMargin      = 0.1 // a placed cluster moves only to a clearly better problem
	seededLift      = 0.6 // an incident's problem needs this share of the threshold
	sweepEvery      = 1 << 16
	forgetAfter     = 1 << 22 // Observe calls without a member before a cluster is forgotten
)

type gcluster struct {
	id       string
	problem  *gproblem
	count    int
	live     []feature // sum of members' unit topic vectors, sorted by hash
	placed   []feature // live as of the last decision: what the problem holds
	next     int       // count at which the cluster is placed again
	pinned   bool      // an agent placed it: no automatic decision moves it
	incident string    // anchored to this incident's problem
	votes    []vote    // members answered from each incident
	emb      []float32 // embedding held in the problem's sum
	texts    [2]langText
	tick     uint64 // g.ticks at its last member
}

// vote counts a cluster's members answered from one incident.
type vote struct {
	incident string
	n        int
}

// anchorShare is the share of a cluster's members that must be answered
// from one incident before the cluster is anchored to it: a cluster that
// is mostly another outage must not follow a few stray matches (half:
// tuned on gen-surge seed 1, tuning phrasings, docs/problems.md).
const anchorShare = 2

// anchorOf counts a member answered from incidentID and returns the
// incident the cluster belongs to: the one answering most of its members,
// once it answers at least 1/anchorShare of them; "" otherwise.
func (cl *gcluster) anchorOf(incidentID string) string {
	if incidentID != "" {
		i := slices.IndexFunc(cl.votes, func(v vote) bool { return v.incident == incidentID })
		if i < 0 {
			cl.votes = append(cl.votes, vote{incident: incidentID})
			i = len(cl.votes) - 1
		}
		cl.votes[i].n++
	}
	best := vote{}
	for _, v := range cl.votes {
		// The current anchor keeps ties, so a cluster does not flip.
		if v.n > best.n || (v.n == best.n && v.incident == cl.incident) {
			best = v
		}
	}
	if best.n*anchorShare < cl.count {
		return ""
	}
	return best.incident
}

// langText keeps one language's most central member text of a cluster.
type langText struct {
	text  string
	score float64
	count int
}

type gproblem struct {
	id       string
	clusters []*gcluster
	centroid map[uint32]float32 // sum of members' placed vectors (and seeds)
	terms    map[uint32]int32   // members holding each term, for the IDF
	incident string
	embSum   []float32
	embN     int
	seeded   bool // an incident's examples are part of the centroid
	stamp    uint64
	// mark and partial accumulate candidates' partial scores without a
	// map: mark is the Grouper's epoch of the lookup that scored it.
	mark    uint64
	partial float64
	// norm caches the IDF-weighted centroid norm, recomputed when the
	// centroid changed or many document frequencies moved since.
	norm   float64
	normAt uint64 // g.holds when norm was computed; 0: stale
}

func (p *gproblem) empty() bool { return len(p.clusters) == 0 && !p.seeded }

// Grouper groups clusters into problems online. Safe for concurrent use.
type Grouper struct {
	mu        sync.Mutex
	opts      ProblemOptions
	clusters  map[string]*gcluster
	problems  map[string]*gproblem
	incidents map[string]*gproblem
	// mergedInto maps a problem merged away (by an agent) to the problem it
	// was merged into, chains flattened.
	mergedInto map[string]string
	df         map[uint32]int32 // problems holding each term
	postings   map[uint32][]*gproblem
	clock      uint64
	holds      uint64      // centroid changes so far, for norm caching
	ticks      uint64      // Observe calls so far, for forgetting idle clusters
	recent     []*gproblem // most recently placed-into problems, for embeddings
	// embMean sums the cluster vectors placed so far (embSeen of them):
	// their mean is the direction every sentence of a model shares, taken
	// out before comparing, so that cosines of unrelated texts sit near 0
	// whatever the model.
	embMean []float64
	embSeen int
	scratch []feature
	heavy   []feature // heaviestTerms' buffer
	weighed []weighedTerm
	found   []*gproblem // candidates' buffer
	epoch   uint64      // candidates lookups so far
}

// NewGrouper returns an empty Grouper.
func NewGrouper(opts ProblemOptions) *Grouper {
	if opts.NewID == nil {
		opts.NewID = randomID
	}
	return &Grouper{
		opts:       opts,
		clusters:   map[string]*gcluster{},
		problems:   map[string]*gproblem{},
		incidents:  map[string]*gproblem{},
		mergedInto: map[string]string{},
		df:         map[uint32]int32{},
		postings:   map[uint32][]*gproblem{},
	}
}

// topicFillers are words that say how a customer feels or greets, that
// an outage of any kind shares ("안 돼요", "error", "asap"), or that frame
// a question (questionFrames): they must not join topics. Listed raw; they are normalised like inquiries at start.
var topicFillers = func() map[string]bool {
	m := map[string]bool{}
	raw := `안녕하세요 안녕 저기요 문의 문의드립니다 문의드려요 긴급 급해요 급합니다 급함 빨리 빨리요 얼른 제발
		해결해주세요 해결 확인 부탁드려요 부탁드립니다 부탁 답변 좀 좀요 상담사님 상담원 고객센터 감사합니다
		지금 오늘 아까 방금 갑자기 계속 자꾸 아직 다시 또 왜 그런가요 무슨 일이에요 어떻게 해요 하나요 되나요
		안 안돼요 안되요 안됩니다 안됨 안되네요 안되는데 안되는데요 돼요 됩니다 되네요 안 못 해요
		오류 에러 오류나요 에러나요 떠요 뜹니다 뜨네요 나요 납니다 나와요 남 있나요 맞죠 인가요 맞나요
		장애 문제 이상해요 이상 아니 진짜 너무 정말 ㅠㅠ 네 요 그리고 근데 혹시
		hi hello hey dear team support urgent asap please pls plz fix help thanks thank ty
		error issue issues problem problems still again now today yesterday morning tonight since
		keep keeps kept really very just why what is wrong anyone going on happening
		fail fails failed failing broken work works working 실패 실패해요 안되네요 먹통`
	for _, w := range strings.Fields(raw + " " + questionFrames) {
		for _, t := range tokenize(w, nil) {
			m[t.text] = true
		}
	}
	return m
}()

// questionFrames say how a question is put (when, where, how long, at
// night, on weekends, what it takes), not what it is about.
const questionFrames = `언제 어디 어디서 어디에 어디있어요 어디 있어요 어떻게 어케 얼마나 얼마 며칠 몇 가능 가능해요 가능한가요 방법 방법이
	필요 필요해요 필요한가요 뭐가 뭐 서류 준비 준비해야 비용 주말 주말에도 밤 밤에도 평일 처리 기간 처리기간 걸려요 걸리나요 걸리 할수 할 수 있어요 있나요 하고 싶은데 해야
	long take takes until possible need needs document documents way weekend weekends night cost fee anything`

// topicOf returns a text's unit topic vector: each content word, and for
// Korean each word's syllable 2-grams (with word boundaries), without
// fillers, stopwords and numbers. Unlike the clusterer's features nothing
// crosses a word boundary: the predicate ("안 돼요") is not the topic.
func topicOf(text string) []feature { return topicOfTokens(tokenize(text, nil)) }

func topicOfTokens(toks []token) []feature {
	feats := make([]feature, 0, 4*len(toks))
	for _, t := range toks {
		if topicFillers[t.text] || strings.ContainsAny(t.text, "0123456789") {
			continue
		}
		if !t.hangul {
			if englishStopwords[t.text] || negationWords[t.text] || len(t.text) < 2 {
				continue
			}
			feats = append(feats, feature{hash: mix32(hashString(t.text) ^ kindWord<<56), weight: 1.5})
			if len(t.text) >= gluedLetters {
				// Hurried text drops spaces ("loginkeepsfailing"): letter
				// 4-grams of a long run still meet the words it glues.
				for i := 0; i+4 <= len(t.text); i++ {
					feats = append(feats, feature{hash: mix32(hashString(t.text[i:i+4]) ^ kindWordPair<<56), weight: 0.5})
				}
			}
			continue
		}
		w := trimFillers(t.text)
		// "등록하려면", "수령하려고", "변경하면": the noun before 하 is the
		// topic, the verb after it is how the question is put.
		if i := strings.Index(w, "하"); i >= 6 {
			w = w[:i]
		}
		if w == "" || topicFillers[w] {
			continue
		}
		feats = append(feats, feature{hash: mix32(hashString(w) ^ kindWord<<56), weight: 1})
		prev := rune('^')
		for _, r := range w {
			feats = append(feats, feature{hash: hash2(kindHangulBigram, prev, r), weight: 0.5})
			prev = r
		}
		feats = append(feats, feature{hash: hash2(kindHangulBigram, prev, '$'), weight: 0.5})
	}
	feats = mergeFeatures(feats)
	var n float64
	for _, f := range feats {
		n += float64(f.weight) * float64(f.weight)
	}
	if n > 0 {
		inv := float32(1 / math.Sqrt(n))
		for i := range feats {
			feats[i].weight *= inv
		}
	}
	return feats
}

// koreanAffixFillers are the Hangul fillers of two syllables or more, by
// length in syllables: spacing-free text glues them to the topic
// ("로그인안되", "지금로그인오류").
var koreanAffixFillers = func() map[string]bool {
	out := map[string]bool{}
	for w := range topicFillers {
		if n := utf8.RuneCountInString(w); n >= 2 && n <= maxAffixSyllables && isSyllable([]rune(w)[0]) {
			out[w] = true
		}
	}
	return out
}()

const maxAffixSyllables = 6

// trimFillers cuts fillers glued to either end of a Hangul word (longest
// first), a trailing 안 or 못 and a leading 안 (negation). Hangul
// syllables are three bytes each, so ends are cut by byte counts.
func trimFillers(w string) string {
	for changed := true; changed && w != ""; {
		changed = false
		for k := min(maxAffixSyllables, len(w)/3-1); k >= 2; k-- {
			if n := 3 * k; n < len(w) && koreanAffixFillers[w[len(w)-n:]] {
				w, changed = w[:len(w)-n], true
				break
			}
		}
		for k := min(maxAffixSyllables, len(w)/3-1); k >= 2; k-- {
			if n := 3 * k; n < len(w) && koreanAffixFillers[w[:n]] {
				w, changed = w[n:], true
				break
			}
		}
		if len(w) > 3 && (strings.HasSuffix(w, "안") || strings.HasSuffix(w, "못")) {
			w, changed = w[:len(w)-3], true
		}
	}
	return strings.TrimPrefix(w, "안")
}

// langOf is a text's language for titles, an index into langNames: Korean
// when Hangul is about a fifth of its letters or more.
func langOf(text string) int {
	var ko, other int
	for _, r := range text {
		switch {
		case isSyllable(r):
			ko++
		case r < utf8.RuneSelf && (r|0x20) >= 'a' && (r|0x20) <= 'z':
			other++
		}
	}
	if ko > 0 && 2*ko >= other/2 {
		return 0
	}
	return 1
}

var langNames = [2]string{"ko", "en"}

// Observe records that a member with text joined clusterID (assigned by
// the clusterer, similarity sim to its centroid) and, when the inquiry was
// matched to an incident's answer, incidentID. It returns the cluster's
// problem, placing the cluster again at 1, 2, 4, ... members.
func (g *Grouper) Observe(clusterID, text string, sim float64, incidentID string) Placement {
	return g.observe(clusterID, text, sim, incidentID, nil)
}

// ObserveAssigned is Observe for the clusterer's assignment of text: it
// reuses the topic vector the clusterer computed.
func (g *Grouper) ObserveAssigned(a Assignment, text, incidentID string) Placement {
	return g.observe(a.ClusterID, text, a.Similarity, incidentID, a.topic)
}

func (g *Grouper) observe(clusterID, text string, sim float64, incidentID string, vec []feature) Placement {
	g.mu.Lock()
	cl := g.clusters[clusterID]
	if vec == nil && (cl == nil || cl.count+1 <= centroidSettled || (cl.count+1)%8 == 0) {
		// Past centroidSettled members only every eighth is learnt: a
		// surge cluster's topic has settled, and most of a surge skips
		// the tokenising.
		g.mu.Unlock()
		vec = topicOf(text)
		g.mu.Lock()
		cl = g.clusters[clusterID]
	}
	defer g.mu.Unlock()
	if cl == nil {
		cl = &gcluster{id: clusterID, next: 1}
		g.clusters[clusterID] = cl
	}
	cl.count++
	g.ticks++
	cl.tick = g.ticks
	if g.ticks%sweepEvery == 0 {
		g.sweep()
	}
	g.learn(cl, vec, text, sim)
	if g.opts.Anchoring && !cl.pinned && (incidentID != "" || cl.incident != "") {
		switch anchor := cl.anchorOf(incidentID); {
		case anchor != "" && anchor != cl.incident:
			cl.incident = anchor
			return g.place(cl, g.incidentProblem(anchor))
		case anchor == "" && cl.incident != "":
			// Most members turned out not to be answered from the
			// incident: the cluster is placed by topic again.
			cl.incident = ""
			cl.next = 2 * cl.count
			return g.decideAgain(cl)
		}
	}
	if cl.problem != nil && cl.count < cl.next {
		return Placement{ProblemID: cl.problem.id}
	}
	cl.next = 2 * cl.count
	return g.decide(cl)
}

// sweep forgets clusters no member has joined for forgetAfter Observe
// calls (the clusterer has long closed them), so memory stays bounded;
// clusters an agent placed are kept. A forgotten cluster that comes back
// is placed afresh (SQL keeps a pinned placement either way).
func (g *Grouper) sweep() {
	for id, cl := range g.clusters {
		if cl.pinned || g.ticks-cl.tick < forgetAfter {
			continue
		}
		delete(g.clusters, id)
		if p := cl.problem; p != nil {
			g.withdraw(cl)
			p.clusters = slices.DeleteFunc(p.clusters, func(c *gcluster) bool { return c == cl })
			if p.empty() {
				g.drop(p)
			}
		}
	}
	for h, ps := range g.postings {
		ps = slices.DeleteFunc(ps, func(p *gproblem) bool { return g.problems[p.id] != p || p.empty() })
		if len(ps) == 0 {
			delete(g.postings, h)
		} else {
			g.postings[h] = ps
		}
	}
}

// learn folds a member's topic vector into the cluster's (every member up
// to centroidSettled, then every eighth) and keeps its most central text.
func (g *Grouper) learn(cl *gcluster, vec []feature, text string, sim float64) {
	if vec != nil && (cl.count <= centroidSettled || cl.count%8 == 0) {
		g.scratch, _ = addVectors(g.scratch[:0], cl.live, vec)
		cl.live = replaceVector(cl.live, g.scratch)
		if len(cl.live) > 2*topicCap {
			cl.live = slices.Clone(heaviest(cl.live, topicCap))
			sortByHash(cl.live)
		}
	}
	if text == "" {
		return
	}
	lt := &cl.texts[langOf(text)]
	lt.count++
	if lt.text != "" && sim <= lt.score {
		return
	}
	// Central and short: a member close to the cluster's centroid, cut
	// down for length beyond 40 letters.
	score := sim - 0.004*float64(max(0, utf8.RuneCountInString(text)-40))
	if lt.text == "" || score > lt.score {
		lt.text, lt.score = text, score
	}
}

// incidentProblem returns the incident's problem, opening it if needed.
func (g *Grouper) incidentProblem(incidentID string) *gproblem {
	if p := g.incidents[incidentID]; p != nil {
		return g.resolve(p)
	}
	p := g.open(g.opts.NewID())
	p.incident = incidentID
	g.incidents[incidentID] = p
	return p
}

// resolve follows agents' merges.
func (g *Grouper) resolve(p *gproblem) *gproblem {
	if into, ok := g.mergedInto[p.id]; ok {
		if q := g.problems[into]; q != nil {
			return q
		}
	}
	return p
}

func (g *Grouper) open(id string) *gproblem {
	p := &gproblem{id: id, centroid: map[uint32]float32{}, terms: map[uint32]int32{}}
	g.problems[id] = p
	return p
}

// Seed makes an incident's answer examples (ko and en) part of its
// problem's topic, so that clusters worded like any example join it by
// topic even when the matcher did not answer them.
func (g *Grouper) Seed(incidentID string, examples []string) string {
	vecs := make([][]feature, len(examples))
	for i, e := range examples {
		vecs[i] = topicOf(e)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	p := g.incidentProblem(incidentID)
	p.seeded = true
	for _, v := range vecs {
		g.hold(p, v, +1)
		g.list(p, v)
	}
	return p.id
}

// decide places cl in the problem whose topic (blended with embeddings
// when configured) is most similar, or in one of its own.
func (g *Grouper) decide(cl *gcluster) Placement { return g.decideFrom(cl, false) }

// decideAgain is decide for a cluster whose anchor was lifted: it stays in
// its problem only if it belongs there by topic.
func (g *Grouper) decideAgain(cl *gcluster) Placement { return g.decideFrom(cl, true) }

func (g *Grouper) decideFrom(cl *gcluster, unanchored bool) Placement {
	if cl.pinned || (cl.incident != "" && g.opts.Anchoring) {
		return g.place(cl, cl.problem)
	}
	var emb []float32
	if g.opts.Embedder != nil {
		emb, _ = g.opts.Embedder.ClusterVector(cl.id)
	}
	own := cl.problem
	// Score against the problems as they would be without cl.
	if own != nil {
		g.withdraw(cl)
	}
	best, bestSim := (*gproblem)(nil), 0.0
	ownSim := 0.0
	found := g.candidates(cl, emb)
	v := g.weighTerms(cl.live)
	for _, p := range found {
		s := g.similarityOf(v, emb, p)
		if p.seeded {
			// An incident's problem carries the examples agents wrote for
			// it: a cluster worded like them needs less to join.
			s /= seededLift
		}
		if p == own {
			ownSim = s
		}
		if s > bestSim {
			best, bestSim = p, s
		}
	}
	alone := own == nil || (len(own.clusters) == 1 && !own.seeded && own.incident == "")
	target := own
	if unanchored && ownSim < g.opts.Threshold {
		target = nil // a problem of its own unless a better one takes it
	}
	if best != nil && best != own && bestSim >= g.opts.Threshold && (alone || bestSim > ownSim+moveMargin) {
		target = best
	}
	cl.emb = emb
	return g.place(cl, target)
}

// place puts cl (withdrawn or not) into p and lists p under cl's terms.
func (g *Grouper) place(cl *gcluster, p *gproblem) Placement {
	if p == nil {
		p = g.open(g.opts.NewID())
	}
	old := cl.problem
	if old != nil && cl.placed != nil {
		g.withdraw(cl)
	}
	var emptied string
	if old != nil && old != p {
		old.clusters = slices.DeleteFunc(old.clusters, func(c *gcluster) bool { return c == cl })
		if old.empty() {
			emptied = old.id
			g.drop(old)
		}
	}
	if old != p {
		p.clusters = append(p.clusters, cl)
	}
	cl.problem = p
	cl.placed = slices.Clone(cl.live)
	g.hold(p, cl.placed, +1)
	if cl.emb != nil {
		if g.embMean == nil {
			g.embMean = make([]float64, len(cl.emb))
		}
		if len(g.embMean) == len(cl.emb) {
			for i, x := range cl.emb {
				g.embMean[i] += float64(x)
			}
			g.embSeen++
		}
		if p.embSum == nil {
			p.embSum = make([]float32, len(cl.emb))
		}
		if len(p.embSum) == len(cl.emb) {
			for i, x := range cl.emb {
				p.embSum[i] += x
			}
			p.embN++
		}
	}
	g.list(p, cl.placed)
	return Placement{ProblemID: p.id, Moved: old != p, Emptied: emptied}
}

// withdraw takes cl's placed vector (and embedding) out of its problem.
func (g *Grouper) withdraw(cl *gcluster) {
	p := cl.problem
	if p == nil || cl.placed == nil {
		return
	}
	g.hold(p, cl.placed, -1)
	cl.placed = nil
	if cl.emb != nil && len(p.embSum) == len(cl.emb) && p.embN > 0 {
		for i, x := range cl.emb {
			p.embSum[i] -= x
		}
		p.embN--
	}
}

// hold adds (sign +1) or removes (-1) a vector to a problem's centroid and
// term counts, keeping the per-problem document frequencies in step.
func (g *Grouper) hold(p *gproblem, v []feature, sign int32) {
	g.holds++
	p.normAt = 0
	for _, f := range v {
		w := p.centroid[f.hash] + float32(sign)*f.weight
		n := p.terms[f.hash] + sign
		if n <= 0 {
			delete(p.centroid, f.hash)
			delete(p.terms, f.hash)
			if n == 0 {
				g.df[f.hash]--
				if g.df[f.hash] <= 0 {
					delete(g.df, f.hash)
				}
			}
			continue
		}
		if n == 1 && sign > 0 {
			g.df[f.hash]++
		}
		p.centroid[f.hash], p.terms[f.hash] = w, n
	}
}

// drop forgets an emptied problem.
func (g *Grouper) drop(p *gproblem) {
	for h, n := range p.terms {
		if n > 0 {
			if g.df[h]--; g.df[h] <= 0 {
				delete(g.df, h)
			}
		}
	}
	p.centroid, p.terms = map[uint32]float32{}, map[uint32]int32{}
	if p.incident == "" {
		delete(g.problems, p.id)
	}
}

// idf weighs a term by the number of problems holding it, not inquiries or
// clusters: a surge spreads "login" over a hundred clusters of one
// problem, and it stays the topic.
func (g *Grouper) idf(h uint32) float64 {
	return logOf(uint32(len(g.problems)+1)) - logOf(uint32(g.df[h]+1)) + 1
}

// list puts p under v's heaviest terms.
func (g *Grouper) list(p *gproblem, v []feature) {
	g.clock++
	p.stamp = g.clock
	for _, f := range g.heaviestTerms(v) {
		ps := g.postings[f.hash]
		if i := slices.Index(ps, p); i >= 0 {
			ps = slices.Delete(ps, i, i+1)
		} else if len(ps) >= topicPostings {
			ps = slices.Delete(ps, 0, 1)
		}
		g.postings[f.hash] = append(ps, p)
	}
	if g.opts.Embedder != nil {
		g.recent = slices.DeleteFunc(g.recent, func(q *gproblem) bool { return q == p })
		if len(g.recent) >= recentProblems {
			g.recent = g.recent[1:]
		}
		g.recent = append(g.recent, p)
	}
}

func (g *Grouper) heaviestTerms(v []feature) []feature {
	w := slices.Grow(g.heavy[:0], len(v))[:len(v)]
	g.heavy = w
	for i, f := range v {
		w[i] = feature{hash: f.hash, weight: f.weight * float32(g.idf(f.hash))}
	}
	return heaviest(w, topicProbe)
}

// candidates are the problems listed under cl's heaviest terms, best
// partial scores first, plus recent problems when embeddings are on.
func (g *Grouper) candidates(cl *gcluster, emb []float32) []*gproblem {
	g.epoch++
	out := g.found[:0]
	for _, f := range g.heaviestTerms(cl.live) {
		for _, p := range g.postings[f.hash] {
			p = g.resolve(p)
			if p.empty() || g.problems[p.id] != p {
				continue
			}
			if p.mark != g.epoch {
				p.mark, p.partial = g.epoch, 0
				out = append(out, p)
			}
			p.partial += float64(f.weight)
		}
	}
	g.found = out
	slices.SortFunc(out, func(a, b *gproblem) int {
		switch {
		case a.partial > b.partial:
			return -1
		case a.partial < b.partial:
			return 1
		}
		return strings.Compare(a.id, b.id)
	})
	if len(out) > topicCandidates {
		out = out[:topicCandidates]
	}
	if emb != nil {
		for _, p := range g.recent {
			p = g.resolve(p)
			if !p.empty() && !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}

// similarity of a cluster's topic vector to a problem's centroid, IDF
// weighted, the centroid flattened by a square root so that a term a few
// of its clusters use still counts; blended with the embedding cosine.
func (g *Grouper) similarity(v []feature, emb []float32, p *gproblem) float64 {
	return g.similarityOf(g.weighTerms(v), emb, p)
}

// weighedTerm is a topic term weighed by its IDF, once per decision
// rather than once per candidate problem.
type weighedTerm struct {
	hash   uint32
	w, idf float64
}

// weighTerms weighs v by IDF into the Grouper's buffer.
func (g *Grouper) weighTerms(v []feature) []weighedTerm {
	out := slices.Grow(g.weighed[:0], len(v))[:len(v)]
	g.weighed = out
	for i, f := range v {
		idf := g.idf(f.hash)
		out[i] = weighedTerm{hash: f.hash, w: float64(f.weight) * idf, idf: idf}
	}
	return out
}

func (g *Grouper) similarityOf(v []weighedTerm, emb []float32, p *gproblem) float64 {
	topic := 0.0
	if g.opts.Topics || p.seeded {
		var dot, nv, np float64
		for _, t := range v {
			nv += t.w * t.w
			if c, ok := p.centroid[t.hash]; ok && c > 0 {
				dot += t.w * shapeOf(c) * t.idf
			}
		}
		np = g.centroidNorm(p)
		if nv > 0 && np > 0 {
			topic = dot / math.Sqrt(nv*np)
		}
		if !g.opts.Topics {
			// Only an incident's own examples may pull a cluster in.
			topic = g.seedOnly(p, topic)
		}
	}
	if emb == nil || p.embN == 0 {
		return topic
	}
	e := g.centeredCosine(emb, p)
	if !g.opts.Topics {
		return e
	}
	w := g.opts.EmbeddingWeight
	return (1-w)*topic + w*e
}

// centroidNorm is p's IDF-weighted centroid norm (squared), cached: the
// IDFs drift slowly, so a norm is reused until p changes or a thousand
// other centroid changes have happened.
func (g *Grouper) centroidNorm(p *gproblem) float64 {
	if p.normAt != 0 && g.holds-p.normAt < 1000 {
		return p.norm
	}
	var np float64
	for h, c := range p.centroid {
		if c > 0 {
			w := shapeOf(c) * g.idf(h)
			np += w * w
		}
	}
	p.norm, p.normAt = np, max(g.holds, 1)
	return np
}

// seedOnly keeps the topic score only for problems with no clusters
// besides the seed, so that with Topics off clusters do not group by
// topic among themselves.
func (g *Grouper) seedOnly(p *gproblem, topic float64) float64 {
	if p.seeded {
		return topic
	}
	return 0
}

// centeredCosine is the cosine of a cluster's vector with p's mean
// vector, both taken relative to the mean of every cluster vector placed.
func (g *Grouper) centeredCosine(emb []float32, p *gproblem) float64 {
	if len(g.embMean) != len(emb) || len(p.embSum) != len(emb) || g.embSeen < 2 {
		return cosine32(emb, p.embSum)
	}
	seen, n := float64(g.embSeen), float64(p.embN)
	var dot, na, nb float64
	for i, x := range emb {
		mu := g.embMean[i] / seen
		a, b := float64(x)-mu, float64(p.embSum[i])/n-mu
		dot, na, nb = dot+a*b, na+a*a, nb+b*b
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}

func cosine32(a, b []float32) float64 {
	if len(a) != len(b) {
		return 0
	}
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}

// ProblemOf returns the problem a cluster is in, or "".
func (g *Grouper) ProblemOf(clusterID string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	if cl := g.clusters[clusterID]; cl != nil && cl.problem != nil {
		return cl.problem.id
	}
	return ""
}

// Clusters returns the ids of the clusters in a problem.
func (g *Grouper) Clusters(problemID string) []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	p := g.problems[problemID]
	if p == nil {
		return nil
	}
	out := make([]string, len(p.clusters))
	for i, cl := range p.clusters {
		out[i] = cl.id
	}
	return out
}

// Place records a placement decided elsewhere (another instance, or SQL on
// restart): cl joins problemID without any decision, and learns text.
func (g *Grouper) Place(clusterID, problemID, text string, pinned bool) {
	vec := topicOf(text)
	g.mu.Lock()
	defer g.mu.Unlock()
	if into, ok := g.mergedInto[problemID]; ok {
		problemID = into
	}
	cl := g.clusters[clusterID]
	if cl == nil {
		cl = &gcluster{id: clusterID, next: 1}
		g.clusters[clusterID] = cl
	}
	if text != "" {
		cl.count++
		g.learn(cl, vec, text, 0)
		cl.next = max(cl.next, 2*cl.count)
	}
	cl.pinned = cl.pinned || pinned
	p := g.problems[problemID]
	if p == nil {
		p = g.open(problemID)
	}
	g.place(cl, p)
}

// Anchor records that problemID is incidentID's problem (after a restart):
// inquiries answered from the incident join it.
func (g *Grouper) Anchor(problemID, incidentID string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if into, ok := g.mergedInto[problemID]; ok {
		problemID = into
	}
	p := g.problems[problemID]
	if p == nil {
		p = g.open(problemID)
	}
	p.incident = incidentID
	g.incidents[incidentID] = p
}

// Move is an agent's correction: cluster clusterID goes to problem
// problemID (opened if unknown, for example a fresh id to take the cluster
// out into a problem of its own) and stays there: no automatic decision
// moves it again. It returns the problem the move emptied, if any.
func (g *Grouper) Move(clusterID, problemID string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	if into, ok := g.mergedInto[problemID]; ok {
		problemID = into
	}
	cl := g.clusters[clusterID]
	if cl == nil {
		cl = &gcluster{id: clusterID, next: 1}
		g.clusters[clusterID] = cl
	}
	cl.pinned = true
	p := g.problems[problemID]
	if p == nil {
		p = g.open(problemID)
	}
	return g.place(cl, p).Emptied
}

// Merge is an agent's merge of problem from into problem into: every
// cluster of from moves, and from's id points at into from now on
// (announcements of placements into from decided before the merge land in
// into).
func (g *Grouper) Merge(from, into string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if from == into {
		return
	}
	if next, ok := g.mergedInto[into]; ok {
		into = next
	}
	q := g.problems[into]
	if q == nil {
		q = g.open(into)
	}
	if p := g.problems[from]; p != nil && p != q {
		for _, cl := range slices.Clone(p.clusters) {
			cl.pinned = true
			g.place(cl, q)
		}
		if p.incident != "" {
			if q.incident == "" {
				q.incident = p.incident
			}
			g.incidents[p.incident] = q
		}
		if p.seeded {
			for h, w := range p.centroid {
				q.centroid[h] += w
				q.terms[h]++
			}
			q.seeded = true
		}
		g.drop(p)
		delete(g.problems, from)
	}
	g.mergedInto[from] = into
	for k, v := range g.mergedInto {
		if v == from {
			g.mergedInto[k] = into
		}
	}
}

// Forget removes a cluster (closed, or merged into another cluster): it no
// longer counts in its problem. It returns the problem it emptied, if any.
func (g *Grouper) Forget(clusterID string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	cl := g.clusters[clusterID]
	if cl == nil {
		return ""
	}
	delete(g.clusters, clusterID)
	p := cl.problem
	if p == nil {
		return ""
	}
	g.withdraw(cl)
	p.clusters = slices.DeleteFunc(p.clusters, func(c *gcluster) bool { return c == cl })
	if p.empty() {
		g.drop(p)
		return p.id
	}
	return ""
}

// ProblemTitle returns the problem's title: the most central member text
// of the clusters in the language of most members (the cluster most
// similar to the problem's topic, larger clusters first on ties), and the
// other language's beside it.
func (g *Grouper) ProblemTitle(problemID string) (Title, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	p := g.problems[problemID]
	if p == nil || len(p.clusters) == 0 {
		return Title{}, false
	}
	var counts [2]int
	for _, cl := range p.clusters {
		counts[0] += cl.texts[0].count
		counts[1] += cl.texts[1].count
	}
	var best [2]string
	var bestScore [2]float64
	for _, cl := range p.clusters {
		s := g.similarity(cl.placed, nil, p) * math.Log(2+float64(cl.count))
		for l := range 2 {
			if t := cl.texts[l]; t.text != "" && (best[l] == "" || s > bestScore[l]) {
				best[l], bestScore[l] = t.text, s
			}
		}
	}
	return titleOf(counts, best), true
}

// ClusterTitle is a cluster's title by the same rule.
func (g *Grouper) ClusterTitle(clusterID string) (Title, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	cl := g.clusters[clusterID]
	if cl == nil {
		return Title{}, false
	}
	return titleOf([2]int{cl.texts[0].count, cl.texts[1].count}, [2]string{cl.texts[0].text, cl.texts[1].text}), true
}

func titleOf(counts [2]int, texts [2]string) Title {
	main := 0
	if counts[1] > counts[0] || texts[0] == "" {
		main = 1
	}
	other := 1 - main
	t := Title{Text: shorten(texts[main]), Lang: langNames[main]}
	if texts[other] != "" {
		t.Other, t.OtherLang = shorten(texts[other]), langNames[other]
	}
	return t
}

// TitleOf is the title one member text gives: the text cut down for
// length, in its language. A cluster's title is its representative's (the
// member most similar to the cluster when it joined).
func TitleOf(text string) Title {
	return Title{Text: shorten(text), Lang: Lang(text)}
}

// Lang says whether text is Korean ("ko") or English ("en"), by the rule
// titles go by (langOf).
func Lang(text string) string { return langNames[langOf(text)] }

// shorten cuts a text to titleRunes letters at a word boundary.
func shorten(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= titleRunes {
		return s
	}
	r := []rune(s)[:titleRunes]
	if i := strings.LastIndexByte(string(r), ' '); i > titleRunes/2 {
		return string(r)[:i] + "…"
	}
	return string(r) + "…"
}

// centroidPower flattens a problem centroid (see similarity).
var centroidPower = 1.0

func shapeOf(c float32) float64 {
	if centroidPower == 1 {
		return float64(c)
	}
	return math.Pow(float64(c), centroidPower)
}

// NewID returns a fresh problem id, for an agent taking a cluster out
// into a problem of its own.
func (g *Grouper) NewID() string { return g.opts.NewID() }

// Incident returns the incident a problem is anchored to, or "".
func (g *Grouper) Incident(problemID string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	if p := g.problems[problemID]; p != nil {
		return p.incident
	}
	return ""
}
