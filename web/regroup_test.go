package web

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/surgedesk/surgedesk/bus/bustest"
)

// Merge and split remembered: agents merge two clusters and split one,
// over HTTP; bad requests change nothing; later inquiries follow what the
// agents decided; every action is audited.
func TestMergeAndSplitRemembered(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	st := newStack(t, ctx, testConfig(), bustest.Embedded(t))
	stored := int64(0)
	post := func(customer, text string) string {
		t.Helper()
		body := fmt.Sprintf(`{"source":"kakao","customer_id":%q,"text":%q,"reply_url":"https://gw.example/%s"}`, customer, text, customer)
		r := st.do(t, "POST", "/v1/inquiries", []byte(body), bearer(intakeToken))
		if r.status != 202 {
			t.Fatalf("POST = %d %s", r.status, r.raw)
		}
		stored++
		return r.body["id"].(string)
	}
	clusterOf := func(id string) string {
		t.Helper()
		st.waitStored(t, ctx, stored)
		r := st.do(t, "GET", "/v1/inquiries/"+id, nil, bearer(readToken))
		c, _ := r.body["cluster_id"].(string)
		if c == "" {
			t.Fatalf("inquiry %s = %s; want a cluster", id, r.raw)
		}
		return c
	}
	cluster := func(id string) response {
		t.Helper()
		return st.do(t, "GET", "/v1/clusters/"+id, nil, bearer(readToken))
	}

	login := []string{post("kim", "앱 로그인이 안 돼요"), post("lee", "앱 로그인 안됩니다")}
	refund := []string{post("park", "환불은 언제 되나요?"), post("choi", "환불 언제 돼요")}
	pay := []string{post("jung", "카드 결제가 안 돼요"), post("kang", "카드 결제 안됩니다"), post("yoon", "결제가 안 돼요")}
	cancel := []string{post("jang", "결제 취소가 안 돼요"), post("lim", "결제 취소 안됩니다")}
	held := post("han", "배송 조회가 안 돼요")
	loginID, refundID, payID, heldID := clusterOf(login[0]), clusterOf(refund[0]), clusterOf(pay[0]), clusterOf(held)
	if clusterOf(login[1]) != loginID || clusterOf(refund[1]) != refundID || clusterOf(cancel[0]) != payID || clusterOf(cancel[1]) != payID ||
		len(slices.Compact([]string{loginID, refundID, payID, heldID})) != 4 {
		t.Fatalf("unexpected clustering: login %s refund %s pay %s held %s", loginID, refundID, payID, heldID)
	}
	if r := st.do(t, "POST", "/v1/queue/"+loginID+"/reply", []byte(`{"text":"앱을 다시 설치해 주세요."}`), bearer(agentToken)); r.status != 202 || r.body["queued"] != float64(2) {
		t.Fatalf("reply = %d %s", r.status, r.raw)
	}
	if r := st.do(t, "POST", "/v1/queue/"+heldID+"/claim", nil, bearer(agent2Token)); r.status != 200 {
		t.Fatalf("claim = %d %s", r.status, r.raw)
	}

	auditCount := func() int {
		a := st.do(t, "GET", "/v1/audit?limit=500", nil, bearer(managerToken))
		entries, _ := a.body["audit"].([]any)
		return len(entries)
	}
	state := func() string {
		var b strings.Builder
		for _, id := range []string{loginID, refundID, payID, heldID} {
			r := cluster(id)
			fmt.Fprintf(&b, "%s:%v:%v:%v:%v;", id, r.body["status"], r.body["inquiries"], r.body["customers"], r.body["merged_into"])
		}
		fmt.Fprintf(&b, "audit:%d", auditCount())
		return b.String()
	}
	before := state()
	if !strings.HasSuffix(before, "audit:2") { // the reply and the claim
		t.Fatalf("state before = %s; want two audit entries", before)
	}
	merge := "/v1/clusters/" + refundID + "/merge"
	split := "/v1/clusters/" + payID + "/split"
	bad := []struct {
		name, path, body, token string
		status                  int
		code, mentions          string
	}{
		{"merge without a token", merge, `{"into":"` + loginID + `"}`, "", 401, "unauthorized", ""},
		{"merge with the read token", merge, `{"into":"` + loginID + `"}`, readToken, 403, "forbidden", ""},
		{"merge into itself", merge, `{"into":"` + refundID + `"}`, agentToken, 400, "invalid_field", ""},
		{"merge without into", merge, `{}`, agentToken, 400, "missing_field", ""},
		{"merge with an unknown field", merge, `{"into":"` + loginID + `","force":true}`, agentToken, 400, "invalid_json", ""},
		{"merge with a malformed body", merge, `{"into":`, agentToken, 400, "invalid_json", ""},
		{"merge of an unknown cluster", "/v1/clusters/nope/merge", `{"into":"` + loginID + `"}`, agentToken, 404, "not_found", ""},
		{"merge into an unknown cluster", merge, `{"into":"nope"}`, agentToken, 404, "not_found", ""},
		{"merge into a cluster another agent holds", merge, `{"into":"` + heldID + `"}`, agentToken, 409, "claimed", ""},
		{"split with the read token", split, `{"inquiry_ids":["` + cancel[0] + `"]}`, readToken, 403, "forbidden", ""},
		{"split without ids", split, `{}`, agentToken, 400, "missing_field", ""},
		{"split of none", split, `{"inquiry_ids":[]}`, agentToken, 400, "missing_field", ""},
		{"split with an empty id", split, `{"inquiry_ids":[""]}`, agentToken, 400, "invalid_field", ""},
		{"split with an unknown field", split, `{"inquiry_ids":["` + cancel[0] + `"],"target":"x"}`, agentToken, 400, "invalid_json", ""},
		{"split of another cluster's members", split, `{"inquiry_ids":["` + cancel[0] + `","` + login[0] + `","inq_nope"]}`, agentToken, 400, "invalid_field", login[0]},
		{"split of every member", split, `{"inquiry_ids":["` + strings.Join(append(slices.Clone(pay), cancel...), `","`) + `"]}`, agentToken, 400, "invalid_field", ""},
		{"split of an unknown cluster", "/v1/clusters/nope/split", `{"inquiry_ids":["` + cancel[0] + `"]}`, agentToken, 404, "not_found", ""},
		{"split of a cluster another agent holds", "/v1/clusters/" + heldID + "/split", `{"inquiry_ids":["` + held + `"]}`, agentToken, 409, "claimed", ""},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			header := map[string]string{}
			if tc.token != "" {
				header = bearer(tc.token)
			}
			r := st.do(t, "POST", tc.path, []byte(tc.body), header)
			if r.status != tc.status || r.errorCode() != tc.code || !strings.Contains(r.raw, tc.mentions) {
				t.Errorf("POST %s %s = %d %s; want %d %s naming %q", tc.path, tc.body, r.status, r.raw, tc.status, tc.code, tc.mentions)
			}
		})
	}
	if after := state(); after != before {
		t.Fatalf("bad requests changed something:\n%s\n%s", before, after)
	}

	// Merge: the target takes the members; its reply reaches them once.
	r := st.do(t, "POST", merge, []byte(`{"into":"`+loginID+`"}`), bearer(agentToken))
	if r.status != 200 || r.body["id"] != loginID || r.body["inquiries"] != float64(4) || r.body["customers"] != float64(4) ||
		len(r.body["samples"].([]any)) != 4 {
		t.Fatalf("merge = %d %s; want the login cluster with 4 members", r.status, r.raw)
	}
	if src := cluster(refundID); src.body["status"] != "merged" || src.body["merged_into"] != loginID {
		t.Errorf("merged cluster = %s", src.raw)
	}
	if q := st.do(t, "GET", "/v1/queue", nil, bearer(agentToken)); strings.Contains(q.raw, refundID) {
		t.Errorf("the merged cluster is still queued: %s", q.raw)
	}
	if rep := st.do(t, "GET", "/v1/queue/"+loginID+"/reply", nil, bearer(agentToken)); len(rep.body["deliveries"].([]any)) != 4 {
		t.Errorf("reply deliveries after the merge = %s; want one for each of 4 members", rep.raw)
	}
	if r := st.do(t, "POST", merge, []byte(`{"into":"`+loginID+`"}`), bearer(agentToken)); r.status != 404 || r.errorCode() != "not_found" {
		t.Errorf("merging a merged cluster again = %d %s", r.status, r.raw)
	}

	// Split: the cancellations go to a new cluster.
	r = st.do(t, "POST", split, []byte(`{"inquiry_ids":["`+cancel[0]+`","`+cancel[1]+`"]}`), bearer(agentToken))
	newID, _ := r.body["id"].(string)
	if r.status != 201 || newID == "" || newID == payID || r.body["inquiries"] != float64(2) || r.body["customers"] != float64(2) ||
		r.body["status"] != "open" || len(r.body["label"].([]any)) == 0 {
		t.Fatalf("split = %d %s; want a new open cluster of 2 with a label", r.status, r.raw)
	}
	if orig := cluster(payID); orig.body["inquiries"] != float64(3) {
		t.Errorf("original after the split = %s", orig.raw)
	}

	// Remembered: later inquiries follow the agents' decisions.
	for _, tc := range []struct{ text, want string }{
		{"환불 언제 되나요ㅠㅠ", loginID},
		{"앱 로그인이 안되네요", loginID},
		{"결제 취소가 안되네요", newID},
		{"결제 취소가 안 돼요", newID},
		{"카드 결제가 안되네요", payID},
	} {
		if got := clusterOf(post("new-"+tc.text, tc.text)); got != tc.want {
			t.Errorf("%q joined %s, want %s", tc.text, got, tc.want)
		}
	}

	for subject, action := range map[string]string{refundID: "cluster.merge", loginID: "cluster.merge", payID: "cluster.split", newID: "cluster.split"} {
		a := st.do(t, "GET", "/v1/audit?subject=cluster:"+subject, nil, bearer(managerToken))
		if !strings.Contains(a.raw, action) || !strings.Contains(a.raw, "lee.agent") {
			t.Errorf("audit of %s = %s; want %s by lee.agent", subject, a.raw, action)
		}
	}
}
