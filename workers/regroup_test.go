package workers

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/bus/bustest"
	"github.com/surgedesk/surgedesk/storage"
	"github.com/surgedesk/surgedesk/triage"
)

// regroupScene is one instance's view before an agent regroups: a login
// and a refund cluster, and one cluster that lumps card payments with
// payment cancellations.
type regroupScene struct {
	rows                    []storage.Inquiry
	login, refund, payments string
	cancels                 []storage.Inquiry // the members to split off
}

var sceneTexts = []struct{ kind, text string }{
	{"login", "앱 로그인이 안 돼요"}, {"login", "앱 로그인 안됩니다"},
	{"refund", "환불은 언제 되나요?"}, {"refund", "환불 언제 돼요"},
	{"pay", "카드 결제가 안 돼요"}, {"pay", "카드 결제 안됩니다"}, {"pay", "결제가 안 돼요"},
	{"cancel", "결제 취소가 안 돼요"}, {"cancel", "결제 취소 안됩니다"},
}

// assignScene clusters the scene's texts on c, from start.
func assignScene(t *testing.T, c *triage.Clusterer, start time.Time) regroupScene {
	t.Helper()
	var sc regroupScene
	byKind := map[string][]string{}
	for i, tx := range sceneTexts {
		in := storage.Inquiry{ID: fmt.Sprintf("iq_%d", i), Source: "web", CustomerID: fmt.Sprint("c", i), Text: tx.text,
			State: storage.StateStored, ReceivedAt: start.Add(time.Duration(i) * time.Second).UnixMilli(), Metadata: "{}"}
		in.ClusterID = c.Assign(in.Item()).ClusterID
		sc.rows = append(sc.rows, in)
		byKind[tx.kind] = append(byKind[tx.kind], in.ClusterID)
		if tx.kind == "cancel" {
			sc.cancels = append(sc.cancels, in)
		}
	}
	sc.login, sc.refund, sc.payments = byKind["login"][0], byKind["refund"][0], byKind["pay"][0]
	if slices.Compact(slices.Clone(byKind["login"]))[0] != sc.login || len(slices.Compact(byKind["pay"])) != 1 ||
		byKind["cancel"][0] != sc.payments || sc.login == sc.refund || sc.login == sc.payments {
		t.Fatalf("unexpected clustering of the scene: %v", byKind)
	}
	return sc
}

// expectations after merging refund into login and splitting the
// cancellations off payments into split.
func checkRegrouped(t *testing.T, ctx context.Context, c *triage.Clusterer, sc regroupScene, split string, at time.Time) {
	t.Helper()
	cases := []struct{ text, want string }{
		{"환불 언제 되나요ㅠㅠ", sc.login},
		{"환불은 언제 되나요?", sc.login},
		{"앱 로그인이 안되네요", sc.login},
		{"결제 취소가 안되네요", split},
		{"결제 취소 안됩니다", split},
		{"카드 결제가 안되네요", sc.payments},
	}
	for i, tc := range cases {
		if ctx.Err() != nil {
			t.Fatal(ctx.Err())
		}
		got := c.Assign(triage.Item{ID: fmt.Sprint("new", i), CustomerID: fmt.Sprint("n", i), Text: tc.text, At: at.Add(time.Duration(i) * time.Second)})
		if got.ClusterID != tc.want {
			t.Errorf("%q joined %s, want %s", tc.text, got.ClusterID, tc.want)
		}
	}
	if _, ok := c.Cluster(sc.refund); ok {
		t.Errorf("the merged cluster %s is still open", sc.refund)
	}
	if got := c.Apart(sc.payments); !slices.Equal(got, []string{split}) {
		t.Errorf("Apart(%s) = %v, want [%s]", sc.payments, got, split)
	}
}

// A merge and a split made on instance A reach instance B's clusterer.
func TestRegroupFollowed(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	b := bustest.Embedded(t)
	start := time.Now().Add(-time.Minute)
	a, follower := triage.NewClusterer(triage.DefaultOptions()), triage.NewClusterer(triage.DefaultOptions())
	sc := assignScene(t, a, start)
	for _, in := range sc.rows {
		follower.Add(in.ClusterID, in.Item())
	}
	sub, err := FollowClusters(b.Conn, "b", follower, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()

	a.Merge(sc.refund, sc.login)
	if err := AnnounceMerge(b.Conn, "a", sc.refund, sc.login); err != nil {
		t.Fatal(err)
	}
	var kept []storage.Inquiry
	for _, in := range sc.rows {
		if in.ClusterID == sc.payments && !slices.ContainsFunc(sc.cancels, func(c storage.Inquiry) bool { return c.ID == in.ID }) {
			kept = append(kept, in)
		}
	}
	a.Split(sc.payments, "split-1", toItems(sc.cancels), toItems(kept))
	if err := AnnounceSplit(b.Conn, "a", sc.payments, "split-1", sc.cancels, kept); err != nil {
		t.Fatal(err)
	}
	eventually(t, ctx, "B learns of the split", func() bool { _, ok := follower.Cluster("split-1"); return ok })
	checkRegrouped(t, ctx, follower, sc, "split-1", time.Now())
	checkRegrouped(t, ctx, a, sc, "split-1", time.Now())
}

// After a restart, RestoreClusters rebuilds merges and splits from SQL.
func TestRestoreRemembersRegroups(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	db := openStorage(t)
	start := time.Now().Add(-time.Hour)
	before := triage.NewClusterer(triage.DefaultOptions())
	sc := assignScene(t, before, start)
	if _, err := db.StoreInquiries(ctx, sc.rows, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.MergeCluster(ctx, "lee.agent", sc.refund, sc.login, time.Now().UnixMilli()); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SplitCluster(ctx, "lee.agent", sc.payments, "split-1", []string{sc.cancels[0].ID, sc.cancels[1].ID}, time.Now().UnixMilli()); err != nil {
		t.Fatal(err)
	}
	after := triage.NewClusterer(triage.DefaultOptions())
	n, err := RestoreClusters(ctx, db, after, time.Now(), 6*time.Hour, 32)
	if err != nil || n != 3 {
		t.Fatalf("RestoreClusters = %d, %v; want login, payments and split-1", n, err)
	}
	checkRegrouped(t, ctx, after, sc, "split-1", time.Now())
	// A member announced late under the merged id lands in the target.
	after.Add(sc.refund, triage.Item{ID: "late", CustomerID: "late", Text: "환불 언제요", At: time.Now()})
	if _, ok := after.Cluster(sc.refund); ok {
		t.Error("a late announcement reopened the merged cluster")
	}
}

func toItems(rows []storage.Inquiry) []triage.Item {
	out := make([]triage.Item, len(rows))
	for i, r := range rows {
		out[i] = r.Item()
	}
	return out
}
