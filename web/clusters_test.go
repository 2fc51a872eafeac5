package web

import (
	"fmt"
	"strings"
	"testing"

	"github.com/surgedesk/surgedesk/bus/bustest"
)

// A cluster surging across many customers raises one possible incident; a
// single customer repeating does not.
func TestSurgeRaisesOneAlert(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	cfg := testConfig()
	cfg.Alerts.SurgePerMinute, cfg.Alerts.MinCustomers = 1, 5
	st := newStack(t, ctx, cfg, bustest.Embedded(t))
	post := func(customer, text string) {
		body := fmt.Sprintf(`{"source":"web","customer_id":%q,"text":%q}`, customer, text)
		if r := st.do(t, "POST", "/v1/inquiries", []byte(body), bearer(intakeToken)); r.status != 202 {
			t.Fatalf("POST = %d %s", r.status, r.raw)
		}
	}
	variants := []string{"상품권 사용이 안 돼요", "상품권 사용이 안돼요ㅠㅠ", "상품권 사용 안 돼요!!", "상품권 사용이 안 되요", "상품권사용이 안돼요"}
	for i := range 12 {
		post(fmt.Sprintf("c%d", i), variants[i%len(variants)])
		post("same-customer", "배송 조회가 안 돼요") // one customer, many times
	}
	st.waitStored(t, ctx, 24)
	r := st.do(t, "GET", "/v1/alerts", nil, bearer(readToken))
	alerts, _ := r.body["alerts"].([]any)
	if r.status != 200 || len(alerts) != 1 || !strings.Contains(r.raw, "상품권") {
		t.Fatalf("alerts = %d %s; want one, for the voucher cluster", r.status, r.raw)
	}
	if r := st.do(t, "GET", "/v1/alerts?status=weird", nil, bearer(readToken)); r.status != 400 {
		t.Errorf("bad status = %d", r.status)
	}
}
