package signature

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"
)

var at = time.Unix(1764748800, 0)

// A known vector: HMAC-SHA256("s3cret", "1764748800." + body), computed
// independently (printf '1764748800.{"text":"로그인이 안 돼요"}' |
// openssl dgst -sha256 -hmac s3cret).
const body = `{"text":"로그인이 안 돼요"}`

func TestSignThenParse(t *testing.T) {
	h := Sign([]byte("s3cret"), at, []byte(body))
	if want := "t=1764748800,v1=488f611904262377ff8c94d52ee25f6e5d73c70e7d03dbb0d572d204f7650494"; h != want {
		t.Fatalf("Sign = %q, want %q", h, want)
	}
	s, err := Parse(h)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Time.Equal(at) {
		t.Errorf("Time = %v, want %v", s.Time, at)
	}
	for _, tc := range []struct {
		name   string
		secret string
		body   string
		want   bool
	}{
		{"same secret and body", "s3cret", body, true},
		{"other secret", "s3cret2", body, false},
		{"body changed", "s3cret", `{"text":"로그인이 안 돼요!"}`, false},
		{"empty body", "s3cret", "", false},
	} {
		if got := s.Valid([]byte(tc.secret), []byte(tc.body)); got != tc.want {
			t.Errorf("%s: Valid = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestParse(t *testing.T) {
	good := Sign([]byte("k"), at, []byte("b"))
	_, mac, _ := strings.Cut(good, ",v1=")
	for _, tc := range []struct {
		name   string
		header string
		valid  bool // parses and verifies with secret "k" over "b"
		err    bool
	}{
		{"as signed", good, true, false},
		{"spaces around parts", " t=1764748800 , v1=" + mac + " ", true, false},
		{"rotation: a wrong MAC beside the right one", "t=1764748800,v1=" + strings.Repeat("00", 32) + ",v1=" + mac, true, false},
		{"unknown keys ignored", "t=1764748800,v0=zz,v1=" + mac + ",x", true, false},
		{"last t wins", "t=1,t=1764748800,v1=" + mac, true, false},
		{"t as sent is what is signed", "t=01764748800,v1=" + mac, false, false},
		{"non-hex v1 ignored", "t=1764748800,v1=xyz,v1=" + mac, true, false},
		{"empty", "", false, true},
		{"no t", "v1=" + mac, false, true},
		{"t not a number", "t=soon,v1=" + mac, false, true},
		{"no v1", "t=1764748800", false, true},
		{"only a non-hex v1", "t=1764748800,v1=한글", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse(tc.header)
			if tc.err {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("Parse(%q) error = %v, want ErrMalformed", tc.header, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.header, err)
			}
			if got := s.Valid([]byte("k"), []byte("b")); got != tc.valid {
				t.Errorf("Valid = %v, want %v", got, tc.valid)
			}
		})
	}
}

func TestWithin(t *testing.T) {
	s, err := Parse("t=1764748800,v1=00")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		now  time.Time
		want bool
	}{
		{at, true},
		{at.Add(5 * time.Minute), true},
		{at.Add(-5 * time.Minute), true},
		{at.Add(5*time.Minute + time.Second), false},
		{at.Add(-5*time.Minute - time.Second), false},
	} {
		if got := s.Within(tc.now, 5*time.Minute); got != tc.want {
			t.Errorf("Within(%v) = %v, want %v", tc.now.Sub(at), got, tc.want)
		}
	}
}

// FuzzParse feeds the parser arbitrary headers: it never panics, what it
// accepts has a timestamp and at least one MAC, and it never accepts a
// header as signing a body unless a MAC over that body is in it. A header
// it signs itself always parses and verifies.
func FuzzParse(f *testing.F) {
	f.Add(Sign([]byte("k"), at, []byte("b")), []byte("b"))
	f.Add("t=1764748800,v1=00,v1=zz", []byte(body))
	f.Add(" t=-1 ,v1=", []byte{})
	f.Add("t=9223372036854775807,v1=ab", []byte("x"))
	f.Add("t=1,t=2,,=,v1=한글", []byte("로그인"))
	f.Fuzz(func(t *testing.T, header string, b []byte) {
		s, err := Parse(header)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("Parse(%q) error %v is not ErrMalformed", header, err)
			}
		} else {
			if len(s.macs) == 0 {
				t.Fatalf("Parse(%q) accepted a header without a MAC", header)
			}
			want := hex.EncodeToString(mac([]byte("k"), s.ts, b))
			if s.Valid([]byte("k"), b) && !strings.Contains(strings.ToLower(header), want) {
				t.Fatalf("Parse(%q).Valid accepts a body no MAC in it signs", header)
			}
		}
		signed := Sign([]byte("k"), at, b)
		s, err = Parse(signed)
		if err != nil || !s.Valid([]byte("k"), b) {
			t.Fatalf("Sign's own header %q does not verify: %v", signed, err)
		}
	})
}
