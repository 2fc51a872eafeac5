package bot

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/surgedesk/surgedesk/triage"
)

// defaultIdentifierKey keys identifier hashes when intake.identifier_key
// is not set. It is public, so such hashes only pseudonymise: a phone
// number's hash can be found by trying every number. Set the key.
const defaultIdentifierKey = "surgedesk identifier key v1"

// identifierPrefix marks a hashed identifier; it is never a phone number
// or an e-mail address itself, so hashing is idempotent.
const identifierPrefix = "h:"

// WithIdentifierKey keys the hashes of identifiers (customer_id,
// idempotency_key) that are personal data; every instance must use the
// same key, or the same customer and key hash differently.
func (in *Intake) WithIdentifierKey(key string) *Intake {
	in.identifierKey = []byte(key)
	return in
}

// protectIdentifiers replaces a customer_id or idempotency_key that holds
// personal data (a phone number, an e-mail address or any other secret
// Redact finds) with a keyed hash of it. The hash is deterministic, so the
// same customer stays one customer and a retry with the same key still
// gets the same inquiry id; phone numbers and e-mail addresses are
// normalised first ("010-1234-5678" and "01012345678" are one customer).
func (in *Intake) protectIdentifiers(s *Submission) {
	key := in.identifierKey
	if len(key) == 0 {
		key = []byte(defaultIdentifierKey)
	}
	s.CustomerID = protectIdentifier(key, s.CustomerID)
	s.IdempotencyKey = protectIdentifier(key, s.IdempotencyKey)
}

func protectIdentifier(key []byte, v string) string {
	if v == "" || strings.HasPrefix(v, identifierPrefix) {
		return v
	}
	_, kinds := triage.Redact(v)
	if kinds == nil {
		return v
	}
	norm := v
	switch {
	case len(kinds) == 1 && kinds[0] == triage.KindPhone:
		norm = strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			if r >= '０' && r <= '９' {
				return r - '０' + '0'
			}
			return -1
		}, v)
		if rest, ok := strings.CutPrefix(norm, "82"); ok && strings.HasPrefix(v, "+") {
			norm = "0" + strings.TrimPrefix(rest, "0")
		}
	case len(kinds) == 1 && kinds[0] == triage.KindEmail:
		norm = strings.ToLower(strings.TrimSpace(v))
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(norm))
	return identifierPrefix + hex.EncodeToString(m.Sum(nil)[:16])
}
