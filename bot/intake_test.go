package bot

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/surgedesk/surgedesk/bus"
)

// recorder is a publisher that keeps what it was given.
type recorder struct {
	msgs []*nats.Msg
	err  error
}

func (r *recorder) PublishMsg(ctx context.Context, m *nats.Msg, _ ...jetstream.PublishOpt) (*jetstream.PubAck, error) {
	if r.err != nil {
		return nil, r.err
	}
	r.msgs = append(r.msgs, m)
	return &jetstream.PubAck{Stream: bus.InquiryStream, Sequence: uint64(len(r.msgs))}, nil
}

func TestAcceptValidation(t *testing.T) {
	valid := Submission{Source: "web", CustomerID: "u-1", Text: "앱 접속이 안 돼요"}
	with := func(f func(*Submission)) Submission { s := valid; f(&s); return s }
	cases := []struct {
		name    string
		sub     Submission
		code    string
		channel bool // AcceptFromChannel rather than Accept
	}{
		{"valid", valid, "", false},
		{"missing everything", Submission{}, "missing_field", false},
		{"missing text", with(func(s *Submission) { s.Text = " \t" }), "missing_field", false},
		{"text at the limit", with(func(s *Submission) { s.Text = strings.Repeat("a", 64) }), "", false},
		{"text over the limit", with(func(s *Submission) { s.Text = strings.Repeat("가", 22) }), "text_too_long", false},
		{"invalid utf8 text", with(func(s *Submission) { s.Text = "ab\xffcd" }), "invalid_utf8", false},
		{"source with space", with(func(s *Submission) { s.Source = "web form" }), "invalid_field", false},
		{"source in hangul", with(func(s *Submission) { s.Source = "웹" }), "invalid_field", false},
		{"long customer id", with(func(s *Submission) { s.CustomerID = strings.Repeat("x", 257) }), "invalid_field", false},
		{"long key", with(func(s *Submission) { s.IdempotencyKey = strings.Repeat("x", 257) }), "invalid_field", false},
		{"bad locale", with(func(s *Submission) { s.Locale = "ko KR" }), "invalid_field", false},
		{"good locale", with(func(s *Submission) { s.Locale = "ko-KR" }), "", false},
		{"relative reply url", with(func(s *Submission) { s.ReplyURL = "/reply" }), "invalid_field", false},
		{"ftp reply url", with(func(s *Submission) { s.ReplyURL = "ftp://x.example/r" }), "invalid_field", false},
		{"https reply url", with(func(s *Submission) { s.ReplyURL = "https://x.example/r" }), "", false},
		{"metadata array", with(func(s *Submission) { s.Metadata = json.RawMessage(`[1]`) }), "invalid_field", false},
		{"metadata null", with(func(s *Submission) { s.Metadata = json.RawMessage(`null`) }), "", false},
		{"nul in text", with(func(s *Submission) { s.Text = "접속\x00안돼요" }), "invalid_field", false},
		{"nul in customer", with(func(s *Submission) { s.CustomerID = "u\x00" }), "invalid_field", false},
		{"nul in metadata", with(func(s *Submission) { s.Metadata = json.RawMessage(`{"a":"b\u0000"}`) }), "invalid_field", false},
		// A webhook sender must not make surgedesk post in Slack.
		{"slack source from the webhook", with(func(s *Submission) { s.Source = "Slack" }), "invalid_field", false},
		{"slack source from the channel", with(func(s *Submission) { s.Source = "slack" }), "", true},
		{"slack reply url from the webhook", with(func(s *Submission) { s.ReplyURL = "slack:C1/1700000000.000100" }), "invalid_field", false},
		{"slack reply url from the channel", with(func(s *Submission) { s.ReplyURL = "slack:C1/1700000000.000100" }), "", true},
		{"empty slack reply url from the channel", with(func(s *Submission) { s.ReplyURL = "slack:" }), "invalid_field", true},
		{"https reply url from the channel", with(func(s *Submission) { s.ReplyURL = "https://x.example/r" }), "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			in := NewIntake(rec, Limits{MaxTextBytes: 64}, time.Second)
			accept := in.Accept
			if tc.channel {
				accept = in.AcceptFromChannel
			}
			_, err := accept(context.Background(), tc.sub)
			var ie *InputError
			switch {
			case tc.code == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case tc.code != "" && (!errors.As(err, &ie) || ie.Code != tc.code):
				t.Fatalf("err = %v, want code %s", err, tc.code)
			case tc.code != "" && len(rec.msgs) != 0:
				t.Fatal("an invalid submission was published")
			case tc.code == "" && len(rec.msgs) != 1:
				t.Fatalf("published %d messages, want 1", len(rec.msgs))
			}
		})
	}
}

func TestAcceptRedactsBeforePublishing(t *testing.T) {
	rec := &recorder{}
	in := NewIntake(rec, Limits{MaxTextBytes: 8192}, time.Second)
	sub := Submission{Source: "web", CustomerID: "u-1",
		Text:     "비번 abcd1234 맞는데 로그인이 안돼요. 카드 4111 1111 1111 1111 결제도 안됨",
		Metadata: json.RawMessage(`{"form":{"phone":"010-1234-5678","note":["email me: kim@example.com"]},"count":3,"pw: hunter22":true}`)}
	if _, err := in.Accept(context.Background(), sub); err != nil {
		t.Fatal(err)
	}
	raw := string(rec.msgs[0].Data)
	for _, secret := range []string{"abcd1234", "4111", "010-1234-5678", "kim@example.com", "hunter22"} {
		if strings.Contains(raw, secret) {
			t.Errorf("published message contains %q: %s", secret, raw)
		}
	}
	var m bus.Inquiry
	if err := json.Unmarshal(rec.msgs[0].Data, &m); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.Text, "[비밀번호]") || !strings.Contains(m.Text, "[카드번호]") || !strings.Contains(m.Text, "로그인이 안돼요") {
		t.Errorf("text = %q", m.Text)
	}
	if !strings.Contains(string(m.Metadata), `"count":3`) {
		t.Errorf("metadata lost its number: %s", m.Metadata)
	}
	want := map[string]bool{"password": true, "card": true, "phone": true, "email": true}
	for _, k := range m.Redactions {
		delete(want, k)
	}
	if len(want) > 0 {
		t.Errorf("redactions %v miss %v", m.Redactions, want)
	}
}

func TestAcceptIDsAndLocale(t *testing.T) {
	rec := &recorder{}
	in := NewIntake(rec, Limits{MaxTextBytes: 8192}, time.Second)
	ctx := context.Background()
	a, _ := in.Accept(ctx, Submission{Source: "web", CustomerID: "u", Text: "환불 언제 되나요", IdempotencyKey: "k"})
	b, _ := in.Accept(ctx, Submission{Source: "web", CustomerID: "u", Text: "환불 언제 되나요", IdempotencyKey: "k"})
	c, _ := in.Accept(ctx, Submission{Source: "app", CustomerID: "u", Text: "when is my refund", IdempotencyKey: "k"})
	d, _ := in.Accept(ctx, Submission{Source: "web", CustomerID: "u", Text: "when is my refund"})
	e, _ := in.Accept(ctx, Submission{Source: "web", CustomerID: "u", Text: "when is my refund"})
	if a.ID != b.ID || a.ID == c.ID || d.ID == e.ID || !strings.HasPrefix(a.ID, "iq_") {
		t.Errorf("ids: %s %s %s %s %s", a.ID, b.ID, c.ID, d.ID, e.ID)
	}
	locales := []string{}
	for _, m := range rec.msgs {
		var in bus.Inquiry
		_ = json.Unmarshal(m.Data, &in)
		locales = append(locales, in.Locale)
	}
	if strings.Join(locales, ",") != "ko,ko,en,en,en" {
		t.Errorf("locales = %v", locales)
	}
}

func TestAcceptUnavailable(t *testing.T) {
	in := NewIntake(&recorder{err: errors.New("nats: timeout")}, Limits{MaxTextBytes: 100}, time.Second)
	_, err := in.Accept(context.Background(), Submission{Source: "web", CustomerID: "u", Text: "x"})
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
}
