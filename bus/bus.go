// Package bus connects surgedesk to NATS JetStream: an in-process server
// with file storage under the data dir by default, or an external cluster
// chosen by configuration alone. It owns what every instance shares on
// NATS: the inquiry stream (InquirySubject, consumed durably by
// InquiryConsumer), the dead-letter stream, and the core-NATS subjects on
// which instances tell each other about clusters and knowledge-base
// changes.
//
//	b, err := bus.Open(ctx, cfg.NATS, cfg.DataDir, log) // streams created or updated
//	defer b.Close()
//
// Pending says how many accepted inquiries are not stored yet; DeadLetters
// holds, lists and replays the ones that could not be.
package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/surgedesk/surgedesk/config"
)

// Streams and subjects shared by every instance.
const (
	InquiryStream     = "INQUIRIES"
	InquirySubject    = "surgedesk.inquiries.new"
	DeadLetterStream  = "DEAD_LETTERS"
	DeadLetterSubject = "surgedesk.deadletters.inquiries"
	// AssignedSubject (core NATS) tells every instance which cluster each
	// stored inquiry joined, so their in-memory indexes keep step.
	AssignedSubject = "surgedesk.clusters.assigned"
	// KBChangedSubject (core NATS) tells every instance to reload its copy
	// of the knowledge base.
	KBChangedSubject = "surgedesk.kb.changed"
)

// Bus is a JetStream connection, plus the embedded server when there is one.
type Bus struct {
	Conn      *nats.Conn
	JetStream jetstream.JetStream
	// Intake publishes on a connection of its own, so that its acks do not
	// queue behind the deliveries and acks of the consumers on Conn.
	pubConn *nats.Conn
	pubJS   jetstream.JetStream
	server  *server.Server
	log     *slog.Logger
	url     string
	opts    []nats.Option
}

// Open starts the embedded server (cfg.URL empty) or connects to cfg.URL,
// and creates or updates the streams.
func Open(ctx context.Context, cfg config.NATS, dataDir string, log *slog.Logger) (*Bus, error) {
	b := &Bus{log: log}
	opts := []nats.Option{
		nats.Name("surgedesk"),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("nats disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(c *nats.Conn) { log.Info("nats reconnected", "url", c.ConnectedUrlRedacted()) }),
	}
	url := cfg.URL
	if url == "" {
		srv, err := startEmbedded(cfg.Embedded, filepath.Join(dataDir, "jetstream"))
		if err != nil {
			return nil, err
		}
		b.server = srv
		opts = append(opts, nats.InProcessServer(srv))
		log.Info("embedded nats started", "store", filepath.Join(dataDir, "jetstream"), "listen", cfg.Embedded.Listen)
	} else {
		auth, err := authOptions(cfg)
		if err != nil {
			return nil, err
		}
		opts = append(opts, auth...)
	}
	b.url, b.opts = url, opts
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		b.shutdownServer()
		return nil, fmt.Errorf("bus: unable to connect to nats: %w", err)
	}
	b.Conn = nc
	if b.pubConn, err = nats.Connect(url, intakeOptions(opts)...); err != nil {
		b.Close()
		return nil, fmt.Errorf("bus: unable to connect to nats: %w", err)
	}
	if b.JetStream, err = jetstream.New(nc); err == nil {
		b.pubJS, err = jetstream.New(b.pubConn,
			jetstream.WithPublishAsyncMaxPending(MaxPublishPending),
			// An ack that never comes frees its slot and fails its future,
			// so the bound cannot fill up with lost publishes.
			jetstream.WithPublishAsyncTimeout(cfg.PublishTimeout))
	}
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("bus: unable to open jetstream: %w", err)
	}
	if err := b.ensureStreams(ctx, cfg); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

// intakeOptions are the intake connection's: no reconnect buffer, so that
// a publish made while NATS is away fails at once rather than waiting in
// the client to be sent on reconnect, after its 503 told the sender it
// was not accepted (and a retry without a key would then be stored twice).
func intakeOptions(opts []nats.Option) []nats.Option {
	return append(slices.Clip(opts), nats.Name("surgedesk-intake"), nats.ReconnectBufSize(-1))
}

func startEmbedded(cfg config.Embedded, storeDir string) (*server.Server, error) {
	o := &server.Options{
		ServerName: "surgedesk-embedded",
		JetStream:  true,
		StoreDir:   storeDir,
		SyncAlways: cfg.SyncAlways,
		NoSigs:     true,
		NoLog:      true,
		DontListen: cfg.Listen == "",
	}
	if cfg.Listen != "" {
		host, port, err := net.SplitHostPort(cfg.Listen)
		if err != nil {
			return nil, fmt.Errorf("bus: nats.embedded.listen: %w", err)
		}
		o.Host = host
		if o.Port, err = strconv.Atoi(port); err != nil {
			return nil, fmt.Errorf("bus: nats.embedded.listen: %w", err)
		}
	}
	srv, err := server.NewServer(o)
	if err != nil {
		return nil, fmt.Errorf("bus: unable to create embedded nats: %w", err)
	}
	srv.Start()
	if !srv.ReadyForConnections(30 * time.Second) {
		srv.Shutdown()
		return nil, errors.New("bus: embedded nats did not become ready")
	}
	return srv, nil
}

func authOptions(cfg config.NATS) ([]nats.Option, error) {
	var opts []nats.Option
	if cfg.CredsFile != "" {
		opts = append(opts, nats.UserCredentials(cfg.CredsFile))
	}
	if cfg.NKeyFile != "" {
		o, err := nats.NkeyOptionFromSeed(cfg.NKeyFile)
		if err != nil {
			return nil, fmt.Errorf("bus: nats.nkey_file: %w", err)
		}
		opts = append(opts, o)
	}
	if cfg.User != "" {
		opts = append(opts, nats.UserInfo(cfg.User, cfg.Password))
	}
	if cfg.Token != "" {
		opts = append(opts, nats.Token(cfg.Token))
	}
	if cfg.TLS.CAFile != "" {
		opts = append(opts, nats.RootCAs(cfg.TLS.CAFile))
	}
	if cfg.TLS.CertFile != "" {
		opts = append(opts, nats.ClientCert(cfg.TLS.CertFile, cfg.TLS.KeyFile))
	}
	return opts, nil
}

func (b *Bus) ensureStreams(ctx context.Context, cfg config.NATS) error {
	streams := []jetstream.StreamConfig{{
		Name:        InquiryStream,
		Description: "accepted, redacted inquiries; durable before the 202",
		Subjects:    []string{InquirySubject},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Replicas:    cfg.Replicas,
		Duplicates:  cfg.DuplicateWindow,
		MaxAge:      cfg.MaxAge,
		Discard:     jetstream.DiscardOld,
	}, {
		Name:        DeadLetterStream,
		Description: "inquiries that could not be stored after every attempt",
		Subjects:    []string{DeadLetterSubject},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Replicas:    cfg.Replicas,
		Duplicates:  cfg.DuplicateWindow,
	}}
	for _, sc := range streams {
		if err := b.ensureStream(ctx, sc); err != nil {
			return err
		}
	}
	return nil
}

// streamSetupTimeout bounds the retries of creating or updating a stream.
const streamSetupTimeout = time.Minute

// ensureStream creates or updates one stream, retrying for a while: in a
// cluster a node that restarts, or the loss of a stream's leader, leaves
// JetStream without an answer for the seconds an election takes, and an
// instance starting then should wait it out rather than exit.
func (b *Bus) ensureStream(ctx context.Context, sc jetstream.StreamConfig) error {
	deadline := time.Now().Add(streamSetupTimeout)
	wait := 250 * time.Millisecond
	for {
		_, err := b.JetStream.CreateOrUpdateStream(ctx, sc)
		if err == nil {
			return nil
		}
		var apiErr *jetstream.APIError
		final := errors.As(err, &apiErr) && apiErr.Code >= 400 && apiErr.Code < 500 && apiErr.Code != 408
		if final || ctx.Err() != nil || time.Now().After(deadline) {
			return fmt.Errorf("bus: unable to create stream %s: %w", sc.Name, err)
		}
		b.log.Warn("stream not ready; retrying", "stream", sc.Name, "err", err, "in", wait)
		select {
		case <-ctx.Done():
			return fmt.Errorf("bus: unable to create stream %s: %w", sc.Name, ctx.Err())
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// PublishMsg publishes on the intake connection and waits for
// JetStream's acknowledgement.
func (b *Bus) PublishMsg(ctx context.Context, msg *nats.Msg, opts ...jetstream.PublishOpt) (*jetstream.PubAck, error) {
	return b.pubJS.PublishMsg(ctx, msg, opts...)
}

// MaxPublishPending bounds the intake publishes awaiting JetStream's ack
// per instance; a publish beyond it waits for a slot. Enough for the
// largest batches from many senders at once, small enough that a stalled
// stream pushes back on intake instead of piling up memory.
const MaxPublishPending = 16384

// PublishMsgAsync publishes on the intake connection without waiting: the
// ack (or the error, at the latest after nats.publish_timeout) arrives on
// the future.
func (b *Bus) PublishMsgAsync(msg *nats.Msg, opts ...jetstream.PublishOpt) (jetstream.PubAckFuture, error) {
	return b.pubJS.PublishMsgAsync(msg, opts...)
}

// Connect opens another connection to the same server; the caller closes it.
func (b *Bus) Connect(name string) (*nats.Conn, error) {
	nc, err := nats.Connect(b.url, append(b.opts, nats.Name(name))...)
	if err != nil {
		return nil, fmt.Errorf("bus: unable to connect to nats: %w", err)
	}
	return nc, nil
}

// Ping checks that JetStream answers on the consumers' connection.
func (b *Bus) Ping(ctx context.Context) error {
	if !b.Conn.IsConnected() {
		return errors.New("bus: not connected to nats")
	}
	if _, err := b.JetStream.AccountInfo(ctx); err != nil {
		return fmt.Errorf("bus: jetstream not available: %w", err)
	}
	return nil
}

// PingIntake checks what intake needs: its own connection is up and the
// inquiry stream answers on it (in a cluster, through the stream's leader).
func (b *Bus) PingIntake(ctx context.Context) error {
	if !b.pubConn.IsConnected() {
		return errors.New("bus: the intake connection is not connected to nats")
	}
	if _, err := b.pubJS.Stream(ctx, InquiryStream); err != nil {
		return fmt.Errorf("bus: inquiry stream not available: %w", err)
	}
	return nil
}

// Embedded reports whether this bus runs its own server.
func (b *Bus) Embedded() bool { return b.server != nil }

// Close drains the connection (pending publishes and acks are flushed) and
// shuts the embedded server down.
func (b *Bus) Close() {
	for _, c := range []*nats.Conn{b.pubConn, b.Conn} {
		drain(c)
	}
	b.shutdownServer()
}

func drain(c *nats.Conn) {
	if c == nil {
		return
	}
	// Draining a connection that is down would only wait out the timeout.
	if c.IsConnected() {
		done := make(chan struct{})
		c.SetClosedHandler(func(*nats.Conn) { close(done) })
		if err := c.Drain(); err == nil {
			select {
			case <-done:
			case <-time.After(10 * time.Second):
			}
		}
	}
	c.Close()
}

func (b *Bus) shutdownServer() {
	if b.server != nil {
		b.server.Shutdown()
		b.server.WaitForShutdown()
	}
}
