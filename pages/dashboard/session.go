package dashboard

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/surgedesk/surgedesk/config"
)

// A session is a signed cookie, not a row: any instance that has the same
// tokens configured checks it, with no shared store. The key that signs it
// is derived from the token the manager signed in with, so it needs no
// secret of its own, a forged cookie needs the token itself, and removing
// the token from the configuration ends its sessions everywhere. The roles
// are read from the configuration at each request, never from the cookie.

// CookieName is the session cookie.
const CookieName = "surgedesk_session"

var (
	errNoSession = errors.New("dashboard: not signed in")
	errForged    = errors.New("dashboard: session not valid")
	errExpired   = errors.New("dashboard: session expired")
)

// token is a configured API token.
type token struct {
	name   string
	secret string
	roles  []string
}

func (t token) has(role string) bool {
	return slices.Contains(t.roles, role) || slices.Contains(t.roles, config.RoleAdmin)
}

// session is a verified session cookie.
type session struct {
	token   token
	expires time.Time
	nonce   string
}

// sessions issues and checks session cookies.
type sessions struct {
	tokens []token
	byID   map[string]token
	ttl    time.Duration
	now    func() time.Time
}

func newSessions(auth config.Auth, ttl time.Duration, now func() time.Time) *sessions {
	s := &sessions{byID: map[string]token{}, ttl: ttl, now: now}
	if auth.AdminToken != "" {
		s.tokens = append(s.tokens, token{name: "admin", secret: auth.AdminToken, roles: config.AllRoles})
	}
	for _, t := range auth.Tokens {
		s.tokens = append(s.tokens, token{name: t.Name, secret: t.Token, roles: t.Roles})
	}
	for _, t := range s.tokens {
		s.byID[tokenID(t.secret)] = t
	}
	return s
}

func mac(key []byte, parts ...string) []byte {
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return m.Sum(nil)
}

// tokenID names a token in a cookie without revealing anything about it.
func tokenID(secret string) string {
	return hex.EncodeToString(mac([]byte(secret), "surgedesk dashboard token id")[:12])
}

func sessionKey(secret string) []byte {
	return mac([]byte(secret), "surgedesk dashboard session key")
}

// lookup finds the token a manager typed, comparing with every token in
// constant time.
func (s *sessions) lookup(secret string) (token, bool) {
	var found token
	ok := false
	for _, t := range s.tokens {
		if subtle.ConstantTimeCompare([]byte(t.secret), []byte(secret)) == 1 {
			found, ok = t, true
		}
	}
	return found, ok
}

// issue returns a cookie value for t, valid for the sessions' ttl.
func (s *sessions) issue(t token) (string, session) {
	var raw [16]byte
	_, _ = rand.Read(raw[:])
	sess := session{token: t, expires: s.now().Add(s.ttl).Truncate(time.Second), nonce: hex.EncodeToString(raw[:])}
	payload := strings.Join([]string{"v1", tokenID(t.secret), strconv.FormatInt(sess.expires.Unix(), 10), sess.nonce}, ".")
	sig := base64.RawURLEncoding.EncodeToString(mac(sessionKey(t.secret), payload))
	return payload + "." + sig, sess
}

// verify checks a cookie value: signed with a configured token's key, and
// not expired.
func (s *sessions) verify(value string) (session, error) {
	parts := strings.Split(value, ".")
	if len(parts) != 5 || parts[0] != "v1" {
		return session{}, errForged
	}
	t, ok := s.byID[parts[1]]
	if !ok {
		return session{}, errForged
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[4])
	if err != nil || !hmac.Equal(sig, mac(sessionKey(t.secret), strings.Join(parts[:4], "."))) {
		return session{}, errForged
	}
	exp, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil {
		return session{}, errForged
	}
	sess := session{token: t, expires: time.Unix(exp, 0), nonce: parts[3]}
	if !s.now().Before(sess.expires) {
		return session{}, errExpired
	}
	return sess, nil
}

// csrf is the session's anti-forgery token: forms that act carry it, and
// a page on another site cannot read it.
func (sess session) csrf() string {
	return base64.RawURLEncoding.EncodeToString(mac(sessionKey(sess.token.secret), "csrf", sess.nonce)[:18])
}

func (sess session) checkCSRF(got string) bool {
	return got != "" && hmac.Equal([]byte(got), []byte(sess.csrf()))
}
