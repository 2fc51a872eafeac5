package slackbot

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/slack-go/slack"
)

// maxBody bounds what Slack may POST to us; its payloads are a few KB.
const maxBody = 1 << 20

// errUnverified is a request that does not carry a valid, fresh signature.
var errUnverified = errors.New("slackbot: request signature missing, forged or stale")

// verify reads r's body and checks Slack's signature over it with the
// signing secret, and that its timestamp is within five minutes (against
// replays). The body is returned only when both hold.
func (a *App) verify(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("slackbot: unable to read request: %w", err)
	}
	if a.Config.SigningSecret == "" {
		return nil, errUnverified
	}
	sv, err := slack.NewSecretsVerifier(r.Header, a.Config.SigningSecret)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errUnverified, err)
	}
	if _, err := sv.Write(body); err != nil {
		return nil, fmt.Errorf("%w: %v", errUnverified, err)
	}
	if err := sv.Ensure(); err != nil {
		return nil, fmt.Errorf("%w: %v", errUnverified, err)
	}
	return body, nil
}

// verified is verify for a handler: it answers a request that fails it
// (401 unverified; 400 invalid_payload for an unreadable body) and reports
// whether the handler goes on with the body. what names the request in the
// log.
func (a *App) verified(w http.ResponseWriter, r *http.Request, what string) ([]byte, bool) {
	body, err := a.verify(r)
	switch {
	case errors.Is(err, errUnverified):
		a.Log.Warn("slack: refused an unverified "+what, "err", err)
		writeError(w, http.StatusUnauthorized, "unverified", "the request's Slack signature is missing, forged or stale")
		return nil, false
	case err != nil:
		writeError(w, http.StatusBadRequest, "invalid_payload", err.Error())
		return nil, false
	}
	return body, true
}

// writeError answers in surgedesk's error shape, which Slack ignores but
// people debugging a misconfigured app read.
func writeError(w http.ResponseWriter, status int, code, message string) {
	type body struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]body{"error": {code, message}})
}
