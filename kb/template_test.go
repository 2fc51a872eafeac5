package kb_test

import (
	"strings"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/kb"
)

func TestRender(t *testing.T) {
	inc := kb.Incident{ID: "inc-voucher", TitleKO: "상품권 사용 불가", TitleEN: "Vouchers cannot be used",
		Status: kb.Identified, Severity: kb.Critical, StartedAt: t0}
	latest := kb.Update{Version: 3, Status: kb.Identified, TextKO: "결제 서버 장애", TextEN: "Payment server failure",
		ETA:          time.Date(2026, 11, 21, 6, 30, 0, 0, time.UTC), // 15:30 KST
		WorkaroundKO: "종이 상품권을 사용해 주세요", WorkaroundEN: "Please use paper vouchers"}
	both := kb.Answer{ID: "a",
		TemplateKO: "[{{.Incident.Title}}] 현재 상태: {{.Status}}.{{if .ETA}} 예상 복구: {{.ETA}}.{{end}}{{if .Workaround}} {{.Workaround}}.{{end}} (#{{.UpdateVersion}})",
		TemplateEN: "[{{.Incident.Title}}] Status: {{.Status}}.{{if .ETA}} Expected fix: {{.ETA}}.{{end}}{{if .Workaround}} {{.Workaround}}.{{end}} (#{{.UpdateVersion}})"}
	koOnly := kb.Answer{ID: "b", TemplateKO: both.TemplateKO}
	enOnly := kb.Answer{ID: "c", TemplateEN: both.TemplateEN}
	noETA := latest
	noETA.ETA, noETA.WorkaroundEN, noETA.Status, noETA.Version = time.Time{}, "", kb.Monitoring, 4
	faq := kb.Answer{ID: "faq", TemplateKO: "상담 시간은 평일 9시-18시입니다.{{if .Status}} 장애: {{.Status}}{{end}}", TemplateEN: "We are open 9 to 6 on weekdays."}

	cases := []struct {
		name   string
		answer kb.Answer
		inc    kb.Incident
		latest kb.Update
		locale string
		want   string
	}{
		{"korean", both, inc, latest, "ko",
			"[상품권 사용 불가] 현재 상태: 원인 확인. 예상 복구: 11월 21일 15:30. 종이 상품권을 사용해 주세요. (#3)"},
		{"english", both, inc, latest, "en",
			"[Vouchers cannot be used] Status: identified. Expected fix: Nov 21, 15:30 KST. Please use paper vouchers. (#3)"},
		{"korean region tag", both, inc, latest, "ko-KR",
			"[상품권 사용 불가] 현재 상태: 원인 확인. 예상 복구: 11월 21일 15:30. 종이 상품권을 사용해 주세요. (#3)"},
		{"unknown locale reads english", both, inc, latest, "",
			"[Vouchers cannot be used] Status: identified. Expected fix: Nov 21, 15:30 KST. Please use paper vouchers. (#3)"},
		{"english asked, only korean written", koOnly, inc, latest, "en",
			"[상품권 사용 불가] 현재 상태: 원인 확인. 예상 복구: 11월 21일 15:30. 종이 상품권을 사용해 주세요. (#3)"},
		{"korean asked, only english written", enOnly, inc, latest, "ko",
			"[Vouchers cannot be used] Status: identified. Expected fix: Nov 21, 15:30 KST. Please use paper vouchers. (#3)"},
		{"no ETA, workaround only in korean", both, inc, noETA, "en",
			"[Vouchers cannot be used] Status: monitoring. 종이 상품권을 사용해 주세요. (#4)"},
		{"no ETA in korean", both, inc, noETA, "ko",
			"[상품권 사용 불가] 현재 상태: 모니터링 중. 종이 상품권을 사용해 주세요. (#4)"},
		{"title only in english", both, kb.Incident{TitleEN: "Refunds delayed", Status: kb.Investigating}, kb.Update{}, "ko",
			"[Refunds delayed] 현재 상태: 조사 중. (#0)"},
		{"faq in korean", faq, kb.Incident{}, kb.Update{}, "ko", "상담 시간은 평일 9시-18시입니다."},
		{"faq in english", faq, kb.Incident{}, kb.Update{}, "en", "We are open 9 to 6 on weekdays."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := kb.Render(c.answer, c.inc, c.latest, c.locale)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("Render =\n%s\nwant\n%s", got, c.want)
			}
		})
	}
	if _, err := kb.Render(kb.Answer{ID: "empty"}, inc, latest, "ko"); err == nil {
		t.Error("Render without a template succeeded")
	}
}

// Rendering stops at MaxRendered, also for data larger than validation
// would let through: a rendered answer never grows past the cap.
func TestRenderCapsOutput(t *testing.T) {
	comps := make([]string, 80)
	for i := range comps {
		comps[i] = strings.Repeat("결제", 50)
	}
	inc := kb.Incident{ID: "inc-1", TitleKO: "결제 장애", Status: kb.Investigating, Severity: kb.Major, Components: comps}
	latest := kb.Update{Version: 1, Status: kb.Investigating, TextKO: strings.Repeat("복구 중입니다. ", 400)}
	a := kb.Answer{ID: "a-1", TemplateKO: "{{range .Incident.Components}}{{$.Text}}{{end}}"}
	out, err := kb.Render(a, inc, latest, "ko")
	if err == nil || !strings.Contains(err.Error(), "would exceed") || len(out) > kb.MaxRendered {
		t.Fatalf("Render = %d bytes, %v; want the size cap's error", len(out), err)
	}
	a.TemplateKO = "{{range 1000000000}}{{end}}"
	if _, err := kb.Render(a, inc, latest, "ko"); err == nil || !strings.Contains(err.Error(), "range is only available") {
		t.Fatalf("Render of an unbounded loop = %v", err)
	}
}
