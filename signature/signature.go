// Package signature signs and verifies surgedesk's webhook signatures:
// the header "X-Surgedesk-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>"
// over "<t>." + body, keyed with a shared secret.
//
// Sources sign the inquiries they post to the intake, which verifies them
// (web); surgedesk signs the replies it posts to reply URLs the same way
// (workers), so a source checks both alike:
//
//	req.Header.Set(signature.Header, signature.Sign(secret, time.Now(), body))
//
//	s, err := signature.Parse(req.Header.Get(signature.Header))
//	ok := err == nil && s.Within(time.Now(), 5*time.Minute) && s.Valid(secret, body)
package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Header is the HTTP header a signature travels in.
const Header = "X-Surgedesk-Signature"

// ErrMalformed is a header without a numeric t= or a hex v1=.
var ErrMalformed = errors.New(`signature: header must be "t=<unix seconds>,v1=<hex>"`)

// Sign returns the header value signing body at t with secret.
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

// Signature is a parsed header: its timestamp and every v1 MAC it carries
// (several let a sender sign with an old and a new secret while rotating).
type Signature struct {
	Time time.Time
	ts   string // as sent: the MAC covers these bytes, not a reformatting
	macs [][]byte
}

// Parse reads a header value. Unknown keys and v1 values that are not hex
// are ignored; the last t wins.
func Parse(header string) (Signature, error) {
	var s Signature
	for part := range strings.SplitSeq(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			s.ts = v
		case "v1":
			if b, err := hex.DecodeString(v); err == nil {
				s.macs = append(s.macs, b)
			}
		}
	}
	sec, err := strconv.ParseInt(s.ts, 10, 64)
	if err != nil || len(s.macs) == 0 {
		return Signature{}, ErrMalformed
	}
	s.Time = time.Unix(sec, 0)
	return s, nil
}

// Within reports whether the signature's time is within window of now,
// either side: an old signature may be a replay.
func (s Signature) Within(now time.Time, window time.Duration) bool {
	d := now.Sub(s.Time)
	return d <= window && d >= -window
}

// Valid reports whether one of the MACs signs body with secret. It takes
// the same time whatever the MACs hold.
func (s Signature) Valid(secret, body []byte) bool {
	want := mac(secret, s.ts, body)
	for _, got := range s.macs {
		if hmac.Equal(want, got) {
			return true
		}
	}
	return false
}

func mac(secret []byte, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return m.Sum(nil)
}
