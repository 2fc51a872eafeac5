package web

import (
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// checkRequestStrings validates, once for every route, what a handler may
// pass on to storage from the request line: the decoded path (its ids)
// and every query key and value must be valid UTF-8 without NUL, which
// PostgreSQL cannot take (it would fail the query: a 500 and an ERROR log
// for what is the client's mistake).
func checkRequestStrings(r *http.Request) *apiError {
	if !cleanString(r.URL.Path) {
		return newError(http.StatusBadRequest, "invalid_path", "the path must be valid UTF-8 without NUL characters")
	}
	if r.URL.RawQuery == "" {
		return nil
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return newError(http.StatusBadRequest, "invalid_query", "the query string is malformed: "+err.Error())
	}
	for k, vs := range q {
		if !cleanString(k) {
			return newError(http.StatusBadRequest, "invalid_query", "query parameter names must be valid UTF-8 without NUL characters")
		}
		for _, v := range vs {
			if !cleanString(v) {
				return newError(http.StatusBadRequest, "invalid_query", "query parameter "+k+" must be valid UTF-8 without NUL characters")
			}
		}
	}
	return nil
}

func cleanString(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}
