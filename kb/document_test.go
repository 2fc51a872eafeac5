package kb_test

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/surgedesk/surgedesk/kb"
)

const small = `
incidents:
  - id: inc-refund
    title_ko: 환불 지연
    title_en: Refunds delayed
    status: identified
    components: [payments]
    severity: major
    started_at: 2026-11-21T09:00:00+09:00
    updates:
      - version: 1
        status: investigating
        text_ko: 환불 처리가 늦어지고 있습니다.
        created_at: 2026-11-21T09:05:00+09:00
        author: ops
      - version: 2
        status: identified
        text_ko: 카드사 정산 지연이 원인입니다.
        text_en: A card issuer's settlement is late.
        eta: 2026-11-22T18:00:00+09:00
        created_at: 2026-11-21T10:00:00+09:00
answers:
  - id: ans-refund
    incident_id: inc-refund
    keywords: [환불, refund]
    examples:
      ko: [환불 언제 돼요, 환불이 아직 안 들어왔어요]
      en: [where is my refund]
    template_ko: "환불 지연: {{.Status}}{{if .ETA}}, 예상 {{.ETA}}{{end}}"
    template_en: "Refunds delayed: {{.Status}}"
`

func TestDecode(t *testing.T) {
	d, err := kb.Decode(strings.NewReader(small))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Incidents) != 1 || len(d.Incidents[0].Updates) != 2 || len(d.Answers) != 1 ||
		len(d.Answers[0].Examples.KO) != 2 || d.Incidents[0].Latest().ETA.IsZero() {
		t.Fatalf("Decode = %+v", d)
	}
	text, err := kb.Render(d.Answers[0], d.Incidents[0], d.Incidents[0].Latest(), "ko")
	if err != nil || text != "환불 지연: 원인 확인, 예상 11월 22일 18:00" {
		t.Errorf("Render = %q, %v", text, err)
	}
}

func TestDecodeBadInput(t *testing.T) {
	cases := []struct {
		name  string
		yaml  string
		wants []string
	}{
		{"unknown key", strings.Replace(small, "severity: major", "severity: major\n    owner: kim", 1),
			[]string{"field owner not found"}},
		{"unknown key in an answer", strings.Replace(small, "keywords:", "keyword:", 1), []string{"field keyword not found"}},
		{"empty", "", []string{"empty document"}},
		{"two documents", small + "---\nanswers: []\n", []string{"more than one YAML document"}},
		{"not a time", strings.Replace(small, "2026-11-21T09:00:00+09:00", "yesterday", 1), []string{"yesterday"}},
		{"every problem with its path", strings.NewReplacer(
			"severity: major", "severity: huge",
			"status: investigating", "status: started",
			"incident_id: inc-refund", "incident_id: inc-nope",
			"en: [where is my refund]", "en: ['']",
			"{{.Status}}\"", "{{.State}}\"",
		).Replace(small), []string{
			`incidents[0].severity: unknown severity "huge"`,
			`incidents[0].updates[0].status: unknown status "started"`,
			`answers[0].incident_id: unknown incident "inc-nope"`,
			"answers[0].examples.en[0]: is empty",
			"answers[0].template_en: invalid template",
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := kb.Decode(strings.NewReader(c.yaml))
			if !errors.Is(err, kb.ErrInvalid) {
				t.Fatalf("Decode = %v, want kb.ErrInvalid", err)
			}
			for _, w := range c.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not say %q", err, w)
				}
			}
		})
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	d, err := kb.Decode(strings.NewReader(small))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := kb.Encode(&b, d); err != nil {
		t.Fatal(err)
	}
	again, err := kb.Decode(&b)
	if err != nil {
		t.Fatalf("%v in\n%s", err, b.String())
	}
	if !reflect.DeepEqual(d, again) {
		t.Errorf("round trip:\n got %+v\nwant %+v", again, d)
	}
	var b2 bytes.Buffer
	if err := kb.Encode(&b2, again); err != nil {
		t.Fatal(err)
	}
	var b1 bytes.Buffer
	_ = kb.Encode(&b1, d)
	if b1.String() != b2.String() {
		t.Errorf("encoding is not stable:\n%s\n%s", b1.String(), b2.String())
	}
}
