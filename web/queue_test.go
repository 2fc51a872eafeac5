package web

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/bus/bustest"
)

// The queue has one item per cluster, the urgent and big first; a claim
// keeps other agents off; resolving closes the item; every action is
// audited.
func TestQueue(t *testing.T) {
	t.Parallel()
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
	// Named by a member text, not by keywords.
	if first["title"] != first["representative"] || first["title_lang"] != "ko" {
		t.Errorf("first item's title = %v (%v), want its representative %q in Korean", first["title"], first["title_lang"], first["representative"])
	}
	// The same queue by problem: each problem lists its clusters with
	// their counts and samples, adding up to the problem's inquiries.
	problems, _ := q.body["problems"].([]any)
	if len(problems) == 0 {
		t.Fatalf("queue = %s; want problems beside the items", q.raw)
	}
	clustersSeen := 0
	for _, p := range problems {
		p := p.(map[string]any)
		clusters, _ := p["clusters"].([]any)
		if len(clusters) == 0 || len(clusters) != len(p["cluster_ids"].([]any)) {
			t.Fatalf("problem %v: want each of its clusters shown", p)
		}
		sum := 0.0
		for _, c := range clusters {
			c := c.(map[string]any)
			sum += c["inquiries"].(float64)
			samples, _ := c["samples"].([]any)
			if want := min(2, int(c["inquiries"].(float64))); len(samples) != want {
				t.Errorf("cluster %v of problem %v has %d samples, want %d", c["id"], p["title"], len(samples), want)
			}
			clustersSeen++
		}
		if sum != p["inquiries"].(float64) {
			t.Errorf("problem %v: its clusters hold %v inquiries, the problem %v", p["title"], sum, p["inquiries"])
		}
	}
	if clustersSeen != len(items) {
		t.Errorf("the problems show %d clusters, want the queue's %d", clustersSeen, len(items))
	}

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

// One reply reaches every customer exactly once, through the channel of
// their latest inquiry, however often they wrote; a customer joining later
// gets it at once, and a customer who had it gets nothing more when writing
// again; a cluster takes one reply.
func TestReplyToAll(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	st := newStack(t, ctx, testConfig(), bustest.Embedded(t))
	post := func(customer, text string) string {
		body := fmt.Sprintf(`{"source":"kakao","customer_id":%q,"text":%q,"reply_url":"https://gw.example/%s"}`, customer, text, customer)
		r := st.do(t, "POST", "/v1/inquiries", []byte(body), bearer(intakeToken))
		if r.status != 202 {
			t.Fatalf("POST = %d %s", r.status, r.raw)
		}
		return r.body["id"].(string)
	}
	first := post("kim", "환불은 언제 되나요?")
	post("lee", "환불 언제 되나요")
	st.waitStored(t, ctx, 2)
	kimLatest := post("kim", "환불은 언제 되나요ㅠㅠ") // kim again: the channel her reply goes to
	st.waitStored(t, ctx, 3)
	in := st.do(t, "GET", "/v1/inquiries/"+first, nil, bearer(readToken))
	cluster := in.body["cluster_id"].(string)

	reply := `{"text":"결제 취소 후 영업일 기준 3일 안에 환불됩니다."}`
	r := st.do(t, "POST", "/v1/queue/"+cluster+"/reply", []byte(reply), bearer(agentToken))
	if r.status != 202 || r.body["queued"] != float64(2) {
		t.Fatalf("reply = %d %s; want 2 queued (kim once, lee)", r.status, r.raw)
	}
	for _, tc := range []struct {
		name, path, body string
		status           int
		code             string
	}{
		{"second reply", "/v1/queue/" + cluster + "/reply", reply, 409, "exists"},
		{"empty text", "/v1/queue/" + cluster + "/reply", `{"text":"  "}`, 400, "missing_field"},
		{"unknown cluster", "/v1/queue/nope/reply", reply, 404, "not_found"},
	} {
		if r := st.do(t, "POST", tc.path, []byte(tc.body), bearer(agentToken)); r.status != tc.status || r.errorCode() != tc.code {
			t.Errorf("%s = %d %s", tc.name, r.status, r.raw)
		}
	}

	post("park", "환불은 언제 되나요??")   // joins after the reply
	post("kim", "환불은 언제 되나요 아직도요") // kim a third time: she has it already
	st.waitStored(t, ctx, 5)
	var deliveries []any
	for i := 0; ; i++ {
		got := st.do(t, "GET", "/v1/queue/"+cluster+"/reply", nil, bearer(agentToken))
		deliveries, _ = got.body["deliveries"].([]any)
		if len(deliveries) == 3 || i == 200 {
			if got.body["by"] != "lee.agent" {
				t.Errorf("reply by %v", got.body["by"])
			}
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The late ones are queued by the worker after it stores; give a second
	// delivery to kim time to show up, were there one.
	time.Sleep(200 * time.Millisecond)
	if got := st.do(t, "GET", "/v1/queue/"+cluster+"/reply", nil, bearer(agentToken)); got.body["deliveries"] != nil {
		deliveries, _ = got.body["deliveries"].([]any)
	}
	perCustomer := map[string]int{}
	for _, d := range deliveries {
		m := d.(map[string]any)
		perCustomer[m["customer"].(string)]++
		if m["customer"] == "kakao:kim" && m["inquiry_id"] != kimLatest {
			t.Errorf("kim's reply went to inquiry %v, want her latest %s", m["inquiry_id"], kimLatest)
		}
		if m["kind"] != "reply" || m["status"] != "pending" || !strings.Contains(m["text"].(string), "3일") {
			t.Errorf("delivery = %v", m)
		}
	}
	if len(deliveries) != 3 || len(perCustomer) != 3 {
		t.Errorf("deliveries = %d to %d customers (%v); want one each to kim, lee and park (late)", len(deliveries), len(perCustomer), perCustomer)
	}
}
