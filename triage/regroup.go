package triage

import (
	"math"
	"slices"
	"time"
)

// Agents correct the clusterer: they merge two clusters that are one
// problem and split off inquiries that are another. The clusterer
// remembers both (docs/triage.md, "Merge and split"):
//
//   - Merge folds one cluster's statistics into another and keeps its
//     centroid as a facet of the target: a match on the facet reports the
//     target. A pointer from the old id to the new one makes members that
//     other instances decided before they heard of the merge land in the
//     target, and the old id is never handed out again.
//   - Split moves members to a new cluster, rebuilds both centroids from
//     their own texts and records a cannot-link between the two: whenever
//     Assign picks one of them, it also scores the other and takes the more
//     similar, so texts near the split-off members never flow back into the
//     original however the index ranks them.

// mergedCap bounds the remembered merge pointers; they only matter while
// late announcements can arrive, so the map is simply cleared when full.
const mergedCap = 1 << 16

// NewID returns a fresh cluster id from Options.NewID that no open or
// merged cluster has: what a split names its new cluster with.
func (c *Clusterer) NewID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.freshID()
}

// Merge folds cluster from into cluster into: its members, counts, rates
// and centroid join into's, and from is never returned again; an Add for
// from goes to into. If only from is open here, it lives on under into's
// id. Clusters split from either stay apart from into, except into itself:
// merging two clusters that were split apart undoes the split. Merging an
// unknown cluster only records the pointer, so applying a merge twice is
// harmless.
func (c *Clusterer) Merge(from, into string) {
	if from == "" || into == "" || from == into {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rememberMerge(from, into)
	src, srcOpen := c.byID[from]
	if !srcOpen {
		return
	}
	dst, dstOpen := c.byID[into]
	if !dstOpen {
		// Not known here (idle, or never seen): the source becomes it.
		cl := c.slots[src]
		delete(c.byID, from)
		cl.id = into
		c.byID[into] = src
		return
	}
	c.fold(c.slots[dst], c.slots[src])
}

// rememberMerge records from → into and moves from's cannot-links to into.
func (c *Clusterer) rememberMerge(from, into string) {
	if c.mergedInto == nil || len(c.mergedInto) >= mergedCap {
		c.mergedInto = map[string]string{}
	}
	for k, v := range c.mergedInto {
		if v == from {
			c.mergedInto[k] = into
		}
	}
	c.mergedInto[from] = into
	partners := c.apart[from]
	delete(c.apart, from)
	for _, q := range partners {
		c.apart[q] = slices.DeleteFunc(c.apart[q], func(id string) bool { return id == from })
		if len(c.apart[q]) == 0 {
			delete(c.apart, q)
		}
		if q != into {
			c.keepApart(q, into)
		}
	}
}

// fold adds src's members to dst's statistics and keeps src, and its own
// facets, in the index as facets of dst: a merged cluster matches what
// either half matched, where one summed centroid would match both halves
// less well (its heaviest features, the ones indexed, are shared out).
func (c *Clusterer) fold(dst, src *cluster) {
	delete(c.byID, src.id)
	dst.count += src.count // the negation vote and voters stay per centroid
	for k := range src.customers {
		if _, ok := dst.customers[k]; !ok {
			dst.customers[k] = struct{}{}
			dst.customerCount++
		}
	}
	dst.customerCount += max(0, src.customerCount-len(src.customers)) // anonymous members
	if src.firstSeen.Before(dst.firstSeen) {
		dst.firstSeen = src.firstSeen
	}
	for _, b := range src.minutes {
		if b.count > 0 {
			dst.tallyMinute(b.minute, b.count)
		}
	}
	if dst.representative == "" {
		dst.representative = src.representative
	}
	for _, f := range append(src.facets, src) {
		f.owner = dst
		dst.facets = append(dst.facets, f)
	}
	src.facets = nil
	if src.lastSeen.After(dst.lastSeen) {
		dst.lastSeen = src.lastSeen
		c.moveToBack(dst.slot)
	}
}

// trim caps a centroid to its heaviest features and refreshes its norm.
func (c *Clusterer) trim(cl *cluster) {
	if len(cl.centroid) > 2*c.tune.centroidFeatures {
		cl.centroid = slices.Clone(heaviest(cl.centroid, c.tune.centroidFeatures))
		sortByHash(cl.centroid)
	}
	cl.shapeSum = shapeSum(cl.centroid)
	cl.norm = math.Sqrt(cl.shapeSum)
}

// Split moves the members moved of cluster from to a new cluster to and
// keeps the two apart from now on. kept is a sample of the members left in
// from (the newest few dozen are enough, as for Restore): from's centroid is
// rebuilt from them, to's from moved, so that a text near the moved members
// finds to and one near the rest finds from. Counts and rates of from lose
// the moved members; the exact counts live in SQL. If from is not open
// here, to is opened all the same.
func (c *Clusterer) Split(from, to string, moved, kept []Item) {
	if from == "" || to == "" || from == to || len(moved) == 0 {
		return
	}
	movedP, keptP := c.profilesOf(moved), c.profilesOf(kept)
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.byID[to]; ok {
		c.close(old)
	}
	first, last := moved[0].At, moved[0].At
	for _, m := range moved {
		first, last = earlier(first, m.At), later(last, m.At)
	}
	nc := c.open(to, first)
	nc.lastSeen = last
	nc.count, nc.voters = len(moved), len(moved)
	nc.representative = moved[0].Text
	for i, m := range moved {
		c.addCustomer(nc, m.CustomerID)
		nc.tally(m.At, 1)
		if movedP[i].negated {
			nc.negated++
		}
	}
	c.recentre(nc, movedP)
	c.reindex(nc.slot, nc)
	nc.nextIndex = min(2*nc.count, nc.count+64)

	if slot, ok := c.byID[from]; ok {
		// Facets of earlier merges may hold the moved texts: the rebuilt
		// centroid stands for the whole of what is left.
		for cl := c.slots[slot]; len(cl.facets) > 0; {
			c.close(cl.facets[len(cl.facets)-1].slot)
		}
		c.shrink(c.slots[slot], moved, kept, keptP)
		for _, p := range keptP {
			c.remember(p, c.slots[slot])
		}
	}
	for _, p := range movedP {
		c.remember(p, nc)
	}
	c.keepApart(from, to)
}

// shrink takes the moved members out of cl and rebuilds its centroid from
// the kept sample.
func (c *Clusterer) shrink(cl *cluster, moved, kept []Item, keptP []profile) {
	stays := map[string]bool{}
	for _, k := range kept {
		stays[k.CustomerID] = true
	}
	movedTexts := map[string]bool{}
	for _, m := range moved {
		movedTexts[m.Text] = true
		cl.tally(m.At, -1)
		switch _, known := cl.customers[m.CustomerID]; {
		case m.CustomerID == "":
			cl.customerCount--
		case known && !stays[m.CustomerID]:
			delete(cl.customers, m.CustomerID)
			cl.customerCount--
		}
	}
	cl.count = max(len(kept), cl.count-len(moved), 1)
	cl.customerCount = max(cl.customerCount, len(cl.customers), 1)
	if len(kept) == 0 {
		return // nothing to rebuild from: the centroid stays as it was
	}
	if movedTexts[cl.representative] {
		cl.representative, cl.repSimilarity = kept[0].Text, 0
	}
	negated := 0
	for _, p := range keptP {
		if p.negated {
			negated++
		}
	}
	cl.voters = cl.count
	cl.negated = negated * cl.count / len(kept)
	c.recentre(cl, keptP)
	c.reindex(cl.slot, cl)
	cl.nextIndex = min(2*cl.voters, cl.voters+64)
	cl.label = nil
}

// recentre rebuilds cl's centroid from member profiles, without counting
// them again in the document frequencies.
func (c *Clusterer) recentre(cl *cluster, ps []profile) {
	cl.centroid = cl.centroid[:0]
	cl.topic, cl.topicDocs = cl.topic[:0], 0
	for _, p := range ps {
		c.addTopic(cl, p.topic)
		vec := c.weigh(p.features)
		c.merge, _ = addVectors(c.merge[:0], cl.centroid, vec)
		cl.centroid = replaceVector(cl.centroid, c.merge)
		if len(cl.centroid) > 2*c.tune.centroidFeatures {
			c.trim(cl)
		}
	}
	c.trim(cl)
}

// remember points the repeat cache for p's text at cl.
func (c *Clusterer) remember(p profile, cl *cluster) {
	if len(c.repeats) >= repeatsCap {
		clear(c.repeats)
	}
	c.repeats[signatureOf(p.features)] = cl
}

func (c *Clusterer) profilesOf(items []Item) []profile {
	out := make([]profile, len(items))
	for i, it := range items {
		out[i] = c.profileOf(it.Text)
	}
	return out
}

// KeepApart records that clusters a and b must never take each other's
// inquiries (a split, restored from storage after a restart). It changes
// no centroid.
func (c *Clusterer) KeepApart(a, b string) {
	if a == "" || b == "" || a == b {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.keepApart(a, b)
}

func (c *Clusterer) keepApart(a, b string) {
	if c.apart == nil {
		c.apart = map[string][]string{}
	}
	if !slices.Contains(c.apart[a], b) {
		c.apart[a] = append(c.apart[a], b)
	}
	if !slices.Contains(c.apart[b], a) {
		c.apart[b] = append(c.apart[b], a)
	}
}

// preferApart is Assign's cannot-link check: when the chosen cluster was
// split from others (or they from it), the inquiry goes to whichever of
// them it is most similar to. Only clusters that took part in a split pay
// for it, with one cosine per partner.
func (c *Clusterer) preferApart(best int32, sim float64, vec []feature, p profile, at time.Time) (int32, float64) {
	for _, id := range c.apart[c.slots[best].root().id] {
		slot, ok := c.byID[id]
		if !ok {
			continue
		}
		cl := c.slots[slot]
		if c.idle(cl, at) {
			continue
		}
		if s := c.similarity(vec, p, cl); s > sim {
			best, sim = slot, s
		}
	}
	return best, sim
}

// Apart returns the clusters kept apart from id, for tests and tools.
func (c *Clusterer) Apart(id string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.apart[id])
}

func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
