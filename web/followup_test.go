package web

import (
	"fmt"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/bus/bustest"
)

// Every customer who asked about an incident is queued one follow-up per
// update, however often they wrote, in their locale; answered inquiries
// with a reply_url get their answer queued too.
func TestFollowUpsQueuedOncePerCustomerPerUpdate(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	st := newStack(t, ctx, testConfig(), bustest.Embedded(t))
	st.importExampleKB(t, ctx)
	post := func(customer, locale, text string) {
		body := fmt.Sprintf(`{"source":"kakao","customer_id":%q,"locale":%q,"text":%q,"reply_url":"https://gw.example/%s"}`, customer, locale, text, customer)
		if r := st.do(t, "POST", "/v1/inquiries", []byte(body), bearer(intakeToken)); r.status != 202 || r.body["answer"] == nil {
			t.Fatalf("POST = %d %s; want an instant answer", r.status, r.raw)
		}
	}
	for range 5 { // kim writes five times
		post("kim", "ko", "모바일 상품권 결제가 안 돼요ㅠㅠ")
	}
	post("john", "en", "my mobile voucher is not accepted at the store")
	st.waitStored(t, ctx, 6)

	notifications := func() []map[string]any {
		r := st.do(t, "GET", "/v1/incidents/inc-voucher-platform-down/notifications", nil, bearer(readToken))
		if r.status != 200 {
			t.Fatalf("notifications = %d %s", r.status, r.raw)
		}
		var out []map[string]any
		for _, n := range r.body["notifications"].([]any) {
			out = append(out, n.(map[string]any))
		}
		return out
	}
	// Answers are queued by the worker after it stores; wait for them.
	deadline := time.Now().Add(20 * time.Second)
	for len(notifications()) < 6 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := notifications(); len(n) != 6 {
		t.Fatalf("answers queued = %d, want one per answered inquiry (6)", len(n))
	}

	for i, update := range []string{
		`{"status":"monitoring","text_ko":"복구 후 모니터링 중입니다","text_en":"Recovered; monitoring"}`,
		`{"status":"resolved","text_ko":"복구되었습니다","text_en":"Resolved"}`,
	} {
		if r := st.do(t, "POST", "/v1/incidents/inc-voucher-platform-down/updates", []byte(update), bearer(managerToken)); r.status != 201 {
			t.Fatalf("update %d = %d %s", i, r.status, r.raw)
		}
	}
	// Follow-ups are queued in the background once an update is committed
	// (desk.UpdateIncident); wait for them.
	all := notifications()
	for deadline := time.Now().Add(20 * time.Second); len(all) < 10 && time.Now().Before(deadline); all = notifications() {
		time.Sleep(20 * time.Millisecond)
	}
	followUps := map[string]map[float64]string{} // customer -> version -> text
	for _, n := range all {
		if n["kind"] != "followup" {
			continue
		}
		c, v := n["customer"].(string), n["update_version"].(float64)
		if followUps[c] == nil {
			followUps[c] = map[float64]string{}
		}
		if _, dup := followUps[c][v]; dup {
			t.Errorf("%s got update %v twice", c, v)
		}
		followUps[c][v] = n["text"].(string)
	}
	if len(followUps) != 2 || len(followUps["kakao:kim"]) != 2 || len(followUps["kakao:john"]) != 2 {
		t.Fatalf("follow-ups = %v; want kim and john, two updates each", followUps)
	}
	for v, text := range followUps["kakao:kim"] {
		if !containsHangul(text) {
			t.Errorf("kim's update %v is not in Korean: %q", v, text)
		}
	}
	for v, text := range followUps["kakao:john"] {
		if containsHangul(text) {
			t.Errorf("john's update %v is not in English: %q", v, text)
		}
	}
}

func containsHangul(s string) bool {
	for _, r := range s {
		if r >= 0xAC00 && r <= 0xD7A3 {
			return true
		}
	}
	return false
}
