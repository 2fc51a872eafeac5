// Package pages holds what surgedesk's two web pages share: the reader's
// language (Korean or English, from ?lang= or Accept-Language), bodies
// served from memory with validators (ETag, Last-Modified) and
// Cache-Control, the base stylesheet, and errors in the API's shape.
// The pages themselves are pages/dashboard (managers, signed in) and
// pages/status (customers, public).
package pages

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Locales the pages are written in; the first is the default.
var Locales = []string{"ko", "en"}

// Locale is the reader's language: ?lang= when it names one of Locales,
// else the first of Locales in Accept-Language by preference, else Korean.
// explicit reports whether ?lang= chose it (the response then does not
// vary with Accept-Language).
func Locale(r *http.Request) (locale string, explicit bool) {
	if l := r.URL.Query().Get("lang"); slices.Contains(Locales, l) {
		return l, true
	}
	return FromAcceptLanguage(r.Header.Get("Accept-Language")), false
}

// FromAcceptLanguage picks "ko" or "en" from an Accept-Language header:
// the supported language with the highest q, the earlier on a tie;
// Korean when neither is named.
func FromAcceptLanguage(header string) string {
	best, bestQ := Locales[0], -1.0
	for _, part := range strings.Split(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		base, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		if slices.Contains(Locales, base) && q > bestQ && q > 0 {
			best, bestQ = base, q
		}
	}
	return best
}

// Messages are a page's strings by key, in each locale.
type Messages map[string][2]string // key → {ko, en}

// In returns a lookup for locale; an unknown key is shown as itself, so a
// missing string is visible rather than blank.
func (m Messages) In(locale string) func(key string) string {
	i := 0
	if locale == "en" {
		i = 1
	}
	return func(key string) string {
		if s, ok := m[key]; ok {
			return s[i]
		}
		return key
	}
}

// BaseCSS is the stylesheet both pages inline: readable type, contrast of
// at least 4.5:1 for text, visible focus, and a layout that works from a
// phone's width up.
//
//go:embed base.css
var BaseCSS string

// Body is a response prepared in memory: served as is, with validators a
// CDN or browser can revalidate against, and a 304 when they match.
type Body struct {
	ContentType  string
	Data         []byte
	ETag         string // strong, quoted; from the content, so every instance agrees
	LastModified time.Time
	CacheControl string
	Language     string // Content-Language, when the body is in one
}

// NewBody prepares data for serving; its ETag is a digest of the content
// and the type.
func NewBody(contentType string, data []byte, lastModified time.Time, cacheControl string) Body {
	h := sha256.New()
	h.Write([]byte(contentType))
	h.Write([]byte{0})
	h.Write(data)
	return Body{ContentType: contentType, Data: data, ETag: `"` + hex.EncodeToString(h.Sum(nil)[:12]) + `"`,
		LastModified: lastModified.UTC().Truncate(time.Second), CacheControl: cacheControl}
}

// Serve writes b, or 304 Not Modified when the request's If-None-Match
// (or, without one, If-Modified-Since) says the client has it. HEAD gets
// the headers only.
func (b Body) Serve(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", b.ContentType)
	h.Set("ETag", b.ETag)
	if !b.LastModified.IsZero() {
		h.Set("Last-Modified", b.LastModified.Format(http.TimeFormat))
	}
	if b.CacheControl != "" {
		h.Set("Cache-Control", b.CacheControl)
	}
	if b.Language != "" {
		h.Set("Content-Language", b.Language)
	}
	h.Set("X-Content-Type-Options", "nosniff")
	if b.notModified(r) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(b.Data)))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(b.Data)
}

func (b Body) notModified(r *http.Request) bool {
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		for _, tag := range strings.Split(inm, ",") {
			tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
			if tag == "*" || tag == b.ETag {
				return true
			}
		}
		return false
	}
	if ims := r.Header.Get("If-Modified-Since"); ims != "" && !b.LastModified.IsZero() {
		t, err := http.ParseTime(ims)
		return err == nil && !b.LastModified.After(t)
	}
	return false
}

// Error writes {"error": {"code", "message"}}, as the API does.
func Error(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]map[string]string{"error": {"code": code, "message": message}})
}
