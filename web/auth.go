package web

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/surgedesk/surgedesk/config"
	"github.com/surgedesk/surgedesk/signature"
)

// principal is who made a request.
type principal struct {
	name   string
	roles  []string
	source string // set when the request was signed with a source secret
	// replayKey identifies a signed request (replayKey), for one sent
	// without an idempotency key.
	replayKey string
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
	sig, err := signature.Parse(header)
	if err != nil {
		return principal{}, errUnauthorized("invalid_signature", signature.Header+" must be \"t=<unix seconds>,v1=<hex>\"")
	}
	if !sig.Within(a.now(), a.window) {
		return principal{}, errUnauthorized("stale_signature", "signature timestamp is outside the "+a.window.String()+" window")
	}
	for _, src := range a.sources {
		if sig.Valid([]byte(src.Secret), body) {
			return principal{name: "source:" + src.Name, roles: []string{config.RoleIntake}, source: src.Name, replayKey: replayKey(sig.Time, body)}, nil
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
// derived from what its signature covers (time and body), so that a replay
// within the signature's window is the same inquiry, stored once, while a
// genuine resend, signed anew, is a new one.
func replayKey(t time.Time, body []byte) string {
	h := sha256.New()
	h.Write([]byte(strconv.FormatInt(t.Unix(), 10) + "."))
	h.Write(body)
	return "sig:" + hex.EncodeToString(h.Sum(nil)[:16])
}
