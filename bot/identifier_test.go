package bot

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/bus"
)

// A customer_id or idempotency_key that is a phone number or an e-mail
// address is stored as a keyed hash, the same for the same person (also
// written differently), and a retry with the same key keeps its inquiry id.
func TestIdentifiersArePseudonymised(t *testing.T) {
	rec := &recorder{}
	in := NewIntake(rec, Limits{MaxTextBytes: 8192}, time.Second).WithIdentifierKey("test-key-0123456789")
	accept := func(customer, key string) (bus.Inquiry, string) {
		t.Helper()
		r, err := in.Accept(context.Background(), Submission{Source: "web", CustomerID: customer, IdempotencyKey: key, Text: "환불 문의드려요"})
		if err != nil {
			t.Fatal(err)
		}
		var m bus.Inquiry
		if err := json.Unmarshal(rec.msgs[len(rec.msgs)-1].Data, &m); err != nil {
			t.Fatal(err)
		}
		return m, r.ID
	}
	cases := []struct {
		name, a, b string // a and b are the same person
		hashed     bool
	}{
		{"mobile, grouped or not", "010-1234-5678", "01012345678", true},
		{"mobile, +82", "+82 10-1234-5678", "010 1234 5678", true},
		{"e-mail, any case", "Kim.Minsu@Naver.com", "kim.minsu@naver.com", true},
		{"korean e-mail", "홍길동@예시.한국", "홍길동@예시.한국", true},
		{"card number", "4111-1111-1111-1111", "4111-1111-1111-1111", true},
		{"plain id kept", "cust-1029", "cust-1029", false},
		{"korean name kept", "김민수", "김민수", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ma, _ := accept(c.a, "")
			mb, _ := accept(c.b, "")
			if !c.hashed {
				if ma.CustomerID != c.a {
					t.Fatalf("customer_id %q became %q", c.a, ma.CustomerID)
				}
				return
			}
			if !strings.HasPrefix(ma.CustomerID, identifierPrefix) || ma.CustomerID != mb.CustomerID {
				t.Errorf("customer_id %q -> %q, %q -> %q; want one hash", c.a, ma.CustomerID, c.b, mb.CustomerID)
			}
			for _, m := range []bus.Inquiry{ma, mb} {
				raw, _ := json.Marshal(m)
				if strings.Contains(string(raw), c.a) || strings.Contains(string(raw), "1234-5678") || strings.Contains(strings.ToLower(string(raw)), "naver") {
					t.Errorf("published %s", raw)
				}
			}
		})
	}
	// Idempotency keeps working on a hashed key.
	m1, id1 := accept("c-1", "kim@example.com")
	m2, id2 := accept("c-1", "kim@example.com")
	if id1 != id2 || m1.IdempotencyKey != m2.IdempotencyKey || !strings.HasPrefix(m1.IdempotencyKey, identifierPrefix) {
		t.Errorf("keyed retries: ids %s %s, keys %q %q", id1, id2, m1.IdempotencyKey, m2.IdempotencyKey)
	}
	if _, id3 := accept("c-1", "order-77"); id3 == id1 {
		t.Error("another key shared the id")
	}
	// Another key hashes differently: the hash depends on the secret.
	other := NewIntake(rec, Limits{MaxTextBytes: 8192}, time.Second).WithIdentifierKey("another-key-987654321")
	if _, err := other.Accept(context.Background(), Submission{Source: "web", CustomerID: "010-1234-5678", Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	var m bus.Inquiry
	_ = json.Unmarshal(rec.msgs[len(rec.msgs)-1].Data, &m)
	if first, _ := accept("010-1234-5678", ""); m.CustomerID == first.CustomerID {
		t.Error("two identifier keys gave the same hash")
	}
}
