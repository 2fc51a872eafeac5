package web

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/bus/bustest"
)

// An inquiry that matches the knowledge base gets its answer in the 202,
// rendered in its locale from the incident's latest update; the stored
// inquiry records it and its cluster is linked to the incident. Anything
// else gets no answer.
func TestInstantAnswer(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	st := newStack(t, ctx, testConfig(), bustest.Embedded(t))
	st.importExampleKB(t, ctx)
	post := func(text string) response {
		body := fmt.Sprintf(`{"source":"web","customer_id":"c-%d","text":%q}`, time.Now().UnixNano(), text)
		r := st.do(t, "POST", "/v1/inquiries", []byte(body), bearer(intakeToken))
		if r.status != 202 {
			t.Fatalf("POST %q = %d %s", text, r.status, r.raw)
		}
		return r
	}
	cases := []struct {
		name, text, incident, contains string
	}{
		{"voucher, Korean", "모바일 상품권 결제가 안 돼요ㅠㅠ", "inc-voucher-platform-down", "상품권"},
		{"refund, Korean", "결제 취소했는데 환불이 아직 안 들어왔어요", "inc-refund-delay", "환불"},
		{"unrelated", "배송지 주소를 바꾸고 싶어요", "", ""},
	}
	ids := map[string]string{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := post(tc.text)
			ids[tc.name] = r.body["id"].(string)
			answer, _ := r.body["answer"].(map[string]any)
			if tc.incident == "" {
				if answer != nil {
					t.Errorf("answered an unrelated inquiry: %s", r.raw)
				}
				return
			}
			if answer == nil || answer["incident_id"] != tc.incident || answer["update_version"] == nil ||
				!strings.Contains(answer["text"].(string), tc.contains) {
				t.Errorf("answer = %s; want one about %s", r.raw, tc.incident)
			}
		})
	}
	st.waitStored(t, ctx, int64(len(cases)))
	got := st.do(t, "GET", "/v1/inquiries/"+ids["voucher, Korean"], nil, bearer(readToken))
	if got.body["state"] != "answered" || got.body["incident_id"] != "inc-voucher-platform-down" || got.body["answer_id"] == nil {
		t.Errorf("stored answered inquiry = %s", got.raw)
	}
	cl := st.do(t, "GET", "/v1/clusters/"+got.body["cluster_id"].(string), nil, bearer(readToken))
	if cl.body["incident_id"] != "inc-voucher-platform-down" {
		t.Errorf("cluster not linked to the incident: %s", cl.raw)
	}
	if plain := st.do(t, "GET", "/v1/inquiries/"+ids["unrelated"], nil, bearer(readToken)); plain.body["state"] != "stored" {
		t.Errorf("unanswered inquiry = %s", plain.raw)
	}

	// Volume: the voucher inquiry, answered, in this minute.
	vol := st.do(t, "GET", "/v1/incidents/inc-voucher-platform-down/volume?bucket=5m", nil, bearer(readToken))
	buckets, _ := vol.body["buckets"].([]any)
	if vol.status != 200 || len(buckets) != 1 {
		t.Fatalf("volume = %d %s", vol.status, vol.raw)
	}
	if b := buckets[0].(map[string]any); b["inquiries"] != float64(1) || b["answered"] != float64(1) || b["queued"] != float64(0) || b["customers"] != float64(1) {
		t.Errorf("bucket = %v", b)
	}
	for _, bad := range []string{"?bucket=30s", "?bucket=soon", "?since=yesterday"} {
		if r := st.do(t, "GET", "/v1/incidents/inc-voucher-platform-down/volume"+bad, nil, bearer(readToken)); r.status != 400 {
			t.Errorf("volume%s = %d", bad, r.status)
		}
	}
	if r := st.do(t, "GET", "/v1/incidents/inc-nope/volume", nil, bearer(readToken)); r.status != 404 {
		t.Errorf("volume of an unknown incident = %d", r.status)
	}

	// Resolving closes the linked cluster, in SQL and in memory: the same
	// text now starts afresh, and gets no answer about a resolved incident.
	clusterID := got.body["cluster_id"].(string)
	if r := st.do(t, "POST", "/v1/incidents/inc-voucher-platform-down/updates", []byte(`{"status":"resolved","text_ko":"복구되었습니다"}`), bearer(managerToken)); r.status != 201 {
		t.Fatalf("resolve = %d %s", r.status, r.raw)
	}
	if cl := st.do(t, "GET", "/v1/clusters/"+clusterID, nil, bearer(readToken)); cl.body["status"] != "closed" {
		t.Errorf("cluster after resolve = %s", cl.raw)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, ok := st.srv.Clusters.Cluster(clusterID); !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the cluster is still open in memory after the resolve")
		}
		time.Sleep(10 * time.Millisecond)
	}
	for {
		incidents, _, _ := st.knowledge.Snapshot()
		if len(incidents) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the resolved incident is still active in memory")
		}
		time.Sleep(10 * time.Millisecond)
	}
	again := post("모바일 상품권 결제가 안 돼요ㅠㅠ")
	if again.body["answer"] != nil {
		t.Errorf("answered about a resolved incident: %s", again.raw)
	}
	st.waitStored(t, ctx, int64(len(cases))+1)
	if in := st.do(t, "GET", "/v1/inquiries/"+again.body["id"].(string), nil, bearer(readToken)); in.body["cluster_id"] == clusterID {
		t.Errorf("joined the closed cluster %s", clusterID)
	}
}

// importExampleKB imports configs/kb.example.yaml over the API and waits
// until the announced reload has reached this stack's knowledge base.
func (st *stack) importExampleKB(t *testing.T, ctx context.Context) {
	t.Helper()
	example, err := os.ReadFile("../configs/kb.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if r := st.do(t, "POST", "/v1/kb/import", example, bearer(managerToken)); r.status != 200 {
		t.Fatalf("import = %d %s", r.status, r.raw)
	}
	for {
		if _, answers, _ := st.knowledge.Snapshot(); len(answers) > 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatal("the knowledge base was never reloaded")
		case <-time.After(10 * time.Millisecond):
		}
	}
}
