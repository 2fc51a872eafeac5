package triage

import (
	"fmt"
	"regexp"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// newTestClusterer numbers cluster ids so failures are readable.
func newTestClusterer(opts Options) *Clusterer {
	n := 0
	var mu sync.Mutex
	opts.NewID = func() string {
		mu.Lock()
		defer mu.Unlock()
		n++
		return fmt.Sprintf("c%d", n)
	}
	return NewClusterer(opts)
}

func assignAll(c *Clusterer, texts []string) []Assignment {
	out := make([]Assignment, len(texts))
	for i, text := range texts {
		out[i] = c.Assign(Item{ID: fmt.Sprint(i), CustomerID: fmt.Sprintf("u%d", i), Text: text, At: t0})
	}
	return out
}

func TestClusterTogether(t *testing.T) {
	for _, tc := range []struct {
		name  string
		texts []string
	}{
		{"identical", []string{"앱 접속이 안 돼요", "앱 접속이 안 돼요", "앱 접속이 안 돼요"}},
		{"identical english", []string{"The app won't open", "The app won't open"}},
		{"korean spacing and endings", []string{"앱 접속이 안 돼요", "앱 접속 안됩니다", "앱접속안되요", "앱 접속이 안됬어요ㅠㅠ"}},
		{"korean spacing", []string{"배송 조회가 안 돼요", "배송조회가 안돼요"}},
		{"one question put the same way", []string{"배송지 변경 밤에도 할 수 있어요?", "배송지변경 밤에도 할수있어요??", "배송지 변경 밤에도할 수 있어요"}},
		{"english case and contractions", []string{"I can't log in to the app", "i cant login to the app!!!", "I CAN'T LOG IN TO THE APP"}},
		{"nothing but emotion", []string{"ㅠㅠㅠ", "!!!", "😭😭"}},
		{"redacted card numbers", []string{"[카드번호] 카드 결제가 안 돼요", "[카드번호] 카드결제가 안됩니다"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newTestClusterer(DefaultOptions())
			got := assignAll(c, tc.texts)
			if !got[0].New {
				t.Errorf("first inquiry did not start a cluster: %+v", got[0])
			}
			for i, a := range got[1:] {
				if a.ClusterID != got[0].ClusterID {
					t.Errorf("%q went to %s (similarity %.2f), want %s with %q", tc.texts[i+1], a.ClusterID, a.Similarity, got[0].ClusterID, tc.texts[0])
				}
			}
		})
	}
}

func TestClusterApart(t *testing.T) {
	for _, tc := range []struct {
		name string
		a, b string
	}{
		{"refund vs login", "환불해 주세요", "로그인이 안 돼요"},
		{"refund vs login english", "I want a refund for my order", "I can't log in to my account"},
		{"turn on vs do not turn on", "불 켜줘", "불 켜지 마"},
		{"open vs do not open english", "please open the app", "please do not open the app"},
		{"payment vs delivery", "결제가 안 돼요", "배송이 안 와요"},
		// Asked the same way about different things (docs/problems.md).
		{"same frame, at night", "비밀번호 초기화 밤에도 할 수 있어요?", "배송지 변경 밤에도 할 수 있어요?"},
		{"same frame, how long", "비밀번호 초기화는 처리 기간이 얼마나 되나요?", "배송지 변경은 처리 기간이 얼마나 되나요?"},
		{"same frame, what it takes", "비밀번호 초기화하려면 서류 필요한가요?", "배송지 변경하려면 서류 필요한가요?"},
		{"same frame english", "can I cancel my card on weekends?", "can I change my delivery address on weekends?"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newTestClusterer(DefaultOptions())
			got := assignAll(c, []string{tc.a, tc.b})
			if got[0].ClusterID == got[1].ClusterID {
				t.Errorf("%q and %q share cluster %s (similarity %.2f)", tc.a, tc.b, got[0].ClusterID, got[1].Similarity)
			}
		})
	}
}

func TestClusterCounts(t *testing.T) {
	c := newTestClusterer(DefaultOptions())
	inquiries := []Item{
		{CustomerID: "alice", Text: "앱 접속이 안 돼요", At: t0},
		{CustomerID: "alice", Text: "앱 접속 안됩니다", At: t0.Add(time.Minute)},
		{CustomerID: "alice", Text: "앱접속안되요ㅠㅠ", At: t0.Add(2 * time.Minute)},
		{CustomerID: "bob", Text: "앱 접속이 안 돼요!!", At: t0.Add(10 * time.Minute)},
		{CustomerID: "carol", Text: "앱 접속이 안돼요", At: t0.Add(12 * time.Minute)},
	}
	var id string
	for _, it := range inquiries {
		id = c.Assign(it).ClusterID
	}
	got, ok := c.Cluster(id)
	if !ok {
		t.Fatalf("cluster %s not found", id)
	}
	want := Cluster{ID: id, Count: 5, Customers: 3, FirstSeen: t0, LastSeen: t0.Add(12 * time.Minute), Last5m: 2, Last15m: 5, PerMinute: 0.4}
	if got.Count != want.Count || got.Customers != want.Customers || !got.FirstSeen.Equal(want.FirstSeen) ||
		!got.LastSeen.Equal(want.LastSeen) || got.Last5m != want.Last5m || got.Last15m != want.Last15m || got.PerMinute != want.PerMinute {
		t.Errorf("Cluster = %+v, want %+v", got, want)
	}
	if got.Representative == "" || len(got.Label) == 0 {
		t.Errorf("Cluster has no representative or label: %+v", got)
	}
}

func TestClusterIdleWindow(t *testing.T) {
	opts := DefaultOptions()
	opts.IdleWindow = 30 * time.Minute
	c := newTestClusterer(opts)
	first := c.Assign(Item{CustomerID: "a", Text: "결제가 안 돼요", At: t0})
	same := c.Assign(Item{CustomerID: "b", Text: "결제가 안 돼요", At: t0.Add(20 * time.Minute)})
	if same.ClusterID != first.ClusterID {
		t.Fatalf("within the window: got %s, want %s", same.ClusterID, first.ClusterID)
	}
	if open := c.Open(t0.Add(49 * time.Minute)); len(open) != 1 {
		t.Errorf("Open before the window ends: %d clusters, want 1", len(open))
	}
	if open := c.Open(t0.Add(51 * time.Minute)); len(open) != 0 {
		t.Errorf("Open after the window: %d clusters, want 0", len(open))
	}
	later := c.Assign(Item{CustomerID: "c", Text: "결제가 안 돼요", At: t0.Add(2 * time.Hour)})
	if later.ClusterID == first.ClusterID || !later.New {
		t.Errorf("after the window: got %+v, want a new cluster", later)
	}
	if _, ok := c.Cluster(first.ClusterID); ok {
		t.Errorf("closed cluster %s is still open", first.ClusterID)
	}
}

func TestOpenLargestFirst(t *testing.T) {
	c := newTestClusterer(DefaultOptions())
	assignAll(c, []string{"환불해 주세요", "로그인이 안 돼요", "로그인이 안됩니다", "로그인 안돼요"})
	open := c.Open(t0)
	if len(open) != 2 || open[0].Count != 3 || open[1].Count != 1 {
		t.Errorf("Open = %+v, want the login cluster (3) then the refund cluster (1)", open)
	}
}

func TestRestore(t *testing.T) {
	before := newTestClusterer(DefaultOptions())
	var id string
	var members []Item
	for i, text := range []string{"앱 접속이 안 돼요", "앱 접속 안됩니다", "앱이 접속이 안되요ㅠㅠ"} {
		it := Item{ID: fmt.Sprint(i), CustomerID: fmt.Sprintf("u%d", i), Text: text, At: t0.Add(time.Duration(i) * time.Minute)}
		id = before.Assign(it).ClusterID
		members = append(members, it)
	}
	before.Assign(Item{CustomerID: "x", Text: "환불해 주세요", At: t0})
	saved, _ := before.Cluster(id)

	after := newTestClusterer(DefaultOptions())
	after.Restore(saved, members)
	restored, ok := after.Cluster(id)
	if !ok || restored.Count != saved.Count || restored.Customers != saved.Customers || restored.Representative != saved.Representative {
		t.Fatalf("restored %+v, want %+v", restored, saved)
	}
	got := after.Assign(Item{CustomerID: "u0", Text: "앱 접속이 안 돼요!!", At: t0.Add(5 * time.Minute)})
	if got.ClusterID != id || got.New {
		t.Errorf("new variant went to %+v, want restored cluster %s", got, id)
	}
	if cl, _ := after.Cluster(id); cl.Customers != saved.Customers {
		t.Errorf("returning customer counted again: %d customers, want %d", cl.Customers, saved.Customers)
	}
	other := after.Assign(Item{CustomerID: "y", Text: "환불해 주세요", At: t0.Add(5 * time.Minute)})
	if other.ClusterID == id {
		t.Errorf("unrelated inquiry joined the restored cluster")
	}
}

func TestRandomIDs(t *testing.T) {
	c := NewClusterer(Options{Threshold: DefaultThreshold})
	a := c.Assign(Item{Text: "환불해 주세요", At: t0})
	b := c.Assign(Item{Text: "로그인이 안 돼요", At: t0})
	hex16 := regexp.MustCompile(`^[0-9a-f]{16}$`)
	if !hex16.MatchString(a.ClusterID) || !hex16.MatchString(b.ClusterID) || a.ClusterID == b.ClusterID {
		t.Errorf("ids %q and %q, want distinct 16-hex-digit ids", a.ClusterID, b.ClusterID)
	}
}

// TestConcurrentAssign is meant for go test -race.
func TestConcurrentAssign(t *testing.T) {
	c := NewClusterer(DefaultOptions())
	texts := []string{"앱 접속이 안 돼요", "앱 접속 안됩니다", "환불해 주세요", "I can't log in", "refund please"}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				a := c.Assign(Item{CustomerID: fmt.Sprint(w), Text: texts[(w+i)%len(texts)], At: t0})
				c.Cluster(a.ClusterID)
				if i%50 == 0 {
					c.Open(t0)
					c.IndexBytes()
				}
			}
		}()
	}
	wg.Wait()
	total := 0
	for _, cl := range c.Open(t0) {
		total += cl.Count
	}
	if total != 800 {
		t.Errorf("clusters hold %d inquiries, want 800", total)
	}
}
