package web

import (
	"encoding/json"
	"unicode/utf8"

	"github.com/surgedesk/surgedesk/bot"
)

// decodeFast decodes the common intake body without reflection: one JSON
// object of known keys, spelled exactly, whose values are plain strings
// (no escapes or control characters) and, for metadata, any valid JSON
// value. It reports false for anything else, and decodeSubmission then
// decodes with encoding/json, which also words every error: the fast path
// only ever accepts what encoding/json would accept, with the same result.
// The body must be valid UTF-8 (checked before).
func decodeFast(body []byte) (bot.Submission, bool) {
	var sub bot.Submission
	var seen [7]bool
	i := skipSpace(body, 0)
	if i >= len(body) || body[i] != '{' {
		return sub, false
	}
	i = skipSpace(body, i+1)
	if i < len(body) && body[i] == '}' {
		return sub, skipSpace(body, i+1) == len(body)
	}
	for {
		key, next, ok := plainString(body, i)
		if !ok {
			return sub, false
		}
		i = skipSpace(body, next)
		if i >= len(body) || body[i] != ':' {
			return sub, false
		}
		i = skipSpace(body, i+1)
		field := fieldIndex(key)
		if field < 0 || seen[field] {
			return sub, false // unknown (or differently spelled) or repeated key
		}
		seen[field] = true
		if field == 6 { // metadata: any JSON value, kept raw
			end, ok := skipValue(body, i)
			if !ok || !json.Valid(body[i:end]) {
				return sub, false
			}
			sub.Metadata = json.RawMessage(body[i:end])
			i = end
		} else {
			v, next, ok := plainString(body, i)
			if !ok {
				return sub, false
			}
			*stringField(&sub, field) = string(v)
			i = next
		}
		i = skipSpace(body, i)
		if i >= len(body) {
			return sub, false
		}
		switch body[i] {
		case ',':
			i = skipSpace(body, i+1)
		case '}':
			return sub, skipSpace(body, i+1) == len(body)
		default:
			return sub, false
		}
	}
}

func fieldIndex(key []byte) int {
	switch string(key) {
	case "source":
		return 0
	case "customer_id":
		return 1
	case "text":
		return 2
	case "idempotency_key":
		return 3
	case "locale":
		return 4
	case "reply_url":
		return 5
	case "metadata":
		return 6
	}
	return -1
}

func stringField(s *bot.Submission, i int) *string {
	switch i {
	case 0:
		return &s.Source
	case 1:
		return &s.CustomerID
	case 2:
		return &s.Text
	case 3:
		return &s.IdempotencyKey
	case 4:
		return &s.Locale
	}
	return &s.ReplyURL
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// plainString reads a JSON string at b[i] with no escape and no control
// character, returning its contents and the index after it.
func plainString(b []byte, i int) ([]byte, int, bool) {
	if i >= len(b) || b[i] != '"' {
		return nil, i, false
	}
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return b[i+1 : j], j + 1, true
		case c == '\\' || c < 0x20:
			return nil, i, false
		case c >= utf8.RuneSelf:
			// U+2028 and U+2029 are fine in JSON; any valid UTF-8 is.
		}
	}
	return nil, i, false
}

// skipValue finds the end of the JSON value at b[i] by its brackets and
// strings only; json.Valid then checks it properly.
func skipValue(b []byte, i int) (int, bool) {
	depth := 0
	for j := i; j < len(b); j++ {
		switch b[j] {
		case '"':
			j++
			for j < len(b) && b[j] != '"' {
				if b[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(b) {
				return i, false
			}
			if depth == 0 {
				return j + 1, true
			}
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth < 0 {
				return j, j > i // the end of the enclosing object
			}
			if depth == 0 {
				return j + 1, true
			}
		case ',':
			if depth == 0 {
				return j, j > i
			}
		case ' ', '\t', '\n', '\r':
			if depth == 0 && j > i {
				return j, true
			}
		}
	}
	return len(b), depth == 0 && len(b) > i
}
