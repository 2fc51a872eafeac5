// Package eval measures how well surgedesk groups duplicate inquiries and
// answers them from the knowledge base, on labelled label<TAB>text data.
//
// Cluster runs the production clusterer (triage) over texts exactly as the
// server would (Prepare redacts them first) and ClusterRun.Result scores
// it; Match does the same for the knowledge-base matcher (kb) and
// ScoreMatches scores its answers. SweepClusters and SweepMatches repeat
// them over thresholds. The scores are computed from one contingency
// table (Score: ARI, NMI, pairwise precision/recall/F1, purity).
//
// Baselines make the figures honest: a character n-gram TF-IDF leader
// clusterer (Baseline) and a nearest-example matcher over the same n-grams
// (Nearest). ReadExamples reads the data files; GenerateSurge writes a
// synthetic outage surge, shared by the load generator and the benchmarks.
//
// The `surgedesk eval` command only parses flags and prints what this
// package computes; README.md beside this file is its manual and holds the
// measured figures.
package eval
