package web

import (
	"fmt"
	"net/http"
	"strings"
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

// A reply URL's user info and query (a receiver's credentials) never
// leave through the API, also not in a dead letter.
func TestAPIHidesURLSecrets(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"https://user:pa55@gw.example/reply/7?token=s3cret#frag", "https://gw.example/reply/7"},
		{"https://gw.example/reply?", "https://gw.example/reply"},
		{"http://gw.example:8443/a/b", "http://gw.example:8443/a/b"},
		{"slack:C123/1700000000.000100", "slack:C123/1700000000.000100"},
		{"", ""},
	} {
		if got := publicURL(c.in); got != c.want {
			t.Errorf("publicURL(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	dl := string(publicInquiryJSON([]byte(`{"id":"iq_1","reply_url":"https://u:p@gw.example/r?k=v"}`)))
	if strings.Contains(dl, "k=v") || strings.Contains(dl, "u:p") || !strings.Contains(dl, "https://gw.example/r") {
		t.Errorf("dead letter shown as %s", dl)
	}

	ctx := testContext(t)
	st := newStack(t, ctx, testConfig(), bustest.Embedded(t))
	body := `{"source":"web","customer_id":"u-1","text":"접속이 안 돼요","reply_url":"https://bot:hunter2@gw.example/reply/1?sig=tok3n"}`
	r := st.do(t, "POST", "/v1/inquiries", []byte(body), bearer(intakeToken))
	if r.status != http.StatusAccepted {
		t.Fatalf("POST = %d %s", r.status, r.raw)
	}
	st.waitStored(t, ctx, 1)
	got := st.do(t, "GET", "/v1/inquiries/"+r.body["id"].(string), nil, bearer(readToken))
	if got.body["reply_url"] != "https://gw.example/reply/1" || strings.Contains(got.raw, "hunter2") || strings.Contains(got.raw, "tok3n") {
		t.Errorf("GET shows %s", got.raw)
	}
}
