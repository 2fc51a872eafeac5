package assist_test

import (
	"context"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/assist"
	"github.com/surgedesk/surgedesk/assist/assisttest"
)

func TestClusterVectors(t *testing.T) {
	c, fake, _ := newClient(t)
	e := newEmbedder(t, c, 100)
	cv := assist.NewClusterVectors(e)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	fake.SetMode(assisttest.Down, 0)
	go e.Run(ctx)
	cv.Observe("c1", "login fails")
	cv.Observe("c1", "login failed again")
	cv.Observe("c2", "refund please")
	time.Sleep(50 * time.Millisecond)
	if _, ok := cv.ClusterVector("c1"); ok {
		t.Fatal("a vector while the provider is down")
	}

	fake.SetMode(assisttest.Up, 0)
	cv.Observe("c1", "login fails") // requested again once the provider is back
	cv.Observe("c1", "login failed again")
	cv.Observe("c2", "refund please")
	var v1, v2 []float32
	deadline := time.Now().Add(5 * time.Second)
	for {
		var ok1, ok2 bool
		v1, ok1 = cv.ClusterVector("c1")
		v2, ok2 = cv.ClusterVector("c2")
		if ok1 && ok2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("cluster vectors never computed")
		}
		time.Sleep(5 * time.Millisecond)
	}
	login := assist.Cosine(v1, mustEmbed(t, c, "login fails"))
	other := assist.Cosine(v1, v2)
	if login <= other {
		t.Errorf("cluster c1 is no closer to its member (%.3f) than to c2 (%.3f)", login, other)
	}
	if _, ok := cv.ClusterVector("unknown"); ok {
		t.Error("a vector for an unknown cluster")
	}
	cv.Merge("c2", "c1")
	if _, ok := cv.ClusterVector("c2"); ok {
		t.Error("a merged-away cluster still has a vector")
	}
}

func mustEmbed(t *testing.T, c *assist.Client, text string) []float32 {
	t.Helper()
	v, err := c.Embed(context.Background(), []string{text})
	if err != nil {
		t.Fatal(err)
	}
	return v[0]
}
