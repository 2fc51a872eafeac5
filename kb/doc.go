// Package kb matches customer inquiries to knowledge-base answer entries
// (issue 4, item 3). It is pure: storage, NATS and HTTP live elsewhere, and
// a changed knowledge base is simply a new Matcher.
//
// # Matching
//
// Every example phrasing (and an entry's keywords, read as one more
// phrasing) becomes a unit TF-IDF vector, with IDF over the examples: a
// feature every entry shares ("card", "앱") says little about which entry
// is asked for. The features are the clusterer's (triage.Features: Hangul
// syllable 2-grams and words over the normalised, spacing-free text, stemmed
// English words), weighted 1.2, plus character 2- and 3-grams of the whole
// normalised text, spaces included, weighted 1. The n-grams keep the
// stopwords and word order that short questions carry ("what is my
// balance") and let misspellings meet: with the clusterer's features and
// in-word 3-grams only, nearest-example accuracy on CLINC150 was 0.64
// against the baseline's 0.68. Features no example has still count in the
// inquiry's norm, so text about something else does not match on the one
// word it shares.
//
// An entry's score is 0.85 × the cosine with the entry's centroid plus
// 0.15 × its example score (0.8 × its closest example's cosine + 0.2 × its
// second closest). The centroid is the sum of the entry's example vectors
// with each weight raised to the power 0.6, then normalised: flattened, a
// word a few phrasings use still counts, not only what every phrasing
// shares (the same lesson as the clusterer's centroids). The centroid was
// the largest gain: at precision 0.85 in-scope accuracy rose from 0.58 to
// 0.68 on CLINC150 and from about 0.51 to 0.64 on BANKING77 over nearest
// examples alone.
//
// Negation is treated as in the clusterer: an example whose negation flag
// differs from the inquiry's counts 0.25 of its cosine, and so does the
// centroid of an entry none of whose examples shares the inquiry's flag
// ("불 켜지 마" against an entry of "불 켜줘" phrasings). A softer centroid
// penalty (0.5 or 0.7) gained up to 0.01 of accuracy on the dev sets but
// answered "do not turn on the lights" with the lights-on entry.
//
// # Answering
//
// Precision comes first: a wrong outage answer is worse than none. The best
// entry is answered only when its score is at least Options.Threshold AND
// at least Options.Margin above the second-best entry's. The margin does
// most of the work: fine-grained neighbours (card_arrival vs
// card_delivery_estimate) score close together exactly when the matcher is
// unsure, and at equal precision the margin keeps more correct answers
// than a threshold alone (CLINC150 at precision 0.87, before the centroid:
// accuracy 0.56 with a margin, 0.47 with a threshold only). The threshold
// is a floor against text that resembles nothing.
//
// # Defaults and results
//
// DefaultThreshold 0.2 and DefaultMargin 0.031 (and the weights above) were
// tuned on the dev files only, with
//
//	surgedesk eval match --kb-from ../shared/data/clinc150_dev.tsv --kb-per-label 10 \
//	    --data ../shared/data/clinc150_dev.tsv --baseline --sweep
//
// and the same for banking77_dev.tsv (KB: the first 10 examples per label;
// data: the whole file, KB rows included). The goal: precision at least
// 0.85, in-scope accuracy at least the nearest-example character n-gram
// baseline's best (at its best threshold, 0, where it answers everything),
// and oos rows left unanswered at least as often as there. At the defaults:
//
//	                      answered  precision  in-scope acc  oos unanswered
//	CLINC150  ours          0.7865     0.8509        0.6767          0.7000
//	          baseline@0    1.0000     0.6686        0.6760          0.0000
//	BANKING77 ours          0.7545     0.8546        0.6448             n/a
//	          baseline@0    1.0000     0.6437        0.6437             n/a
//
// Every goal is met, but with margins of 0.001 to 0.005 on precision and
// accuracy: the defaults sit where the margin just keeps precision above
// 0.85 on CLINC150. Retune when the features change. With precision at
// least 0.85 the baseline itself answers correctly only 0.37 (CLINC150,
// threshold 0.55) and 0.27 (BANKING77, threshold 0.60) of in-scope rows.
//
// Matching a surge inquiry against 1,500 examples takes about 40 µs
// (BenchmarkMatch: 38–46 µs, 35 allocations, on a shared two-core AMD EPYC
// under load): two normalising passes (the clusterer's
// features and the n-grams) and an inverted-index scan over examples and
// centroids; common n-grams list most examples, which is the main cost.
//
// # Concurrency
//
// A Matcher is immutable after NewMatcher; Match allocates its own scratch
// space, so any number of goroutines may call it.
package kb
