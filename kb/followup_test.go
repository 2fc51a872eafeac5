package kb_test

import (
	"strings"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/kb"
)

func TestFollowUpText(t *testing.T) {
	inc := kb.Incident{ID: "inc-v", TitleKO: "상품권 사용 불가", TitleEN: "Vouchers not accepted", Status: kb.Identified}
	eta := time.Date(2026, 11, 22, 6, 0, 0, 0, time.UTC) // 15:00 KST
	cases := []struct {
		name, locale string
		u            kb.Update
		want, not    []string
	}{
		{"korean with everything", "ko", kb.Update{Version: 2, Status: kb.Identified, TextKO: "원인을 찾았습니다.", ETA: eta, WorkaroundKO: "종이 상품권을 사용해 주세요."},
			[]string{"[상품권 사용 불가]", "원인 확인", "원인을 찾았습니다.", "11월 22일 15:00", "종이 상품권"}, nil},
		{"english", "en-US", kb.Update{Version: 3, Status: kb.Resolved, TextEN: "Vouchers work again."},
			[]string{"[Vouchers not accepted]", "resolved", "Vouchers work again."}, []string{"Expected recovery", "Meanwhile"}},
		{"english falls back to korean text", "en", kb.Update{Version: 4, Status: kb.Monitoring, TextKO: "모니터링 중입니다."},
			[]string{"[Vouchers not accepted]", "monitoring", "모니터링 중입니다."}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := kb.FollowUpText(inc, tc.u, tc.locale)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("%q lacks %q", got, w)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(got, n) {
					t.Errorf("%q has %q", got, n)
				}
			}
		})
	}
}
