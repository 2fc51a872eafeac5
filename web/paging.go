package web

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
)

// Every list endpoint pages the same way (docs/desk.md): ?limit= (1 to the
// endpoint's documented maximum) and ?cursor= (the next_cursor of the page
// before, opaque); the answer carries next_cursor while there is more, and
// total where counting is cheap.

// pageParams reads ?limit= and ?cursor=, decoding the cursor into after
// (left alone when there is none); it reports whether there was a cursor.
func pageParams(r *http.Request, def, max int, after any) (limit int, resumed bool, aerr *apiError) {
	limit, aerr = limitParam(r, def, max)
	if aerr != nil {
		return 0, false, aerr
	}
	c := r.URL.Query().Get("cursor")
	if c == "" {
		return limit, false, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || json.Unmarshal(raw, after) != nil {
		return 0, false, newError(http.StatusBadRequest, "invalid_parameter", "cursor is not one this API returned (pass next_cursor as it is)")
	}
	return limit, true, nil
}

// cursor encodes a page's last key as the next page's cursor.
func cursor(key any) string {
	raw, _ := json.Marshal(key)
	return base64.RawURLEncoding.EncodeToString(raw)
}

// offsetKey is the cursor of a list ranked in memory: the next position.
type offsetKey struct {
	Offset int `json:"o"`
}

// pageOf cuts one page out of a list held whole in memory (small lists,
// and the queue, which is ranked in memory): items from the cursor's
// offset on, and the next cursor while there is more.
func pageOf[T any](r *http.Request, list []T, def, max int) ([]T, string, *apiError) {
	var at offsetKey
	limit, _, aerr := pageParams(r, def, max, &at)
	if aerr != nil {
		return nil, "", aerr
	}
	if at.Offset < 0 || at.Offset > len(list) {
		return nil, "", newError(http.StatusBadRequest, "invalid_parameter", "cursor is past the end of the list")
	}
	end := min(len(list), at.Offset+limit)
	next := ""
	if end < len(list) {
		next = cursor(offsetKey{end})
	}
	return list[at.Offset:end], next, nil
}

// listBody is a page of a list: the items under name, next_cursor when
// there is more, and total when known (< 0: not counted).
func listBody(name string, items any, next string, total int64) map[string]any {
	body := map[string]any{name: items}
	if next != "" {
		body["next_cursor"] = next
	}
	if total >= 0 {
		body["total"] = total
	}
	return body
}
