package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/surgedesk/surgedesk/config"
)

// SignatureHeader carries "t=<unix seconds>,v1=<hex HMAC-SHA256>" over
// "<t>." + body, keyed with the source's secret.
const SignatureHeader = "X-Surgedesk-Signature"

// principal is who made a request.
type principal struct {
	name   string
	roles  []string
	source string // set when the request was signed with a source secret
	// signature is the signature that matched, for a signed request.
	signature []byte
}

func (p principal) has(role string) bool {
	return slices.Contains(p.roles, role) || slices.Contains(p.roles, config.RoleAdmin)
}

// authenticator checks bearer tokens and source signatures.
type authenticator struct {
	tokens  map[[32]byte]principal // by SHA-256 of the token, so lookup time says nothing about it
	sources []config.Source
	window  time.Duration
	now     func() time.Time
}

func newAuthenticator(cfg config.Auth, window time.Duration) *authenticator {
	a := &authenticator{tokens: map[[32]byte]principal{}, sources: cfg.Sources, window: window, now: time.Now}
	if cfg.AdminToken != "" {
		a.tokens[sha256.Sum256([]byte(cfg.AdminToken))] = principal{name: "admin", roles: config.AllRoles}
	}
	for _, t := range cfg.Tokens {
		a.tokens[sha256.Sum256([]byte(t.Token))] = principal{name: t.Name, roles: t.Roles}
	}
	return a
}

// bearer authenticates the Authorization header; ok is false when absent.
func (a *authenticator) bearer(r *http.Request) (p principal, present bool, err *apiError) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return principal{}, false, nil
	}
	tok, found := strings.CutPrefix(h, "Bearer ")
	if !found {
		return principal{}, true, errUnauthorized("invalid_token", "Authorization must be \"Bearer <token>\"")
	}
	p, ok := a.tokens[sha256.Sum256([]byte(strings.TrimSpace(tok)))]
	if !ok {
		return principal{}, true, errUnauthorized("invalid_token", "unknown bearer token")
	}
	return p, true, nil
}

// signed authenticates a signature header against every source secret.
func (a *authenticator) signed(header string, body []byte) (principal, *apiError) {
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			if b, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, b)
			}
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return principal{}, errUnauthorized("invalid_signature", SignatureHeader+" must be \"t=<unix seconds>,v1=<hex>\"")
	}
	if d := a.now().Sub(time.Unix(sec, 0)); d > a.window || d < -a.window {
		return principal{}, errUnauthorized("stale_signature", "signature timestamp is outside the "+a.window.String()+" window")
	}
	for _, src := range a.sources {
		want := Sign([]byte(src.Secret), ts, body)
		for _, got := range sigs {
			if subtle.ConstantTimeCompare(want, got) == 1 {
				return principal{name: "source:" + src.Name, roles: []string{config.RoleIntake}, source: src.Name, signature: got}, nil
			}
		}
	}
	return principal{}, errUnauthorized("invalid_signature", "signature does not match any source secret")
}

// reserved reports whether source is the name of a signed source: only a
// request signed with that source's secret may post as it, since the name
// carries its idempotency keys and its follow-ups, signed with its secret.
func (a *authenticator) reserved(source string) bool {
	source = strings.TrimSpace(source)
	for _, src := range a.sources {
		if src.Secret != "" && strings.EqualFold(src.Name, source) {
			return true
		}
	}
	return false
}

// replayKey is the idempotency key of a signed request sent without one:
// derived from its signature, so that a replay within the signature's
// window (same timestamp, same body) is the same inquiry, stored once,
// while a genuine resend, signed anew, is a new one.
func replayKey(signature []byte) string {
	sum := sha256.Sum256(signature)
	return "sig:" + hex.EncodeToString(sum[:16])
}

// Sign returns HMAC-SHA256(secret, ts + "." + body): what a sender puts,
// hex-encoded, after "v1=".
func Sign(secret []byte, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return m.Sum(nil)
}

// SignatureValue builds the full header value for body at time t.
func SignatureValue(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(Sign(secret, ts, body))
}
