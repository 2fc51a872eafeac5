package desk

import (
	"context"
	"fmt"

	"github.com/surgedesk/surgedesk/storage"
)

// DraftSamples is how many member texts a chat model drafts a title and a
// reply to all from.
const DraftSamples = 12

// ClusterDraftKey and ProblemDraftKey name a draft in the chat model's
// cache: the HTTP API and Slack share a cluster's or a problem's draft by
// them.
func ClusterDraftKey(clusterID string) string { return "cluster:" + clusterID }

func ProblemDraftKey(problemID string) string { return "problem:" + problemID }

// ClusterTexts returns a cluster's newest DraftSamples member texts
// (redacted at intake): what a chat model drafts its title and reply
// from. An unknown cluster is storage.ErrNotFound.
func (d *Desk) ClusterTexts(ctx context.Context, clusterID string) ([]string, error) {
	if _, err := d.Store.Cluster(ctx, clusterID); err != nil {
		return nil, err
	}
	members, err := d.Store.InquiriesByCluster(ctx, clusterID, DraftSamples)
	if err != nil {
		return nil, err
	}
	texts := make([]string, 0, len(members))
	for _, m := range members {
		texts = append(texts, m.Text)
	}
	return texts, nil
}

// ProblemTexts returns up to DraftSamples member texts of a problem's open
// clusters, taken in turn from the largest cluster down, so that a draft
// for the whole problem sees each of its wordings, not only the largest.
// An unknown problem, or one with no open cluster, is storage.ErrNotFound.
func (d *Desk) ProblemTexts(ctx context.Context, problemID string) ([]string, error) {
	clusters, err := d.problemClusters(ctx, problemID)
	if err != nil {
		return nil, err
	}
	if len(clusters) == 0 {
		return nil, fmt.Errorf("desk: problem %s has no open cluster to draft from: %w", problemID, storage.ErrNotFound)
	}
	ids := make([]string, 0, min(len(clusters), DraftSamples))
	for _, c := range clusters[:min(len(clusters), DraftSamples)] {
		ids = append(ids, c.ID) // largest first
	}
	// Each cluster may have to fill the draft when the others are small.
	samples, err := d.Store.ClusterSamples(ctx, ids, DraftSamples)
	if err != nil {
		return nil, err
	}
	texts := make([]string, 0, DraftSamples)
	for round := 0; round < DraftSamples && len(texts) < DraftSamples; round++ {
		for _, id := range ids {
			if ms := samples[id]; round < len(ms) && len(texts) < DraftSamples {
				texts = append(texts, ms[round].Text)
			}
		}
	}
	return texts, nil
}
