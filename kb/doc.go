// Package kb is the knowledge base: incidents with their numbered status
// updates, the answers customers get (example phrasings plus Korean and
// English templates), and the matcher that picks an answer for an inquiry.
//
// # Model
//
// Incident, Update and Answer carry the rules that keep them consistent
// (Validate; Status.CanMoveTo for the status order; ErrInvalid wraps every
// rule broken). Render fills an answer's template with its incident's
// latest update in the customer's locale; FollowUpText words an update for
// the customers who asked. Decode and Encode read and write the YAML
// document that `surgedesk kb import` and `export` use. The model does no
// I/O: package storage keeps it in SQL.
//
// # Matching
//
// A Matcher is built from one Entry per answer and answers an (already
// redacted) inquiry only when it is confident, since a wrong outage answer
// is worse than none:
//
//	m, err := kb.NewMatcher(entries, kb.DefaultOptions())
//	if match, ok := m.Match(text); ok { /* answer with match.EntryID */ }
//
// Entries are scored by TF-IDF cosine against each entry's centroid and
// closest examples, over the clusterer's features (triage.Features) plus
// character n-grams; the best is answered when it reaches
// Options.Threshold and leads the second best by Options.Margin. A
// contrast ("로그인 말고 회원가입이 안돼요", "not A, B"; FindContrast) is
// matched on its asked part and never answered with the denied part's
// entry. WithVectors adds embeddings (package assist computes them) for a
// hybrid score; MatchVector takes the inquiry's embedding, or nil to match
// lexically, and Candidate is the best entry before threshold and margin,
// for eval's sweeps. A Matcher is immutable and safe for concurrent use; a
// changed knowledge base is a new Matcher. How it was designed and tuned,
// with the figures: eval/README.md and docs/assist.md.
//
// # The live copy
//
// Live is an instance's in-memory copy of the active incidents and the
// answers, from which the intake answers without a query per inquiry.
// Call Follow (before the first Load, so no change is missed), then Load;
// whichever instance changes the knowledge base in SQL calls
// AnnounceChange, and every instance reloads. WithVectors (before Load)
// makes its answers hybrid once the examples are embedded, never waiting
// for the provider.
package kb
