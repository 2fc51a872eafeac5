package web

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// FuzzDecodeSubmission: the intake decoder never panics, and whatever it
// accepts is a single JSON object whose fields survive a round trip.
func FuzzDecodeSubmission(f *testing.F) {
	f.Add([]byte(`{"source":"web","customer_id":"u-1","text":"앱 접속이 안 돼요"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		sub, err := decodeSubmission(body)
		if err != nil {
			if err.Code == "" || err.Message == "" || err.Status != 400 {
				t.Fatalf("error without code, message or 400: %+v", err)
			}
			return
		}
		if !json.Valid(body) {
			t.Fatalf("accepted invalid JSON %q", body)
		}
		again, err2 := json.Marshal(sub)
		if err2 != nil {
			t.Fatal(err2)
		}
		back, err := decodeSubmission(again)
		if err != nil {
			t.Fatalf("re-encoded submission rejected: %v", err)
		}
		if back.Source != sub.Source || back.CustomerID != sub.CustomerID || back.Text != sub.Text {
			t.Fatalf("round trip changed %+v into %+v", sub, back)
		}
		if utf8.Valid(body) && !utf8.ValidString(sub.Text) {
			t.Fatalf("valid UTF-8 body gave invalid text %q", sub.Text)
		}
	})
}
