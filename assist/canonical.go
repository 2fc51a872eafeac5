package assist

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/surgedesk/surgedesk/triage"
)

// maxRunes bounds a text sent out: inquiries are short, and a pasted log
// would only cost tokens.
const maxRunes = 1000

// Clean is text as it may leave the process: redacted (again: intake
// already did, and Redact is idempotent, so a caller's slip cannot leak a
// secret), NFKC-normalised, whitespace folded, cut to maxRunes.
func Clean(text string) string {
	text, _ = triage.Redact(text)
	text = strings.Join(strings.Fields(norm.NFKC.String(text)), " ")
	if utf8.RuneCountInString(text) > maxRunes {
		text = string([]rune(text)[:maxRunes])
	}
	return text
}

// Canonical is Clean in lower case: what is embedded and hashed, so two
// wordings that differ only in case or spacing share one embedding.
func Canonical(text string) string { return strings.ToLower(Clean(text)) }

// Key is the cache key of text's embedding under model: the SHA-256 of the
// model and the canonical text.
func Key(model, text string) string {
	sum := sha256.Sum256([]byte(model + "\x00" + Canonical(text)))
	return hex.EncodeToString(sum[:16])
}
