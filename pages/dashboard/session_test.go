package dashboard

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/config"
)

func testAuth() config.Auth {
	return config.Auth{AdminToken: "admin-token-0123456789abcdef", Tokens: []config.Token{
		{Name: "viewer", Token: "viewer-token-0123456789abcdef", Roles: []string{config.RoleRead}},
		{Name: "intake-gw", Token: "intake-token-0123456789abcdef", Roles: []string{config.RoleIntake}},
	}}
}

func TestSessions(t *testing.T) {
	now := time.Date(2026, 11, 22, 6, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s := newSessions(testAuth(), time.Hour, clock)
	viewer, ok := s.lookup("viewer-token-0123456789abcdef")
	if !ok || viewer.name != "viewer" || !viewer.has(config.RoleRead) || viewer.has(config.RoleManager) {
		t.Fatalf("lookup(viewer) = %+v, %v", viewer, ok)
	}
	if admin, ok := s.lookup("admin-token-0123456789abcdef"); !ok || !admin.has(config.RoleManager) {
		t.Fatalf("the admin token does not hold the manager role: %+v, %v", admin, ok)
	}
	if _, ok := s.lookup("viewer-token-0123456789abcde"); ok {
		t.Fatal("a prefix of a token signs in")
	}
	value, issued := s.issue(viewer)

	// The same configuration on another instance accepts the cookie.
	other := newSessions(testAuth(), time.Hour, clock)
	got, err := other.verify(value)
	if err != nil || got.token.name != "viewer" || got.csrf() != issued.csrf() {
		t.Fatalf("another instance: %+v, %v", got, err)
	}
	parts := strings.Split(value, ".")
	tampered := func(i int, v string) string {
		p := append([]string{}, parts...)
		p[i] = v
		return strings.Join(p, ".")
	}
	later := func(d time.Duration) *sessions {
		return newSessions(testAuth(), time.Hour, func() time.Time { return now.Add(d) })
	}
	noViewer := testAuth()
	noViewer.Tokens = noViewer.Tokens[1:]
	tests := []struct {
		name  string
		s     *sessions
		value string
		want  error
	}{
		{"valid", s, value, nil},
		{"valid until the end", later(59 * time.Minute), value, nil},
		{"expired", later(time.Hour), value, errExpired},
		{"expiry moved", s, tampered(2, "9999999999"), errForged},
		{"another token's id", s, tampered(1, tokenID("admin-token-0123456789abcdef")), errForged},
		{"signature changed", s, tampered(4, "AAAA"+parts[4][4:]), errForged},
		{"signature not base64", s, tampered(4, "!!"), errForged},
		{"unknown version", s, tampered(0, "v2"), errForged},
		{"truncated", s, strings.Join(parts[:4], "."), errForged},
		{"empty", s, "", errForged},
		{"token removed from the configuration", newSessions(noViewer, time.Hour, clock), value, errForged},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.s.verify(tc.value)
			if !errors.Is(err, tc.want) {
				t.Errorf("verify = %v, want %v", err, tc.want)
			}
		})
	}

	if !issued.checkCSRF(issued.csrf()) || issued.checkCSRF("") || issued.checkCSRF(issued.csrf()+"x") {
		t.Error("checkCSRF accepts the wrong token or refuses the right one")
	}
	_, second := s.issue(viewer)
	if second.checkCSRF(issued.csrf()) {
		t.Error("one session's CSRF token passes for another session")
	}
}
