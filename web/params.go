package web

import (
	"net/http"
	"net/url"
	"reflect"
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

// hasNUL reports whether any string in v (structs, slices, maps and
// pointers followed) holds a NUL character, which a JSON "\u0000" or a
// YAML "\0" decodes to and PostgreSQL cannot store. Decoding replaces
// invalid UTF-8 already, so NUL is the one thing left to refuse.
func hasNUL(v any) bool {
	return nulIn(reflect.ValueOf(v), 0)
}

func nulIn(v reflect.Value, depth int) bool {
	if depth > 64 {
		return false
	}
	switch v.Kind() {
	case reflect.String:
		return strings.IndexByte(v.String(), 0) >= 0
	case reflect.Pointer, reflect.Interface:
		return !v.IsNil() && nulIn(v.Elem(), depth+1)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() && nulIn(v.Field(i), depth+1) {
				return true
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if nulIn(v.Index(i), depth+1) {
				return true
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if nulIn(it.Key(), depth+1) || nulIn(it.Value(), depth+1) {
				return true
			}
		}
	}
	return false
}

// errNUL is the answer to a body holding a NUL character.
func errNUL() *apiError {
	return newError(http.StatusBadRequest, "invalid_field", "text fields must not contain NUL characters")
}
