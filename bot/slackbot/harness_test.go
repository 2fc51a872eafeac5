package slackbot

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/bot"
	"github.com/surgedesk/surgedesk/bot/slackbot/slackfake"
	"github.com/surgedesk/surgedesk/bus"
	"github.com/surgedesk/surgedesk/bus/bustest"
	"github.com/surgedesk/surgedesk/config"
	"github.com/surgedesk/surgedesk/desk"
	"github.com/surgedesk/surgedesk/kb"
	"github.com/surgedesk/surgedesk/storage"
	"github.com/surgedesk/surgedesk/storage/storagetest"
	"github.com/surgedesk/surgedesk/triage"
	"github.com/surgedesk/surgedesk/workers"
)

// Test Slack IDs.
const (
	testSecret        = "test-signing-secret-0123456789"
	testSupport       = "CSUPPORT"
	testAgents        = "CAGENTS"
	testManager       = "UMANAGER"
	testAgent         = "UAGENT"
	testCustomer      = "UCUSTOMER"
	testOtherCustomer = "UOTHER"
)

// harness is the whole pipeline around one App: embedded NATS, SQLite,
// the store worker (clustering, answers queued), the delivery worker with
// Slack as a channel, a fake Slack, and the App's HTTP handlers.
type harness struct {
	t         *testing.T
	ctx       context.Context
	cfg       config.Slack
	fake      *slackfake.Server
	db        *storage.Storage
	app       *App
	knowledge *kb.Live
	clusters  *triage.Clusterer
	deliver   *workers.Deliver
	http      *httptest.Server
	logs      *syncBuffer
}

// newHarness starts everything; edit, when not nil, adjusts the Slack
// configuration first.
func newHarness(t *testing.T, edit func(*config.Slack)) *harness {
	t.Helper()
	return startHarness(t, edit, false)
}

// newProblemHarness is newHarness with the triage engine grouping clusters
// into problems, as serve runs it: the board shows one card per problem.
func newProblemHarness(t *testing.T, edit func(*config.Slack)) *harness {
	t.Helper()
	return startHarness(t, edit, true)
}

func startHarness(t *testing.T, edit func(*config.Slack), problems bool) *harness {
	t.Helper()
	return startHarnessWith(t, edit, problems, nil)
}

// startHarnessWith is startHarness with drafter drafting the reply forms.
func startHarnessWith(t *testing.T, edit func(*config.Slack), problems bool, drafter Drafter) *harness {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	fake := slackfake.New(t)
	cfg := config.Default().Slack
	cfg.BotToken, cfg.SigningSecret, cfg.APIURL = "xoxb-test", testSecret, fake.URL()
	cfg.SupportChannels, cfg.AgentsChannel = []string{testSupport}, testAgents
	cfg.ManagerUsers, cfg.AgentUsers = []string{testManager}, []string{testAgent}
	cfg.BoardInterval, cfg.BoardMinInquiries = 200*time.Millisecond, 2
	cfg.RatePerChannel, cfg.BurstPerChannel = 50, 50 // the limiter has tests of its own
	if edit != nil {
		edit(&cfg)
	}

	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	b := bustest.Embedded(t)
	db := storagetest.Open(t, storagetest.SQLite(t))
	clusters := triage.NewClusterer(triage.DefaultOptions())
	sender := NewSender(cfg, nil, log, nil)
	deliver := workers.NewDeliver(db, workers.DeliverOptions{Owner: "test", MinBackoff: 50 * time.Millisecond,
		MaxBackoff: 200 * time.Millisecond, PollInterval: 50 * time.Millisecond,
		Channels: map[string]workers.Channel{bot.ChannelScheme: sender}}, log, nil)
	store := workers.NewIngest(b.JetStream, db, clusters, bus.NewDeadLetters(b.JetStream), workers.IngestOptions{
		BatchSize: 64, BatchLinger: time.Millisecond, MaxAttempts: 3, AckWait: 5 * time.Second,
		MaxBackoff: 100 * time.Millisecond, SurgePerMinute: 10, SurgeMinCustomers: 3, Kick: deliver.Kick}, log, nil)
	knowledge := kb.NewLive(db, log)
	wctx, stop := context.WithCancel(ctx)
	if err := knowledge.Follow(wctx, b.Conn); err != nil {
		t.Fatal(err)
	}
	if err := knowledge.Load(ctx); err != nil {
		t.Fatal(err)
	}
	dopts := desk.Options{Store: db, Clusters: clusters, Conn: b.Conn, Instance: "test", Kick: deliver.Kick, Log: log}
	if problems {
		grouper := triage.NewGrouper(triage.DefaultProblemOptions())
		store.GroupProblems(grouper)
		dopts.ProblemStore, dopts.Problems = db, grouper
	}
	dk := desk.New(dopts)
	app := New(Options{
		Config: cfg, Intake: bot.NewIntake(b, bot.Limits{MaxTextBytes: 8 << 10}, 2*time.Second).WithAnswers(knowledge),
		Store: db, Sender: sender, Owner: "test", Log: log, Kick: deliver.Kick,
		Desk: dk, Drafter: drafter,
	})
	var wg sync.WaitGroup
	wg.Go(func() { _ = store.Run(wctx) })
	wg.Go(func() { _ = deliver.Run(wctx) })
	wg.Go(func() { _ = app.Run(wctx) })
	t.Cleanup(func() { stop(); wg.Wait(); dk.Wait() })

	mux := http.NewServeMux()
	mux.HandleFunc("POST /slack/events", app.Events)
	mux.HandleFunc("POST /slack/interactivity", app.Interactivity)
	mux.HandleFunc("POST /slack/commands", app.Commands)
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	return &harness{t: t, ctx: ctx, cfg: cfg, fake: fake, db: db, app: app, knowledge: knowledge,
		clusters: clusters, deliver: deliver, http: hs, logs: logs}
}

// post sends body to path signed as Slack would at time at, with extra
// headers; it returns the status and body.
func (h *harness) post(path, contentType string, body []byte, at time.Time, extra http.Header) (int, string) {
	h.t.Helper()
	req, err := http.NewRequestWithContext(h.ctx, http.MethodPost, h.http.URL+path, bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if !at.IsZero() {
		for k, v := range slackfake.Sign(testSecret, at, body) {
			req.Header[k] = v
		}
	}
	for k, v := range extra {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out bytes.Buffer
	_, _ = out.ReadFrom(resp.Body)
	return resp.StatusCode, out.String()
}

// postForm sends form values signed, as Slack sends commands and
// interactions.
func (h *harness) postForm(path string, form url.Values, at time.Time) (int, string) {
	h.t.Helper()
	return h.post(path, "application/x-www-form-urlencoded", []byte(form.Encode()), at, nil)
}

// askAt makes customer write text in the support channel as message ts,
// as the events handler would (same key and thread).
func (h *harness) askAt(customer, text, ts string) bot.Receipt {
	h.t.Helper()
	r, err := h.app.Intake.AcceptFromChannel(h.ctx, bot.Submission{Source: Source, CustomerID: customer, Text: text,
		IdempotencyKey: messageKey(testSupport, ts), Locale: "ko", ReplyURL: ReplyURL(testSupport, ts)})
	if err != nil {
		h.t.Fatal(err)
	}
	return r
}

// importKB loads a knowledge-base document as a manager would.
func (h *harness) importKB(doc kb.Document) {
	h.t.Helper()
	if err := h.db.ImportKB(h.ctx, "test", doc); err != nil {
		h.t.Fatal(err)
	}
	if err := h.knowledge.Load(h.ctx); err != nil {
		h.t.Fatal(err)
	}
}

// waitFor polls cond until it holds or the test's deadline.
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	for !cond() {
		select {
		case <-h.ctx.Done():
			h.t.Fatalf("timed out waiting for %s\nlogs:\n%s", what, h.logs.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitTicks waits until each app's board (h.app's without apps) has
// finished n more ticks: a check that nothing more happened then gave the
// board n chances to do it, however slow the machine.
func (h *harness) waitTicks(n int64, apps ...*App) {
	h.t.Helper()
	if len(apps) == 0 {
		apps = []*App{h.app}
	}
	for _, a := range apps {
		target := a.ticks.Load() + n
		h.waitFor(fmt.Sprintf("%d board ticks", n), func() bool { return a.ticks.Load() >= target })
	}
}
