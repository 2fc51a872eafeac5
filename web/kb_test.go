package web

import (
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/surgedesk/surgedesk/bus"
	"github.com/surgedesk/surgedesk/bus/bustest"
)

func TestIncidentLifecycleOverHTTP(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	st := newStack(t, ctx, testConfig(), bustest.Embedded(t))
	var mu sync.Mutex
	var changes []string
	sub, err := st.bus.Conn.Subscribe(bus.KBChangedSubject, func(m *nats.Msg) {
		mu.Lock()
		changes = append(changes, string(m.Data))
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if err := st.bus.Conn.Flush(); err != nil {
		t.Fatal(err)
	}

	declare := `{"id":"inc-login","title_ko":"이벤트 중 앱 로그인 실패","title_en":"App login failures","severity":"major","components":["app"]}`
	cases := []struct {
		name, method, path, body, token string
		status                          int
		code                            string
	}{
		{"declare needs manager", "POST", "/v1/incidents", declare, readToken, 403, "forbidden"},
		{"declare", "POST", "/v1/incidents", declare, managerToken, 201, ""},
		{"declare twice", "POST", "/v1/incidents", declare, managerToken, 409, "exists"},
		{"bad severity", "POST", "/v1/incidents", `{"title_ko":"x","severity":"huge"}`, managerToken, 400, "invalid_field"},
		{"no title", "POST", "/v1/incidents", `{"severity":"minor"}`, managerToken, 400, "invalid_field"},
		{"unknown field", "POST", "/v1/incidents", `{"titel":"x","severity":"minor"}`, managerToken, 400, "invalid_json"},
		{"identified", "POST", "/v1/incidents/inc-login/updates", `{"status":"identified","text_ko":"원인을 확인했습니다","workaround_ko":"웹에서 로그인해 주세요"}`, managerToken, 201, ""},
		{"invalid status", "POST", "/v1/incidents/inc-login/updates", `{"status":"fixed","text_ko":"x"}`, managerToken, 400, "invalid_field"},
		{"backwards", "POST", "/v1/incidents/inc-login/updates", `{"status":"investigating","text_ko":"x"}`, managerToken, 400, "invalid_field"},
		{"unknown incident", "POST", "/v1/incidents/inc-nope/updates", `{"status":"identified","text_ko":"x"}`, managerToken, 404, "not_found"},
		{"oversized text", "POST", "/v1/incidents/inc-login/updates", `{"status":"monitoring","text_ko":"` + strings.Repeat("가", 4001) + `"}`, managerToken, 400, "invalid_field"},
		{"resolved", "POST", "/v1/incidents/inc-login/updates", `{"status":"resolved","text_ko":"복구되었습니다"}`, managerToken, 201, ""},
		{"after resolved", "POST", "/v1/incidents/inc-login/updates", `{"status":"monitoring","text_ko":"x"}`, managerToken, 400, "invalid_field"},
		{"answer without examples", "POST", "/v1/kb/answers", `{"id":"a-login","incident_id":"inc-login","examples":{},"template_ko":"x"}`, managerToken, 400, "invalid_field"},
		{"answer with a template error", "POST", "/v1/kb/answers", `{"id":"a-login","examples":{"ko":["로그인 안돼요"]},"template_ko":"{{.Incident.Titel}}"}`, managerToken, 400, "invalid_field"},
		{"answer", "POST", "/v1/kb/answers", `{"id":"a-login","incident_id":"inc-login","examples":{"ko":["로그인이 안 돼요"],"en":["cannot log in"]},"template_ko":"{{.Incident.Title}}: {{.Status}}","template_en":"{{.Incident.Title}}: {{.Status}}"}`, managerToken, 201, ""},
		{"answer for unknown incident", "POST", "/v1/kb/answers", `{"id":"a-x","incident_id":"inc-nope","examples":{"ko":["x"]},"template_ko":"x"}`, managerToken, 400, "invalid_field"},
		{"replace answer, id mismatch", "PUT", "/v1/kb/answers/a-login", `{"id":"other","examples":{"ko":["x"]},"template_ko":"x"}`, managerToken, 400, "invalid_field"},
		{"replace answer", "PUT", "/v1/kb/answers/a-login", `{"incident_id":"inc-login","examples":{"ko":["로그인 안됨"]},"template_ko":"{{.Status}}"}`, managerToken, 200, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := st.do(t, tc.method, tc.path, []byte(tc.body), bearer(tc.token))
			if r.status != tc.status || r.errorCode() != tc.code {
				t.Errorf("%s %s = %d %s, want %d %s", tc.method, tc.path, r.status, r.raw, tc.status, tc.code)
			}
		})
	}

	inc := st.do(t, "GET", "/v1/incidents/inc-login", nil, bearer(readToken))
	if inc.body["status"] != "resolved" || inc.body["resolved_at"] == nil {
		t.Errorf("incident = %s", inc.raw)
	}
	if ups, _ := inc.body["updates"].([]any); len(ups) != 2 {
		t.Errorf("updates = %v, want versions 1 and 2 only (refused ones changed nothing)", inc.body["updates"])
	}
	if act := st.do(t, "GET", "/v1/incidents?active=true", nil, bearer(readToken)); !strings.Contains(act.raw, `"incidents":[]`) {
		t.Errorf("active incidents = %s", act.raw)
	}
	audit := st.do(t, "GET", "/v1/audit?subject=incident:inc-login", nil, bearer(managerToken))
	entries, _ := audit.body["audit"].([]any)
	if len(entries) != 3 || !strings.Contains(audit.raw, `"actor":"kim.manager"`) || !strings.Contains(audit.raw, "incident.resolve") {
		t.Errorf("audit = %s", audit.raw)
	}
	// Announced over NATS, as every instance hears them.
	if err := st.bus.Conn.Flush(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(changes)
		mu.Unlock()
		if n >= 5 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	if len(changes) != 5 { // declare, 2 updates, create and replace the answer
		t.Errorf("announced changes = %v, want 5", changes)
	}
	mu.Unlock()
}

func TestKBImportExportOverHTTP(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	st := newStack(t, ctx, testConfig(), bustest.Embedded(t))
	example, err := os.ReadFile("../configs/kb.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if r := st.do(t, "POST", "/v1/kb/import", []byte("incidents:\n  - id: x\n    titel: y\n"), bearer(managerToken)); r.status != 400 || r.errorCode() != "invalid_yaml" {
		t.Errorf("bad import = %d %s", r.status, r.raw)
	}
	for range 2 { // idempotent
		if r := st.do(t, "POST", "/v1/kb/import", example, bearer(managerToken)); r.status != 200 || r.body["incidents"] != float64(3) {
			t.Fatalf("import = %d %s", r.status, r.raw)
		}
	}
	answers := st.do(t, "GET", "/v1/kb/answers", nil, bearer(readToken))
	list, _ := answers.body["answers"].([]any)
	if len(list) < 5 {
		t.Errorf("answers after import = %d", len(list))
	}
	if a := st.do(t, "GET", "/v1/audit?subject=incident:inc-voucher-platform-down", nil, bearer(managerToken)); strings.Count(a.raw, "incident.import") != 2 || !strings.Contains(a.raw, `"actor":"kim.manager"`) {
		t.Errorf("the incident's own audit trail lacks the two imports: %s", a.raw)
	}
	exp := st.do(t, "GET", "/v1/kb/export", nil, bearer(managerToken))
	if exp.status != 200 || !strings.Contains(exp.raw, "종이") || !strings.Contains(exp.raw, "incidents:") {
		t.Errorf("export = %d %.200s", exp.status, exp.raw)
	}
}
