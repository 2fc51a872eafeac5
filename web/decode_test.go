package web

import (
	"reflect"
	"testing"
	"unicode/utf8"
)

// decodeCases are bodies the fast path takes and bodies it must leave to
// encoding/json.
var decodeCases = []struct {
	body string
	fast bool
}{
	{`{"source":"web","customer_id":"u-1","text":"앱 접속이 안 돼요"}`, true},
	{` { "source" : "web" , "customer_id":"u-1","text":"x","idempotency_key":"k","locale":"ko","reply_url":"https://a.example/r" } `, true},
	{`{"source":"web","customer_id":"u","text":"x","metadata":{"a":[1,{"b":"c\"}"}],"d":null}}`, true},
	{`{"source":"web","customer_id":"u","text":"x","metadata":null}`, true},
	{`{"source":"web","customer_id":"u","text":"x","metadata":12.5e3}`, true},
	{`{"metadata":"s","source":"web"}`, true},
	{`{}`, true},
	{`{"source":"web","customer_id":"u","text":"줄\n바꿈"}`, false},   // an escape
	{`{"source":"web","customer_id":"u","text":"a\u0041"}`, false}, // an escape
	{`{"Source":"web","customer_id":"u","text":"x"}`, false},       // encoding/json folds case
	{`{"source":"web","source":"kakao"}`, false},                   // repeated key
	{`{"source":"web","priority":1}`, false},                       // unknown field
	{`{"source":7}`, false},                                        // not a string
	{`{"source":null}`, false},                                     // null leaves the field
	{`{"source":"web",}`, false},                                   // trailing comma
	{`{"source":"web"}{}`, false},                                  // trailing value
	{`{"source":"web"`, false},                                     // unterminated
	{`{"source":"web","metadata":{"a":1}`, false},                  // unterminated
	{`{"source":"web","metadata":{"a":}}`, false},                  // invalid metadata
	{`{"source":"web","metadata":tru}`, false},                     // invalid literal
	{"{\"source\":\"we\tb\"}", false},                              // control character
	{`["web"]`, false},                                             // not an object
	{``, false},                                                    // empty
	{`{"source":"web","customer_id":"u","text":"x","metadata":{"a":"b"} }`, true},
}

// The fast path gives exactly what encoding/json gives, and only for
// bodies encoding/json accepts.
func TestDecodeFast(t *testing.T) {
	t.Parallel()
	for _, tc := range decodeCases {
		fast, ok := decodeFast([]byte(tc.body))
		if ok != tc.fast {
			t.Errorf("decodeFast(%s) took it: %v, want %v", tc.body, ok, tc.fast)
		}
		checkSameDecode(t, []byte(tc.body))
		_ = fast
	}
}

func checkSameDecode(t *testing.T, body []byte) {
	t.Helper()
	fast, ok := decodeFast(body)
	if !ok {
		return
	}
	slow, err := decodeSubmissionJSON(body)
	if err != nil {
		t.Fatalf("the fast path took %q, which encoding/json refuses: %v", body, err)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("%q: fast %+v, encoding/json %+v", body, fast, slow)
	}
}

// FuzzDecodeFast: whatever the fast path takes, encoding/json takes too,
// with the same result.
func FuzzDecodeFast(f *testing.F) {
	for _, tc := range decodeCases {
		f.Add([]byte(tc.body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if utf8.Valid(body) {
			checkSameDecode(t, body)
		}
	})
}
