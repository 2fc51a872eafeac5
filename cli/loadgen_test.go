package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

func TestLoadgenFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		wantErr string // "" means a usage error already printed by the FlagSet
	}{
		{"count zero", []string{"--count", "0"}, "positive count or a positive duration"},
		{"count and duration", []string{"--count", "10", "--duration", "1s"}, "either a count or a duration"},
		{"negative duration", []string{"--duration", "-1s"}, "duration must be positive"},
		{"negative rate", []string{"--rate", "-5"}, "rate must be"},
		{"zero concurrency", []string{"--concurrency", "0"}, "concurrency must be at least 1"},
		{"dup share above one", []string{"--dup-share", "1.5"}, "dup share"},
		{"url without scheme", []string{"--url", "localhost:8080"}, "bad url"},
		{"url with bad scheme", []string{"--url", "ftp://127.0.0.1"}, "scheme must be http or https"},
		{"missing data file", []string{"--data", "/nonexistent/surge.tsv"}, "unable to read data"},
		{"empty token", []string{"--token", ""}, "token is empty"},
		{"unknown flag", []string{"--turbo"}, ""},
		{"not a number", []string{"--rate", "fast"}, ""},
		{"stray argument", []string{"extra"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append([]string{"--token", "t", "--quiet"}, tt.args...)
			err := runLoadgen(context.Background(), args, &stdout, &stderr)
			if tt.wantErr == "" {
				if !errors.Is(err, errUsage) || stderr.Len() == 0 {
					t.Fatalf("err = %v, stderr %q; want a usage error explained on stderr", err, stderr.String())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
			}
			if stdout.Len() != 0 {
				t.Errorf("a rejected run printed a report:\n%s", stdout.String())
			}
		})
	}
}

// fakeIntake stores every new key at once, answers repeats with the same id
// and can be told to lose inquiries so the stored check fails.
type fakeIntake struct {
	mu       sync.Mutex
	ids      map[string]string
	requests int
	lose     bool
}

func (f *fakeIntake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer t" {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	stored := int64(len(f.ids))
	if f.lose {
		stored = 0
	}
	if r.URL.Path == "/v1/stats" {
		fmt.Fprintf(w, `{"accepted":%d,"stored":%d,"dead_lettered":0,"pending":0}`, len(f.ids), stored)
		return
	}
	f.requests++
	body, _ := io.ReadAll(r.Body)
	_, rest, _ := strings.Cut(string(body), `"idempotency_key":"`)
	key, _, _ := strings.Cut(rest, `"`)
	id, ok := f.ids[key]
	if !ok {
		id = fmt.Sprintf("inq-%d", len(f.ids))
		f.ids[key] = id
	}
	w.WriteHeader(http.StatusAccepted)
	fmt.Fprintf(w, `{"id":%q,"status":"accepted"}`, id)
}

func TestLoadgenRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		lose     bool
		extra    []string
		wantErr  bool
		wantOut  []string
		wantSent int
	}{
		{"verified run passes", false, nil, false, []string{"requests sent", "PASS every 202 was stored"}, 400},
		{"lost inquiries fail", true, []string{"--verify-timeout", "300ms"}, true, []string{"FAIL not every 202 was stored"}, 400},
		{"no verify skips the check", true, []string{"--no-verify"}, false, []string{"unique accepted"}, 400},
		{"baseline prints both", false, []string{"--no-verify", "--baseline"}, false, []string{"baseline", "server/baseline"}, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeIntake{ids: map[string]string{}, lose: tt.lose}
			srv := httptest.NewServer(fake)
			defer srv.Close()
			var stdout, stderr bytes.Buffer
			args := append([]string{"--url", srv.URL, "--token", "t", "--count", "400", "--concurrency", "8"}, tt.extra...)
			err := runLoadgen(context.Background(), args, &stdout, &stderr)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v\n%s", err, tt.wantErr, stdout.String())
			}
			for _, want := range tt.wantOut {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("output lacks %q:\n%s", want, stdout.String())
				}
			}
			if fake.requests != tt.wantSent {
				t.Errorf("server saw %d requests, want %d", fake.requests, tt.wantSent)
			}
			if stderr.Len() != 0 {
				t.Errorf("stderr is not a terminal, so no progress bar: %q", stderr.String())
			}
		})
	}
}
