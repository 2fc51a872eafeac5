package triage

import (
	"testing"
	"time"
)

// Two instances: B learns A's decisions through Add, and a twin arriving
// at B then joins the cluster A started.
func TestAddKeepsInstancesInStep(t *testing.T) {
	at := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	a, b := NewClusterer(DefaultOptions()), NewClusterer(DefaultOptions())
	cases := []struct {
		name, first, twin string
	}{
		{"korean login", "앱 접속이 안 돼요", "앱 접속 안됩니다ㅠㅠ"},
		{"korean refund", "환불은 언제 되나요?", "환불 언제 돼요"},
		{"english charge", "I was charged twice for my order", "charged twice for my order!!"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			it := Item{ID: tc.name, CustomerID: "a", Text: tc.first, At: at.Add(time.Duration(i) * time.Second)}
			got := a.Assign(it)
			b.Add(got.ClusterID, it)
			twin := b.Assign(Item{ID: tc.name + "-twin", CustomerID: "b", Text: tc.twin, At: it.At.Add(time.Second)})
			if twin.ClusterID != got.ClusterID {
				t.Errorf("twin joined %s, want A's cluster %s", twin.ClusterID, got.ClusterID)
			}
			cl, ok := b.Cluster(got.ClusterID)
			if !ok || cl.Count != 2 || cl.Customers != 2 {
				t.Errorf("B's view of the cluster = %+v, %v; want 2 inquiries from 2 customers", cl, ok)
			}
		})
	}
	// Adding to a known cluster does not open another.
	before := len(b.Open(at.Add(time.Minute)))
	b.Add(a.Assign(Item{ID: "x", CustomerID: "a", Text: "앱 접속이 안 돼요", At: at.Add(10 * time.Second)}).ClusterID,
		Item{ID: "x", CustomerID: "a", Text: "앱 접속이 안 돼요", At: at.Add(10 * time.Second)})
	if after := len(b.Open(at.Add(time.Minute))); after != before {
		t.Errorf("open clusters %d -> %d after adding to a known one", before, after)
	}
}

func TestCloseStartsAfresh(t *testing.T) {
	at := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	c := NewClusterer(DefaultOptions())
	first := c.Assign(Item{ID: "1", CustomerID: "a", Text: "상품권 사용이 안 돼요", At: at})
	if again := c.Assign(Item{ID: "2", CustomerID: "b", Text: "상품권 사용이 안돼요", At: at.Add(time.Second)}); again.ClusterID != first.ClusterID {
		t.Fatalf("variant did not join: %s vs %s", again.ClusterID, first.ClusterID)
	}
	c.Close(first.ClusterID)
	c.Close("unknown") // no effect
	after := c.Assign(Item{ID: "3", CustomerID: "c", Text: "상품권 사용이 안 돼요", At: at.Add(2 * time.Second)})
	if after.ClusterID == first.ClusterID || !after.New {
		t.Errorf("after Close the same text joined %s (new %v); want a new cluster", after.ClusterID, after.New)
	}
	if _, ok := c.Cluster(first.ClusterID); ok {
		t.Error("a closed cluster is still open")
	}
	// A member decided elsewhere before the close, announced after it,
	// does not reopen the cluster.
	c.Add(first.ClusterID, Item{ID: "4", CustomerID: "d", Text: "상품권 사용이 안 돼요", At: at.Add(3 * time.Second)})
	if _, ok := c.Cluster(first.ClusterID); ok {
		t.Error("Add reopened a closed cluster")
	}
}
