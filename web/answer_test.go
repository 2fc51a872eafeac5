package web

import (
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
	ctx := testContext(t)
	st := newStack(t, ctx, testConfig(), bustest.Embedded(t))
	example, err := os.ReadFile("../configs/kb.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if r := st.do(t, "POST", "/v1/kb/import", example, bearer(managerToken)); r.status != 200 {
		t.Fatalf("import = %d %s", r.status, r.raw)
	}
	// The import is announced over NATS; wait for the reload.
	for {
		if _, answers, _ := st.knowledge.Snapshot(); len(answers) > 0 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("the knowledge base was never reloaded")
		case <-time.After(10 * time.Millisecond):
		}
	}
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
}
