// Package eval measures how well surgedesk groups duplicate inquiries.
//
// It holds clustering metrics computed from a contingency table (ARI, NMI,
// pairwise precision/recall/F1, purity), a reader for labelled
// label<TAB>text files, a character n-gram TF-IDF leader clusterer used as
// a baseline, a nearest-example matcher over the same n-grams used as the
// knowledge-base matching baseline (Nearest), and a synthetic outage-surge
// generator shared by the load generator and the triage benchmarks. The
// `surgedesk eval` subcommand wires them to the production clusterer and
// matcher; see README.md for its usage.
package eval
