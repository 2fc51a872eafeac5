package triage

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

func regroupContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

var regroupStart = time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)

// feed assigns texts one second apart from start and returns the items and
// the cluster each joined.
func feed(c *Clusterer, prefix string, start time.Time, texts ...string) ([]Item, []string) {
	items := make([]Item, len(texts))
	ids := make([]string, len(texts))
	for i, s := range texts {
		items[i] = Item{ID: fmt.Sprintf("%s-%d", prefix, i), CustomerID: fmt.Sprintf("%s-cust-%d", prefix, i), Text: s,
			At: start.Add(time.Duration(i) * time.Second)}
		ids[i] = c.Assign(items[i]).ClusterID
	}
	return items, ids
}

// The clusterer lumps "card payment fails" and "payment cancellation
// fails" together; an agent splits the cancellations off.
var (
	paymentTexts = []string{"카드 결제가 안 돼요", "카드 결제 안됩니다", "결제가 안 돼요"}
	cancelTexts  = []string{"결제 취소가 안 돼요", "결제 취소 안됩니다"}
)

// lumped returns a clusterer holding one cluster of payment and
// cancellation texts, its id, and the members of each kind.
func lumped(t *testing.T) (*Clusterer, string, []Item, []Item) {
	t.Helper()
	c := NewClusterer(DefaultOptions())
	pay, payIDs := feed(c, "pay", regroupStart, paymentTexts...)
	cancel, cancelIDs := feed(c, "cancel", regroupStart.Add(time.Minute), cancelTexts...)
	all := append(payIDs, cancelIDs...)
	for _, id := range all {
		if id != all[0] {
			t.Fatalf("the scenario needs one lumped cluster, got %v", all)
		}
	}
	return c, all[0], pay, cancel
}

func TestSplitRemembered(t *testing.T) {
	ctx := regroupContext(t)
	later := regroupStart.Add(5 * time.Minute)
	cases := []struct {
		name, text  string
		toSplitOff  bool // after the split: the new cluster, not the original
		lumpedAlike bool // before any split it joined the lumped cluster
	}{
		{"near-duplicate of the split-off texts", "결제 취소가 안되네요", true, true},
		{"spacing variant of the split-off texts", "결제취소 안 돼요ㅠㅠ", true, true},
		{"exact repeat of a split-off text", "결제 취소가 안 돼요", true, true},
		{"near-duplicate of the remaining texts", "카드 결제가 안되네요", false, true},
		{"exact repeat of a remaining text", "카드 결제 안됩니다", false, true},
	}
	// Without the split every case goes to the lumped cluster: the
	// assertions below are the split's doing.
	for _, tc := range cases {
		c, lumpedID, _, _ := lumped(t)
		if got := c.Assign(Item{ID: "x", CustomerID: "x", Text: tc.text, At: later}).ClusterID; (got == lumpedID) != tc.lumpedAlike {
			t.Fatalf("%s: without a split it joined %s, lumped cluster %s", tc.name, got, lumpedID)
		}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, original, pay, cancel := lumped(t)
			c.Split(original, "split-1", cancel, pay)
			want := original
			if tc.toSplitOff {
				want = "split-1"
			}
			// Repeated: the texts never flow back once one of them joined.
			for i := range 20 {
				if ctx.Err() != nil {
					t.Fatal(ctx.Err())
				}
				got := c.Assign(Item{ID: fmt.Sprint("x", i), CustomerID: fmt.Sprint("x", i), Text: tc.text, At: later.Add(time.Duration(i) * time.Second)})
				if got.ClusterID != want {
					t.Fatalf("copy %d of %q joined %s, want %s", i, tc.text, got.ClusterID, want)
				}
			}
			if got := c.Apart(original); !slices.Equal(got, []string{"split-1"}) {
				t.Errorf("Apart(original) = %v", got)
			}
		})
	}
	t.Run("counts", func(t *testing.T) {
		c, original, pay, cancel := lumped(t)
		c.Split(original, "split-1", cancel, pay)
		o, ok1 := c.Cluster(original)
		n, ok2 := c.Cluster("split-1")
		if !ok1 || !ok2 || o.Count != len(pay) || n.Count != len(cancel) || n.Customers != len(cancel) {
			t.Errorf("original %+v, split-off %+v; want %d and %d members", o, n, len(pay), len(cancel))
		}
		if n.Representative != cancel[0].Text || o.Representative == cancel[0].Text || o.Representative == cancel[1].Text {
			t.Errorf("representatives: original %q, split-off %q", o.Representative, n.Representative)
		}
	})
}

// The cannot-link holds even where centroids alone would not keep the two
// apart: a split-off cluster's texts, announced into the original by an
// instance that had not heard of the split, do not pull later copies back.
func TestSplitCannotLink(t *testing.T) {
	ctx := regroupContext(t)
	c, original, pay, cancel := lumped(t)
	c.Split(original, "split-1", cancel, pay)
	at := regroupStart.Add(10 * time.Minute)
	for i := range 10 {
		c.Add(original, Item{ID: fmt.Sprint("late", i), CustomerID: "late", Text: cancelTexts[i%2], At: at})
	}
	for i, text := range []string{"결제 취소가 안 돼요", "결제 취소 안됩니다", "결제취소가 안되요"} {
		if ctx.Err() != nil {
			t.Fatal(ctx.Err())
		}
		if got := c.Assign(Item{ID: fmt.Sprint("y", i), CustomerID: "y", Text: text, At: at.Add(time.Second)}); got.ClusterID == original {
			t.Errorf("%q went back into the original cluster", text)
		}
	}
}

func TestMergeRemembered(t *testing.T) {
	ctx := regroupContext(t)
	setup := func(t *testing.T) (*Clusterer, string, string) {
		c := NewClusterer(DefaultOptions())
		_, login := feed(c, "login", regroupStart, "앱 로그인이 안 돼요", "앱 로그인 안됩니다")
		_, refund := feed(c, "refund", regroupStart.Add(time.Minute), "환불은 언제 되나요?", "환불 언제 돼요")
		if login[0] != login[1] || refund[0] != refund[1] || login[0] == refund[0] {
			t.Fatalf("the scenario needs two clusters: %v %v", login, refund)
		}
		return c, refund[0], login[0]
	}
	later := regroupStart.Add(5 * time.Minute)
	cases := []struct{ name, text string }{
		{"similar to the source", "환불 언제 되나요ㅠㅠ"},
		{"exact repeat of a source text", "환불은 언제 되나요?"},
		{"similar to the target", "앱 로그인이 안되네요"},
		{"english to the source", "환불 refund 언제 돼요"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, from, into := setup(t)
			c.Merge(from, into)
			for i := range 10 {
				if ctx.Err() != nil {
					t.Fatal(ctx.Err())
				}
				if got := c.Assign(Item{ID: fmt.Sprint("x", i), CustomerID: "x", Text: tc.text, At: later.Add(time.Duration(i) * time.Second)}); got.ClusterID != into {
					t.Fatalf("copy %d of %q joined %s, want the target %s", i, tc.text, got.ClusterID, into)
				}
			}
		})
	}
	t.Run("source never returned again", func(t *testing.T) {
		c, from, into := setup(t)
		c.Merge(from, into)
		c.Merge(from, into) // applied twice: the announcement reaches its sender too
		if _, ok := c.Cluster(from); ok {
			t.Error("the merged cluster is still open")
		}
		got, ok := c.Cluster(into)
		if !ok || got.Count != 4 || got.Customers != 4 {
			t.Errorf("target = %+v, %v; want 4 members from 4 customers", got, ok)
		}
		// A member decided elsewhere before the merge goes to the target.
		c.Add(from, Item{ID: "late", CustomerID: "late", Text: "환불 언제 되나요", At: later})
		if _, ok := c.Cluster(from); ok {
			t.Error("Add reopened the merged cluster")
		}
		if got, _ := c.Cluster(into); got.Count != 5 {
			t.Errorf("target count = %d after a late member, want 5", got.Count)
		}
		for _, o := range c.Open(later) {
			if o.ID == from {
				t.Errorf("Open lists the merged cluster")
			}
		}
	})
	t.Run("only the source open here", func(t *testing.T) {
		c := NewClusterer(DefaultOptions())
		_, ids := feed(c, "refund", regroupStart, "환불은 언제 되나요?", "환불 언제 돼요")
		c.Merge(ids[0], "elsewhere")
		if got, ok := c.Cluster("elsewhere"); !ok || got.Count != 2 {
			t.Errorf("the source did not live on under the target's id: %+v %v", got, ok)
		}
		if got := c.Assign(Item{ID: "x", Text: "환불 언제 되나요ㅠ", At: regroupStart.Add(time.Minute)}); got.ClusterID != "elsewhere" {
			t.Errorf("joined %s, want elsewhere", got.ClusterID)
		}
	})
	t.Run("merge carries cannot-links and undoes a split", func(t *testing.T) {
		c := NewClusterer(DefaultOptions())
		c.KeepApart("a", "b")
		c.Merge("a", "c")
		if got := c.Apart("c"); !slices.Equal(got, []string{"b"}) {
			t.Errorf("Apart(c) = %v, want [b]", got)
		}
		c.Merge("b", "c")
		if got := c.Apart("c"); len(got) != 0 {
			t.Errorf("Apart(c) = %v after merging its partner in", got)
		}
	})
}

// NewID never hands out the id of a merged cluster.
func TestNewIDSkipsMerged(t *testing.T) {
	ids := []string{"gone", "gone", "fresh"}
	opts := DefaultOptions()
	opts.NewID = func() string { id := ids[0]; ids = ids[1:]; return id }
	c := NewClusterer(opts)
	c.Merge("gone", "kept")
	if got := c.NewID(); got != "fresh" {
		t.Errorf("NewID = %s", got)
	}
}

// Facets go with their cluster: closing the target closes what was merged
// into it, and a split of a merged cluster drops its facets, so the moved
// texts do not linger in the original through them.
func TestFacetsFollowTheirCluster(t *testing.T) {
	ctx := regroupContext(t)
	at := regroupStart.Add(5 * time.Minute)
	cases := []struct {
		name   string
		act    func(c *Clusterer, from, into string, refund []Item)
		text   string
		want   string // the cluster the text joins; "" for a new one
		wantOK bool   // Cluster(into) still open afterwards
	}{
		{"close the target", func(c *Clusterer, _, into string, _ []Item) { c.Close(into) }, "환불 언제 되나요ㅠㅠ", "", false},
		{"split the merged members off", func(c *Clusterer, _, into string, refund []Item) {
			c.Split(into, "split-1", refund, nil)
		}, "환불 언제 되나요ㅠㅠ", "split-1", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if ctx.Err() != nil {
				t.Fatal(ctx.Err())
			}
			c := NewClusterer(DefaultOptions())
			_, login := feed(c, "login", regroupStart, "앱 로그인이 안 돼요", "앱 로그인 안됩니다")
			refund, refundIDs := feed(c, "refund", regroupStart.Add(time.Minute), "환불은 언제 되나요?", "환불 언제 돼요")
			from, into := refundIDs[0], login[0]
			c.Merge(from, into)
			tc.act(c, from, into, refund)
			a := c.Assign(Item{ID: "x", CustomerID: "x", Text: tc.text, At: at})
			if a.ClusterID == into || a.ClusterID == from || (tc.want == "") != a.New || (tc.want != "" && a.ClusterID != tc.want) {
				t.Errorf("%q joined %s (new %v), want %q (target %s, merged %s)", tc.text, a.ClusterID, a.New, tc.want, into, from)
			}
			if _, ok := c.Cluster(into); ok != tc.wantOK {
				t.Errorf("target open = %v, want %v", ok, tc.wantOK)
			}
		})
	}
}
