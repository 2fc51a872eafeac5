package web

import (
	"bytes"
	"encoding/json"
	"net/url"
)

// publicURL is a URL as the API may show it: without user info, query or
// fragment, which may carry the receiver's credentials or tokens.
func publicURL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
	return u.String()
}

// publicInquiryJSON rewrites the reply_url of an inquiry as JSON (a dead
// letter's body) with publicURL; anything else is returned as it is.
func publicInquiryJSON(data []byte) []byte {
	if !bytes.Contains(data, []byte(`"reply_url"`)) {
		return data
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(data, &m) != nil {
		return data
	}
	var raw string
	if json.Unmarshal(m["reply_url"], &raw) != nil {
		return data
	}
	m["reply_url"], _ = json.Marshal(publicURL(raw))
	out, err := json.Marshal(m)
	if err != nil {
		return data
	}
	return out
}
