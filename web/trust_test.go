package web

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/bus/bustest"
)

// A bearer token cannot post as a signed source: it would take the
// source's idempotency keys and its follow-ups, signed with its secret.
func TestSignedSourceNameIsReserved(t *testing.T) {
	ctx := testContext(t)
	st := newStack(t, ctx, testConfig(), bustest.Embedded(t))
	for _, source := range []string{"webform", " webform ", "WebForm"} {
		b := fmt.Sprintf(`{"source":%q,"customer_id":"u-1","text":"환불 언제 되나요","idempotency_key":"order-1","reply_url":"https://evil.example/x"}`, source)
		r := st.do(t, "POST", "/v1/inquiries", []byte(b), bearer(intakeToken))
		if r.status != http.StatusForbidden || r.errorCode() != "source_reserved" {
			t.Errorf("bearer token as source %q = %d %s, want 403 source_reserved", source, r.status, r.raw)
		}
	}
	if seq := st.streamSeq(t, ctx); seq != 0 {
		t.Fatalf("refused posts published %d message(s)", seq)
	}
	// The genuine, signed inquiry keeps its key: new, not a duplicate.
	body := []byte(`{"source":"webform","customer_id":"u-1","text":"환불 언제 되나요","idempotency_key":"order-1"}`)
	r := st.do(t, "POST", "/v1/inquiries", body, signed(body, formSecret, time.Now()))
	if r.status != http.StatusAccepted || r.body["duplicate"] != nil {
		t.Fatalf("signed post = %d %s, want a new 202", r.status, r.raw)
	}
	// Any other source is still open to the token.
	r = st.do(t, "POST", "/v1/inquiries", []byte(`{"source":"web","customer_id":"u-1","text":"hi"}`), bearer(intakeToken))
	if r.status != http.StatusAccepted {
		t.Fatalf("token post as an unsigned source = %d %s", r.status, r.raw)
	}
}
