package slackbot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

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

// replayWindow is how long a request's identity is remembered: Slack's
// signatures are fresh for five minutes either side of the clock.
const replayWindow = 10 * time.Minute

// firstRequest reports whether a verified request is seen for the first
// time, by its identity (Slack's trigger_id, unique per invocation; the
// signature when there is none), across every instance: a replay of a
// signed request within its five minutes must not act twice. When it
// cannot tell (the database is down) it answers 503; a replay is answered
// by replayed. Either way it returns false, and the handler stops.
func (a *App) firstRequest(w http.ResponseWriter, r *http.Request, team, trigger string, replayed func()) bool {
	id := "slack:" + team + ":" + trigger
	if trigger == "" {
		sum := sha256.Sum256([]byte(r.Header.Get("X-Slack-Signature")))
		id = "slack-sig:" + hex.EncodeToString(sum[:16])
	}
	first, err := a.Store.FirstRequest(r.Context(), id, a.Now(), replayWindow)
	if err != nil {
		a.Log.Error("slack: unable to record a request", "err", err)
		writeError(w, http.StatusServiceUnavailable, "unavailable", "unable to record the request; retry")
		return false
	}
	if !first {
		a.Log.Warn("slack: replayed request ignored", "id", id)
		replayed()
	}
	return first
}

// databaseDown reports whether the database fails a ping now: a failure
// while it is away is temporary (503), as in the rest of the API.
func (a *App) databaseDown() bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return a.Store.Ping(ctx) != nil
}
