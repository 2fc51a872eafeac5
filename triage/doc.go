// Package triage turns raw inquiries into something agents can handle in
// bulk: it redacts secrets, normalises Korean and English text, clusters
// near-duplicate inquiries online (one queue item per outage instead of
// thousands of copies) and ranks the queue. It does no I/O: storage keeps
// the clusters in SQL, and workers feeds the clusterer and keeps instances
// in step.
//
// # Use
//
// Redact replaces secrets (resident numbers, cards, accounts, phones,
// e-mails, passwords, one-time codes) by typed placeholders; the intake
// calls it before anything is published, and the clusterer sees its output.
//
// A Clusterer assigns each inquiry, in arrival order, to the most similar
// open cluster, or starts one:
//
//	c := triage.NewClusterer(triage.DefaultOptions())
//	a := c.Assign(triage.Item{ID: id, CustomerID: customer, Text: redacted, At: receivedAt})
//	// a.ClusterID, a.New; c.Cluster(a.ClusterID) has its counts, rates and label
//
// A cluster idle for Options.IdleWindow closes; Open lists the open ones.
// After a restart, Restore rebuilds each open cluster from its snapshot and
// a sample of its latest members (32 are enough), without re-deciding any
// assignment. Add records a member another instance assigned; Merge, Split
// and KeepApart apply agents' corrections, which later assignments honour.
// A Clusterer is safe for concurrent use.
//
// Normalize and Features expose the text pipeline (the knowledge-base
// matcher reuses the features); Urgent and Priority rank the agents' queue.
//
// How the clusterer works, why each choice was made and how
// DefaultThreshold was tuned, with the figures: docs/triage.md.
package triage
