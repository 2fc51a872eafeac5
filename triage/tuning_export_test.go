package triage

import (
	"maps"
	"slices"
)

// Hooks for quality_test.go, an external test: it scores with eval, and
// eval imports triage.

// sweepTunings are the variants compared by TRIAGE_SWEEP=1.
func sweepTunings() map[string]tuning {
	exhaustive := defaultTuning
	exhaustive.probedFeatures, exhaustive.indexedFeatures = 1<<20, 1<<20
	exhaustive.postingsCap, exhaustive.rerankCandidates = 1<<20, 1<<20
	variants := map[string]tuning{"default": defaultTuning}
	add := func(name string, change func(*tuning)) {
		t := defaultTuning
		change(&t)
		variants[name] = t
	}
	add("trigrams", func(t *tuning) { t.weights.hangulTrigram = 1 })
	add("no-lift", func(t *tuning) { t.englishLift = 0 })

	variants["exhaustive"] = exhaustive
	return variants
}

// SweepTunings names the variants compared by TRIAGE_SWEEP=1, sorted.
func SweepTunings() []string { return slices.Sorted(maps.Keys(sweepTunings())) }

// NewTuned is NewClusterer with the named tuning variant.
func NewTuned(opts Options, variant string) *Clusterer {
	c := NewClusterer(opts)
	c.tune = sweepTunings()[variant]
	return c
}
