package slackbot

import (
	"strings"
	"sync"
	"testing"

	"github.com/surgedesk/surgedesk/storage"
)

// In Slack as over HTTP (both call desk): of two agents clicking Claim at
// once one holds the cluster; the other's Resolve and reply are refused
// naming the holder, and nothing is sent; a manager's Claim takes over,
// audited.
func TestClaimsHoldInSlack(t *testing.T) {
	h := newHarness(t, nil)
	h.askMany("pay", paymentText, 2)
	c := h.clusterOf(paymentText, 2)
	const other = "UOTHERAGENT" // an agent by being in the agents' channel

	var wg sync.WaitGroup
	for _, user := range []string{testAgent, other} {
		wg.Go(func() { h.mustInteract(click(user, "claim", c.ID)) })
	}
	wg.Wait()
	got, err := h.db.Cluster(h.ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	holder := strings.TrimPrefix(got.ClaimedBy, "slack:")
	loser := map[string]string{testAgent: other, other: testAgent}[holder]
	if loser == "" {
		t.Fatalf("claimed by %q, want one of the two agents", got.ClaimedBy)
	}
	if text := h.ephemeral(loser); !strings.Contains(text, "<@"+holder+">") {
		t.Errorf("the loser was told %q, want the holder named", text)
	}

	h.mustInteract(click(loser, "resolve", c.ID))
	body := h.mustInteract(submit(loser, "reply", c.ID, map[string]map[string]any{"reply": {"text": map[string]any{"type": "plain_text_input", "value": "곧 환불됩니다"}}}))
	if !strings.Contains(body, "Claimed by") {
		t.Errorf("the loser's reply modal answered %s, want the claim named", body)
	}
	if got, _ := h.db.Cluster(h.ctx, c.ID); got.Status != storage.ClusterOpen {
		t.Fatalf("the loser resolved the claimed cluster: %+v", got)
	}
	if _, _, err := h.db.ClusterReply(h.ctx, c.ID); err == nil {
		t.Fatal("the loser's reply was recorded")
	}

	h.mustInteract(click(testManager, "claim", c.ID))
	if got, _ := h.db.Cluster(h.ctx, c.ID); got.ClaimedBy != "slack:"+testManager {
		t.Fatalf("after the manager's claim: held by %q", got.ClaimedBy)
	}
	audit, err := h.db.AuditEntries(h.ctx, "cluster:"+c.ID, 20)
	if err != nil {
		t.Fatal(err)
	}
	takeovers := 0
	for _, e := range audit {
		if e.Action == "cluster.takeover" && e.Actor == "slack:"+testManager && strings.Contains(string(e.Detail), holder) {
			takeovers++
		}
	}
	if takeovers != 1 {
		t.Errorf("audit = %+v; want one takeover from %s", audit, holder)
	}
}
