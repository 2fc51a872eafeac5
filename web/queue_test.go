package web

import (
	"fmt"
	"strings"
	"testing"

	"github.com/surgedesk/surgedesk/bus/bustest"
)

// The queue has one item per cluster, the urgent and big first; a claim
// keeps other agents off; resolving closes the item; every action is
// audited.
func TestQueue(t *testing.T) {
	ctx := testContext(t)
	st := newStack(t, ctx, testConfig(), bustest.Embedded(t))
	post := func(customer, text string) {
		body := fmt.Sprintf(`{"source":"web","customer_id":%q,"text":%q}`, customer, text)
		if r := st.do(t, "POST", "/v1/inquiries", []byte(body), bearer(intakeToken)); r.status != 202 {
			t.Fatalf("POST = %d %s", r.status, r.raw)
		}
	}
	for i := range 6 {
		post(fmt.Sprintf("a%d", i), "결제가 두 번 됐어요 환불해주세요") // urgent
		post(fmt.Sprintf("b%d", i), "배송 조회가 안 돼요")
	}
	post("c0", "앱 글씨가 너무 작아요") // one customer, not urgent
	st.waitStored(t, ctx, 13)

	q := st.do(t, "GET", "/v1/queue", nil, bearer(agentToken))
	items, _ := q.body["items"].([]any)
	if q.status != 200 || len(items) != 3 {
		t.Fatalf("queue = %d %s; want three items", q.status, q.raw)
	}
	first := items[0].(map[string]any)
	if first["urgent"] != true || !strings.Contains(first["representative"].(string), "환불") || len(first["samples"].([]any)) != 3 {
		t.Errorf("first item = %v; want the urgent refund cluster with three samples", first)
	}
	if last := items[2].(map[string]any); last["inquiries"] != float64(1) {
		t.Errorf("last item = %v; want the single small inquiry", last)
	}
	id := first["id"].(string)

	steps := []struct {
		name, method, path, body, token string
		status                          int
		code                            string
	}{
		{"read token cannot see the queue", "GET", "/v1/queue", "", readToken, 403, "forbidden"},
		{"lee claims", "POST", "/v1/queue/" + id + "/claim", "", agentToken, 200, ""},
		{"park cannot", "POST", "/v1/queue/" + id + "/claim", "", agent2Token, 409, "claimed"},
		{"lee renews", "POST", "/v1/queue/" + id + "/claim", "", agentToken, 200, ""},
		{"unknown item", "POST", "/v1/queue/nope/claim", "", agentToken, 404, "not_found"},
		{"link to an unknown incident", "POST", "/v1/clusters/" + id + "/link", `{"incident_id":"inc-nope"}`, agentToken, 404, "not_found"},
		{"link without incident", "POST", "/v1/clusters/" + id + "/link", `{}`, agentToken, 400, "missing_field"},
		{"lee resolves", "POST", "/v1/queue/" + id + "/resolve", "", agentToken, 200, ""},
		{"claim after resolve", "POST", "/v1/queue/" + id + "/claim", "", agent2Token, 404, "not_found"},
	}
	for _, tc := range steps {
		t.Run(tc.name, func(t *testing.T) {
			r := st.do(t, tc.method, tc.path, []byte(tc.body), bearer(tc.token))
			if r.status != tc.status || r.errorCode() != tc.code {
				t.Errorf("%s %s = %d %s, want %d %s", tc.method, tc.path, r.status, r.raw, tc.status, tc.code)
			}
		})
	}
	if q := st.do(t, "GET", "/v1/queue", nil, bearer(agentToken)); strings.Contains(q.raw, id) {
		t.Errorf("resolved item still queued: %s", q.raw)
	}
	a := st.do(t, "GET", "/v1/audit?subject=cluster:"+id, nil, bearer(managerToken))
	if strings.Count(a.raw, "cluster.claim") != 2 || !strings.Contains(a.raw, "cluster.resolve") || !strings.Contains(a.raw, "lee.agent") {
		t.Errorf("audit = %s", a.raw)
	}
}
