// Package bot is the intake: the one path every channel (the HTTP webhook,
// Slack in bot/slackbot) takes inquiries in by. Intake validates a
// Submission, redacts it (triage.Redact), gives the instant answer when the
// knowledge base has one (WithAnswers, usually a *kb.Live), publishes it to
// JetStream and returns a Receipt only once JetStream has acknowledged it,
// so an accepted inquiry is durable:
//
//	in := bot.NewIntake(b.JetStream, bot.Limits{MaxTextBytes: 8 << 10}, 5*time.Second).WithAnswers(live)
//	receipt, err := in.Accept(ctx, bot.Submission{Source: "web", CustomerID: "c-1", Text: "로그인이 안 돼요"})
//
// An *InputError is the submitter's fault and changes nothing;
// ErrUnavailable means JetStream did not acknowledge in time, and the
// submitter may retry with the same idempotency key. Storing, replies and
// follow-ups happen later, in package workers.
package bot

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/surgedesk/surgedesk/bus"
	"github.com/surgedesk/surgedesk/kb"
	"github.com/surgedesk/surgedesk/triage"
)

// ErrUnavailable means JetStream did not acknowledge the inquiry in time:
// nothing was accepted and the caller should retry later.
var ErrUnavailable = errors.New("bot: inquiry stream unavailable")

// InputError is a problem with a submission that the sender must fix.
type InputError struct {
	Code    string
	Message string
}

func (e *InputError) Error() string { return "bot: " + e.Message }

func inputError(code, format string, a ...any) *InputError {
	return &InputError{Code: code, Message: fmt.Sprintf(format, a...)}
}

// Submission is one inquiry as a channel received it.
type Submission struct {
	Source         string          `json:"source"`
	CustomerID     string          `json:"customer_id"`
	Text           string          `json:"text"`
	IdempotencyKey string          `json:"idempotency_key"`
	Locale         string          `json:"locale"`
	ReplyURL       string          `json:"reply_url"`
	Metadata       json.RawMessage `json:"metadata"`
}

// Receipt is what the sender gets back once JetStream holds the inquiry.
type Receipt struct {
	ID        string
	Duplicate bool              // the idempotency key was seen before; nothing new stored
	Answer    *kb.InstantAnswer // the instant answer, when the knowledge base has one
}

// answerer gives instant answers; *kb.Live is one.
type answerer interface {
	Answer(text, locale string) (kb.InstantAnswer, bool)
}

// publisher is the part of JetStream that Intake needs.
type publisher interface {
	PublishMsg(ctx context.Context, msg *nats.Msg, opts ...jetstream.PublishOpt) (*jetstream.PubAck, error)
}

// Limits bound what Intake accepts.
type Limits struct {
	MaxTextBytes int
}

// Intake validates, redacts and publishes submissions.
type Intake struct {
	js      publisher
	limits  Limits
	timeout time.Duration
	now     func() time.Time
	answers answerer // nil: no instant answers
	// identifierKey keys the hashes of personal identifiers (identifier.go).
	identifierKey []byte
}

// WithAnswers makes Intake answer from the knowledge base in the request.
func (in *Intake) WithAnswers(a answerer) *Intake {
	in.answers = a
	return in
}

// NewIntake returns an Intake that waits at most publishTimeout for
// JetStream's acknowledgement.
func NewIntake(js publisher, limits Limits, publishTimeout time.Duration) *Intake {
	return &Intake{js: js, limits: limits, timeout: publishTimeout, now: time.Now}
}

// SlackSource is the source of inquiries from Slack. Only the Slack app
// may use it: a webhook posing as Slack could otherwise take a Slack
// message's identity (its key) or a Slack customer's follow-ups.
const SlackSource = "slack"

// ChannelScheme is the reply_url scheme of a channel surgedesk runs itself:
// "slack:<channel>/<thread ts>" posts in a Slack message's thread.
const ChannelScheme = "slack"

// Accept returns only once JetStream has durably stored the redacted
// inquiry, or with an *InputError (nothing published) or ErrUnavailable.
// The reply_url must be http or https: a webhook sender must not be able to
// make surgedesk post into a Slack channel of its choosing.
func (in *Intake) Accept(ctx context.Context, s Submission) (Receipt, error) {
	return in.accept(ctx, s, false)
}

// AcceptFromChannel is Accept for a channel surgedesk runs itself (Slack),
// whose reply_url may also be a ChannelScheme address.
func (in *Intake) AcceptFromChannel(ctx context.Context, s Submission) (Receipt, error) {
	return in.accept(ctx, s, true)
}

func (in *Intake) accept(ctx context.Context, s Submission, channel bool) (Receipt, error) {
	if err := in.validate(&s, channel); err != nil {
		return Receipt{}, err
	}
	in.protectIdentifiers(&s)
	msg, id, answer, err := in.message(s)
	if err != nil {
		return Receipt{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, in.timeout)
	defer cancel()
	ack, err := in.start(ctx, msg, id).wait(ctx)
	if err != nil {
		return Receipt{}, err
	}
	return Receipt{ID: id, Duplicate: ack.Duplicate, Answer: answer}, nil
}

func (in *Intake) validate(s *Submission, channel bool) error {
	s.Source = strings.TrimSpace(s.Source)
	s.CustomerID = strings.TrimSpace(s.CustomerID)
	s.Locale = strings.TrimSpace(s.Locale)
	s.ReplyURL = strings.TrimSpace(s.ReplyURL)
	var missing []string
	if s.Source == "" {
		missing = append(missing, "source")
	}
	if s.CustomerID == "" {
		missing = append(missing, "customer_id")
	}
	if strings.TrimSpace(s.Text) == "" {
		missing = append(missing, "text")
	}
	if len(missing) > 0 {
		return inputError("missing_field", "required field(s) missing or empty: %s", strings.Join(missing, ", "))
	}
	for _, f := range [...]struct{ name, v string }{{"source", s.Source}, {"customer_id", s.CustomerID}, {"text", s.Text},
		{"idempotency_key", s.IdempotencyKey}, {"locale", s.Locale}, {"reply_url", s.ReplyURL}} {
		if !utf8.ValidString(f.v) {
			return inputError("invalid_utf8", "%s is not valid UTF-8", f.name)
		}
		// PostgreSQL cannot store NUL in text: refused here, not dead-lettered later.
		if strings.IndexByte(f.v, 0) >= 0 {
			return inputError("invalid_field", "%s contains a NUL character", f.name)
		}
	}
	if len(s.Text) > in.limits.MaxTextBytes {
		return inputError("text_too_long", "text is %d bytes; the limit is %d", len(s.Text), in.limits.MaxTextBytes)
	}
	if len(s.Source) > 64 || strings.IndexFunc(s.Source, notSourceRune) >= 0 {
		return inputError("invalid_field", "source must be 1-64 characters of letters, digits, '.', '_', ':' or '-'")
	}
	if !channel && strings.EqualFold(s.Source, SlackSource) {
		return inputError("invalid_field", "source %q is reserved for the Slack app", SlackSource)
	}
	if len(s.CustomerID) > 256 {
		return inputError("invalid_field", "customer_id is longer than 256 bytes")
	}
	if len(s.IdempotencyKey) > 256 {
		return inputError("invalid_field", "idempotency_key is longer than 256 bytes")
	}
	if s.Locale != "" && !SupportedLocale(s.Locale) {
		return inputError("invalid_field", "locale must be ko or en, or a regional form of them such as ko-KR or en-US (or left out: it is detected from the text)")
	}
	if s.ReplyURL != "" {
		u, err := url.Parse(s.ReplyURL)
		internal := channel && err == nil && u.Scheme == ChannelScheme && u.Opaque != ""
		if !internal && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(s.ReplyURL) > 2048) {
			return inputError("invalid_field", "reply_url must be an absolute http or https URL of at most 2048 bytes")
		}
	}
	if m := bytes.TrimSpace(s.Metadata); len(m) > 0 && !bytes.Equal(m, []byte("null")) {
		if m[0] != '{' || !json.Valid(m) {
			return inputError("invalid_field", "metadata must be a JSON object")
		}
		if bytes.Contains(m, []byte(`\u0000`)) {
			return inputError("invalid_field", "metadata contains a NUL character")
		}
		if err := checkMetadata(m); err != nil {
			return err
		}
	}
	return nil
}

func notSourceRune(r rune) bool {
	return !(r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("._:-", r)))
}

// SupportedLocale reports whether tag names a language surgedesk answers
// in: ko or en, alone or with a region or script (ko-KR, en_US).
func SupportedLocale(tag string) bool {
	if len(tag) > 16 || strings.IndexFunc(tag, notLocaleRune) >= 0 {
		return false
	}
	lang, _, _ := strings.Cut(strings.ReplaceAll(tag, "_", "-"), "-")
	return strings.EqualFold(lang, "ko") || strings.EqualFold(lang, "en")
}

func notLocaleRune(r rune) bool {
	return !(r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_'))
}

// message redacts the submission and builds the JetStream message. The id
// of a keyed submission is derived from (source, key), so a retry gets the
// same id without any lookup and JetStream's dedup window drops it.
func (in *Intake) message(s Submission) (*nats.Msg, string, *kb.InstantAnswer, error) {
	id := inquiryID(s.Source, s.IdempotencyKey)
	text, kinds := triage.Redact(s.Text)
	meta, metaKinds, err := redactMetadata(s.Metadata)
	if err != nil {
		return nil, "", nil, inputError("invalid_field", "metadata: %v", err)
	}
	locale := s.Locale
	if locale == "" {
		locale = DetectLocale(s.Text)
	}
	var answer *kb.InstantAnswer
	if in.answers != nil {
		if a, ok := in.answers.Answer(text, locale); ok {
			answer = &a
		}
	}
	m := bus.Inquiry{
		ID:             id,
		Source:         s.Source,
		CustomerID:     s.CustomerID,
		IdempotencyKey: s.IdempotencyKey,
		Text:           text,
		Locale:         locale,
		ReplyURL:       s.ReplyURL,
		Metadata:       meta,
		Redactions:     kindNames(append(kinds, metaKinds...)),
		ReceivedAt:     in.now().UnixMilli(),
	}
	if answer != nil {
		m.Answer = &bus.Answered{AnswerID: answer.AnswerID, IncidentID: answer.IncidentID, UpdateVersion: answer.UpdateVersion, Text: answer.Text}
	}
	data, err := json.Marshal(m)
	if err != nil {
		return nil, "", nil, fmt.Errorf("bot: unable to encode inquiry: %w", err)
	}
	return &nats.Msg{Subject: bus.InquirySubject, Data: data, Header: nats.Header{}}, id, answer, nil
}

func inquiryID(source, key string) string {
	if key != "" {
		sum := sha256.Sum256([]byte(source + "\x00" + key))
		return "iq_" + hex.EncodeToString(sum[:12])
	}
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "iq_" + hex.EncodeToString(b[:])
}

// DetectLocale guesses ko or en: any Hangul makes a text Korean.
func DetectLocale(text string) string {
	for _, r := range text {
		if unicode.Is(unicode.Hangul, r) {
			return "ko"
		}
	}
	return "en"
}

// redactMetadata redacts every string inside a metadata object: a secret in
// a form field is as much a secret as one in the text.
func redactMetadata(raw json.RawMessage) (json.RawMessage, []triage.Kind, error) {
	if m := bytes.TrimSpace(raw); len(m) == 0 || bytes.Equal(m, []byte("null")) {
		return nil, nil, nil
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, nil, err
	}
	var kinds []triage.Kind
	v = redactValue(v, &kinds)
	out, err := json.Marshal(v)
	return out, kinds, err
}

func redactValue(v any, kinds *[]triage.Kind) any {
	switch x := v.(type) {
	case string:
		r, k := triage.Redact(x)
		*kinds = append(*kinds, k...)
		return r
	case map[string]any:
		// Keys too: a form may name a field after the secret it holds.
		out := make(map[string]any, len(x))
		for key, val := range x {
			k, found := triage.Redact(key)
			*kinds = append(*kinds, found...)
			out[k] = redactValue(val, kinds)
		}
		return out
	case []any:
		for i, val := range x {
			x[i] = redactValue(val, kinds)
		}
	}
	return v
}

func kindNames(kinds []triage.Kind) []string {
	var out []string
	seen := map[triage.Kind]bool{}
	for _, k := range kinds {
		if !seen[k] {
			seen[k] = true
			out = append(out, string(k))
		}
	}
	return out
}
