package web

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/surgedesk/surgedesk/bus/bustest"
	"github.com/surgedesk/surgedesk/storage"
)

// clusterOf posts n inquiries of text from distinct customers with a reply
// channel and returns their cluster's id.
func (st *stack) clusterOf(t *testing.T, prefix, text string, n int, stored *int64) string {
	t.Helper()
	var first string
	for i := range n {
		body := fmt.Sprintf(`{"source":"kakao","customer_id":"%s%d","text":%q,"reply_url":"https://gw.example/%s%d"}`, prefix, i, text, prefix, i)
		r := st.do(t, "POST", "/v1/inquiries", []byte(body), bearer(intakeToken))
		if r.status != 202 {
			t.Fatalf("POST = %d %s", r.status, r.raw)
		}
		if first == "" {
			first = r.body["id"].(string)
		}
	}
	*stored += int64(n)
	st.waitStored(t, testContext(t), *stored)
	in := st.do(t, "GET", "/v1/inquiries/"+first, nil, bearer(readToken))
	return in.body["cluster_id"].(string)
}

// race sends the same request with two agents' tokens at once and returns
// both statuses, sorted.
func (st *stack) race(t *testing.T, method, path, body string) [2]int {
	t.Helper()
	var wg sync.WaitGroup
	var out [2]int
	for i, tok := range []string{agentToken, agent2Token} {
		wg.Go(func() { out[i] = st.do(t, method, path, []byte(body), bearer(tok)).status })
	}
	wg.Wait()
	if out[0] > out[1] {
		out[0], out[1] = out[1], out[0]
	}
	return out
}

// Two agents racing on each action: one wins, the other gets 409 and
// nothing is done twice; a live claim keeps the other agent off every
// action; a manager takes it over, audited.
func TestAgentsRacing(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	st := newStack(t, ctx, testConfig(), bustest.Embedded(t))
	var stored int64
	refund := st.clusterOf(t, "r", "결제 취소했는데 환불은 언제 되나요", 3, &stored)
	login := st.clusterOf(t, "l", "앱 로그인이 안 돼요 비밀번호 오류", 2, &stored)
	if refund == login {
		t.Fatal("the two texts share a cluster; the test needs two")
	}
	if r := st.do(t, "POST", "/v1/incidents", []byte(`{"id":"inc-pay","title_ko":"결제 장애","severity":"major"}`), bearer(managerToken)); r.status != 201 {
		t.Fatalf("declare = %d %s", r.status, r.raw)
	}

	// Racing with no claim: one claim, one reply.
	if got := st.race(t, "POST", "/v1/queue/"+refund+"/claim", ""); got != [2]int{200, 409} {
		t.Fatalf("racing claims = %v, want one 200 and one 409", got)
	}
	claim := st.do(t, "GET", "/v1/queue", nil, bearer(agentToken))
	holder := ""
	for _, it := range claim.body["items"].([]any) {
		if m := it.(map[string]any); m["id"] == refund {
			holder, _ = m["claimed_by"].(string)
		}
	}
	other := map[string]string{"lee.agent": agent2Token, "park.agent": agentToken}[holder]
	holderTok := map[string]string{"lee.agent": agentToken, "park.agent": agent2Token}[holder]
	if other == "" {
		t.Fatalf("claimed by %q", holder)
	}
	if got := st.race(t, "POST", "/v1/queue/"+login+"/reply", `{"text":"비밀번호 재설정 후 다시 시도해 주세요"}`); got != [2]int{202, 409} {
		t.Fatalf("racing replies = %v, want one 202 and one 409", got)
	}
	if r := st.do(t, "GET", "/v1/queue/"+login+"/reply", nil, bearer(agentToken)); len(r.body["deliveries"].([]any)) != 2 {
		t.Errorf("deliveries of the raced reply = %s; want one per customer (2)", r.raw)
	}

	// The claim holds against every action by the other agent.
	for _, tc := range []struct{ name, path, body string }{
		{"reply", "/v1/queue/" + refund + "/reply", `{"text":"3일 안에 환불됩니다"}`},
		{"resolve", "/v1/queue/" + refund + "/resolve", ``},
		{"link", "/v1/clusters/" + refund + "/link", `{"incident_id":"inc-pay"}`},
		{"merge", "/v1/clusters/" + login + "/merge", `{"into":"` + refund + `"}`},
		{"split", "/v1/clusters/" + refund + "/split", `{"filter":{"customer":"r0"}}`},
	} {
		r := st.do(t, "POST", tc.path, []byte(tc.body), bearer(other))
		if r.status != 409 || r.errorCode() != "claimed" || !strings.Contains(r.raw, holder) {
			t.Errorf("%s by the other agent = %d %s; want 409 claimed naming %s", tc.name, r.status, r.raw, holder)
		}
	}
	if r := st.do(t, "GET", "/v1/queue/"+refund+"/reply", nil, bearer(agentToken)); r.status != 404 {
		t.Errorf("a refused reply was recorded: %d %s", r.status, r.raw)
	}

	// A manager takes the claim over; the former holder is now kept off.
	if r := st.do(t, "POST", "/v1/queue/"+refund+"/claim", []byte(`{"takeover":true}`), bearer(other)); r.status != 403 {
		t.Errorf("takeover by an agent = %d %s, want 403", r.status, r.raw)
	}
	r := st.do(t, "POST", "/v1/queue/"+refund+"/claim", []byte(`{"takeover":true}`), bearer(leadToken))
	if r.status != 200 || r.body["taken_from"] != holder || r.body["claimed_by"] != "choi.lead" {
		t.Fatalf("takeover = %d %s", r.status, r.raw)
	}
	if r := st.do(t, "POST", "/v1/queue/"+refund+"/resolve", nil, bearer(holderTok)); r.status != 409 {
		t.Errorf("resolve by the former holder = %d %s, want 409", r.status, r.raw)
	}
	// Resolving twice: 200 both times, one audit entry.
	for range 2 {
		if r := st.do(t, "POST", "/v1/queue/"+refund+"/resolve", nil, bearer(leadToken)); r.status != 200 || r.body["status"] != "closed" {
			t.Errorf("resolve = %d %s", r.status, r.raw)
		}
	}
	a := st.do(t, "GET", "/v1/audit?subject=cluster:"+refund, nil, bearer(managerToken))
	if strings.Count(a.raw, `"cluster.resolve"`) != 1 || strings.Count(a.raw, `"cluster.takeover"`) != 1 {
		t.Errorf("audit = %s; want one takeover and one resolve", a.raw)
	}
}

// Alerts over HTTP: declare (manager) and dismiss (agent), each once;
// linking resolves an open alert.
func TestAlertActionsOverHTTP(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	st := newStack(t, ctx, testConfig(), bustest.Embedded(t))
	var stored int64
	ids := []string{
		st.clusterOf(t, "a", "상품권 결제가 안 돼요", 1, &stored),
		st.clusterOf(t, "b", "배송 조회가 안 돼요", 1, &stored),
		st.clusterOf(t, "c", "앱 로그인이 안 돼요 비밀번호 오류", 1, &stored),
	}
	for _, id := range ids {
		if _, err := st.db.RaiseAlert(ctx, storage.Alert{ClusterID: id, RaisedAt: 1000, PerMinute: 20, Inquiries: 1, Customers: 1}); err != nil {
			t.Fatal(err)
		}
	}
	if r := st.do(t, "POST", "/v1/incidents", []byte(`{"id":"inc-x","title_ko":"장애","severity":"minor"}`), bearer(managerToken)); r.status != 201 {
		t.Fatalf("declare = %d %s", r.status, r.raw)
	}
	steps := []struct {
		name, path, body, token string
		status                  int
		code                    string
	}{
		{"an agent cannot declare", "/v1/alerts/" + ids[0] + "/declare", "", agentToken, 403, "forbidden"},
		{"declare", "/v1/alerts/" + ids[0] + "/declare", "", managerToken, 201, ""},
		{"declare again", "/v1/alerts/" + ids[0] + "/declare", "", managerToken, 409, "decided"},
		{"dismiss", "/v1/alerts/" + ids[1] + "/dismiss", "", agentToken, 200, ""},
		{"dismiss again", "/v1/alerts/" + ids[1] + "/dismiss", "", agentToken, 200, ""},
		{"dismiss by another", "/v1/alerts/" + ids[1] + "/dismiss", "", agent2Token, 409, "decided"},
		{"no such alert", "/v1/alerts/nope/dismiss", "", agentToken, 404, "not_found"},
		{"link resolves", "/v1/clusters/" + ids[2] + "/link", `{"incident_id":"inc-x"}`, agentToken, 200, ""},
		{"declare a resolved one", "/v1/alerts/" + ids[2] + "/declare", "", managerToken, 409, "decided"},
	}
	for _, tc := range steps {
		if r := st.do(t, "POST", tc.path, []byte(tc.body), bearer(tc.token)); r.status != tc.status || r.errorCode() != tc.code {
			t.Errorf("%s = %d %s, want %d %s", tc.name, r.status, r.raw, tc.status, tc.code)
		}
	}
	for status, want := range map[string]string{"declared": ids[0], "dismissed": ids[1], "resolved": ids[2]} {
		r := st.do(t, "GET", "/v1/alerts?status="+status, nil, bearer(readToken))
		if list, _ := r.body["alerts"].([]any); len(list) != 1 || list[0].(map[string]any)["cluster_id"] != want {
			t.Errorf("%s alerts = %s, want %s", status, r.raw, want)
		}
	}
	a := st.do(t, "GET", "/v1/audit?subject=alert:"+ids[1], nil, bearer(managerToken))
	if strings.Count(a.raw, `"alert.dismissed"`) != 1 {
		t.Errorf("audit = %s; want one dismissal", a.raw)
	}
}

// Members page with a filter; lists page with cursors, each item once;
// a wrong method is 405 with Allow; an unsupported locale is a 400.
func TestMembersPagingAndMethods(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	st := newStack(t, ctx, testConfig(), bustest.Embedded(t))
	var stored int64
	id := st.clusterOf(t, "m", "상품권 결제가 안 돼요 환불해 주세요", 25, &stored)

	seen := map[string]bool{}
	path := "/v1/clusters/" + id + "/members?limit=7"
	for pages := 0; pages < 10; pages++ {
		r := st.do(t, "GET", path, nil, bearer(agentToken))
		if r.status != 200 || r.body["total"] != float64(25) {
			t.Fatalf("members = %d %s", r.status, r.raw)
		}
		for _, m := range r.body["members"].([]any) {
			mid := m.(map[string]any)["id"].(string)
			if seen[mid] {
				t.Errorf("member %s twice", mid)
			}
			seen[mid] = true
		}
		next, _ := r.body["next_cursor"].(string)
		if next == "" {
			break
		}
		path = "/v1/clusters/" + id + "/members?limit=7&cursor=" + next
	}
	if len(seen) != 25 {
		t.Errorf("paged through %d members, want 25", len(seen))
	}
	r := st.do(t, "GET", "/v1/clusters/"+id+"/members?customer=kakao:m3", nil, bearer(agentToken))
	if list, _ := r.body["members"].([]any); len(list) != 1 || r.body["next_cursor"] != nil {
		t.Errorf("members of one customer = %s", r.raw)
	}
	if r := st.do(t, "GET", "/v1/clusters/"+id+"/members?q=%ED%99%98%EB%B6%88", nil, bearer(agentToken)); r.body["total"] != float64(25) {
		t.Errorf("members with q=환불 = %s", r.raw)
	}
	if r := st.do(t, "GET", "/v1/clusters/"+id+"/members?q=nothing-like-this", nil, bearer(agentToken)); r.body["total"] != float64(0) {
		t.Errorf("members with an unmatched q = %s", r.raw)
	}
	split := st.do(t, "POST", "/v1/clusters/"+id+"/split", []byte(`{"filter":{"customer":"m3"}}`), bearer(agentToken))
	if split.status != 201 || split.body["inquiries"] != float64(1) {
		t.Errorf("split by filter = %d %s", split.status, split.raw)
	}

	for _, tc := range []struct {
		method, path, allow string
		status              int
	}{
		{"GET", "/v1/queue/" + id + "/resolve", "POST", 405},
		{"DELETE", "/v1/clusters/" + id, "GET", 405},
		{"PUT", "/v1/queue/" + id + "/reply", "GET, POST", 405},
		{"GET", "/v1/no-such-thing", "", 404},
	} {
		r := st.do(t, tc.method, tc.path, nil, bearer(agentToken))
		if r.status != tc.status || r.header.Get("Allow") != tc.allow {
			t.Errorf("%s %s = %d Allow %q, want %d Allow %q", tc.method, tc.path, r.status, r.header.Get("Allow"), tc.status, tc.allow)
		}
	}
	for locale, status := range map[string]int{"klingon": 400, "ko-KR": 202, "en_US": 202, "EN": 202} {
		body := fmt.Sprintf(`{"source":"web","customer_id":"x","locale":%q,"text":"hello"}`, locale)
		if r := st.do(t, "POST", "/v1/inquiries", []byte(body), bearer(intakeToken)); r.status != status {
			t.Errorf("locale %s = %d %s, want %d", locale, r.status, r.raw, status)
		}
	}
	if r := st.do(t, "GET", "/v1/clusters?cursor=!!", nil, bearer(readToken)); r.status != http.StatusBadRequest {
		t.Errorf("a forged cursor = %d %s, want 400", r.status, r.raw)
	}
}

// twoClusterProblem makes two clusters (refund, login) of two inquiries
// each and puts them in one problem of their own, as a manager would.
func (st *stack) twoClusterProblem(t *testing.T) (problem, refund, login string) {
	t.Helper()
	var stored int64
	refund = st.clusterOf(t, "r", "결제 취소했는데 환불은 언제 되나요", 2, &stored)
	login = st.clusterOf(t, "l", "앱 로그인이 안 돼요 비밀번호 오류", 2, &stored)
	if refund == login {
		t.Fatal("the two texts share a cluster; the test needs two")
	}
	moved := st.do(t, "POST", "/v1/clusters/"+refund+"/move", []byte(`{}`), bearer(leadToken))
	problem, _ = moved.body["id"].(string)
	if moved.status != 200 || problem == "" {
		t.Fatalf("move out = %d %s", moved.status, moved.raw)
	}
	if r := st.do(t, "POST", "/v1/clusters/"+login+"/move", fmt.Appendf(nil, `{"problem_id":%q}`, problem), bearer(leadToken)); r.status != 200 {
		t.Fatalf("move in = %d %s", r.status, r.raw)
	}
	return problem, refund, login
}

// A problem's claim over HTTP: two agents racing, one wins; the other is
// refused on the problem and on each of its clusters; a takeover needs a
// manager.
func TestProblemClaim(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	st := newStack(t, ctx, testConfig(), bustest.Embedded(t))
	problem, _, login := st.twoClusterProblem(t)

	if got := st.race(t, "POST", "/v1/problems/"+problem+"/claim", ""); got != [2]int{200, 409} {
		t.Fatalf("racing problem claims = %v, want one 200 and one 409", got)
	}
	var holder string
	for _, tok := range []string{agentToken, agent2Token} {
		if r := st.do(t, "POST", "/v1/problems/"+problem+"/claim", nil, bearer(tok)); r.status == 200 {
			holder, _ = r.body["claimed_by"].(string)
			if ids, _ := r.body["cluster_ids"].([]any); len(ids) != 2 {
				t.Errorf("the holder's renewal claimed %v, want both clusters", r.body["cluster_ids"])
			}
		}
	}
	other := map[string]string{"lee.agent": agent2Token, "park.agent": agentToken}[holder]
	if other == "" {
		t.Fatalf("holder %q", holder)
	}
	for _, req := range []struct{ path, body string }{
		{"/v1/problems/" + problem + "/claim", ""},
		{"/v1/problems/" + problem + "/reply", `{"text":"확인 중입니다"}`},
		{"/v1/problems/" + problem + "/resolve", ""},
		{"/v1/queue/" + login + "/reply", `{"text":"확인 중입니다"}`},
		{"/v1/clusters/" + login + "/move", `{}`},
	} {
		r := st.do(t, "POST", req.path, []byte(req.body), bearer(other))
		if r.status != 409 || r.errorCode() != "claimed" || !strings.Contains(r.raw, holder) {
			t.Errorf("%s by the other agent = %d %s, want 409 claimed naming %s", req.path, r.status, r.raw, holder)
		}
	}
	if r := st.do(t, "POST", "/v1/problems/"+problem+"/claim", []byte(`{"takeover":true}`), bearer(other)); r.status != 403 {
		t.Errorf("an agent's takeover = %d %s, want 403", r.status, r.raw)
	}
	if r := st.do(t, "POST", "/v1/problems/"+problem+"/claim", []byte(`{"takeover":true}`), bearer(leadToken)); r.status != 200 || r.body["claimed_by"] != "choi.lead" {
		t.Errorf("the manager's takeover = %d %s", r.status, r.raw)
	}
	if r := st.do(t, "POST", "/v1/problems/p-none/claim", nil, bearer(agentToken)); r.status != 404 {
		t.Errorf("claim of an unknown problem = %d %s, want 404", r.status, r.raw)
	}
}

// Linking a problem links each of its open clusters, once; bad input
// changes nothing; another agent's claim refuses it.
func TestProblemLink(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	st := newStack(t, ctx, testConfig(), bustest.Embedded(t))
	problem, refund, login := st.twoClusterProblem(t)
	if r := st.do(t, "POST", "/v1/incidents", []byte(`{"id":"inc-pay","title_ko":"결제 장애","severity":"major"}`), bearer(managerToken)); r.status != 201 {
		t.Fatalf("declare = %d %s", r.status, r.raw)
	}
	path := "/v1/problems/" + problem + "/link"
	for _, tc := range []struct {
		name, path, body string
		status           int
		code             string
	}{
		{"no incident", path, `{}`, 400, "missing_field"},
		{"unknown incident", path, `{"incident_id":"inc-none"}`, 404, "not_found"},
		{"unknown problem", "/v1/problems/p-none/link", `{"incident_id":"inc-pay"}`, 404, "not_found"},
	} {
		if r := st.do(t, "POST", tc.path, []byte(tc.body), bearer(agentToken)); r.status != tc.status || r.errorCode() != tc.code {
			t.Errorf("%s = %d %s, want %d %s", tc.name, r.status, r.raw, tc.status, tc.code)
		}
	}
	for _, id := range []string{refund, login} {
		if r := st.do(t, "GET", "/v1/clusters/"+id, nil, bearer(readToken)); r.body["incident_id"] != nil {
			t.Fatalf("refused links changed cluster %s: %s", id, r.raw)
		}
	}

	if r := st.do(t, "POST", "/v1/queue/"+login+"/claim", nil, bearer(agent2Token)); r.status != 200 {
		t.Fatalf("claim = %d %s", r.status, r.raw)
	}
	if r := st.do(t, "POST", path, []byte(`{"incident_id":"inc-pay"}`), bearer(agentToken)); r.status != 409 || r.errorCode() != "claimed" {
		t.Errorf("link while another agent holds a cluster = %d %s, want 409 claimed", r.status, r.raw)
	}
	r := st.do(t, "POST", path, []byte(`{"incident_id":"inc-pay"}`), bearer(agent2Token))
	if r.status != 200 || r.body["clusters_linked"] != float64(2) {
		t.Fatalf("link by the holder = %d %s, want both clusters linked", r.status, r.raw)
	}
	for _, id := range []string{refund, login} {
		if r := st.do(t, "GET", "/v1/clusters/"+id, nil, bearer(readToken)); r.body["incident_id"] != "inc-pay" {
			t.Errorf("cluster %s after the link: %s", id, r.raw)
		}
	}
	if r := st.do(t, "POST", path, []byte(`{"incident_id":"inc-pay"}`), bearer(agent2Token)); r.status != 200 || r.body["clusters_linked"] != float64(0) {
		t.Errorf("linking again = %d %s, want nothing more linked", r.status, r.raw)
	}
}

// Members selected by a filter move into another cluster over HTTP.
func TestMoveMembersByFilter(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	st := newStack(t, ctx, testConfig(), bustest.Embedded(t))
	var stored int64
	refund := st.clusterOf(t, "r", "결제 취소했는데 환불은 언제 되나요", 3, &stored)
	login := st.clusterOf(t, "l", "앱 로그인이 안 돼요 비밀번호 오류", 2, &stored)
	if refund == login {
		t.Fatal("the two texts share a cluster; the test needs two")
	}
	for _, tc := range []struct {
		body   string
		status int
	}{
		{fmt.Sprintf(`{"into":%q,"filter":{"customer":"r0"}}`, refund), 400},
		{`{"into":"cl-none","filter":{"customer":"r0"}}`, 404},
		{fmt.Sprintf(`{"into":%q}`, login), 400},
		{fmt.Sprintf(`{"into":%q,"filter":{"customer":"nobody"}}`, login), 400},
	} {
		if r := st.do(t, "POST", "/v1/clusters/"+refund+"/split", []byte(tc.body), bearer(agentToken)); r.status != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.body, r.status, r.raw, tc.status)
		}
	}
	r := st.do(t, "POST", "/v1/clusters/"+refund+"/split", fmt.Appendf(nil, `{"into":%q,"filter":{"customer":"kakao:r0"}}`, login), bearer(agentToken))
	if r.status != 200 || r.body["id"] != login || r.body["inquiries"] != float64(3) {
		t.Fatalf("move = %d %s, want 200 with %s holding 3", r.status, r.raw, login)
	}
	if c := st.do(t, "GET", "/v1/clusters/"+refund, nil, bearer(readToken)); c.body["inquiries"] != float64(2) {
		t.Errorf("the cluster moved from holds %v inquiries, want 2", c.body["inquiries"])
	}
}

// Paging through GET /v1/problems returns each problem once, with the
// total.
func TestProblemsPage(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	st := newStack(t, ctx, testConfig(), bustest.Embedded(t))
	var stored int64
	want := map[string]bool{}
	for i, text := range []string{"결제 취소했는데 환불은 언제 되나요", "앱 로그인이 안 돼요 비밀번호 오류", "배송 조회 화면이 하얗게 나와요"} {
		c := st.clusterOf(t, fmt.Sprintf("p%d-", i), text, i+1, &stored)
		r := st.do(t, "POST", "/v1/clusters/"+c+"/move", []byte(`{}`), bearer(agentToken))
		if r.status != 200 {
			t.Fatalf("move = %d %s", r.status, r.raw)
		}
		want[r.body["id"].(string)] = true
	}
	seen := map[string]int{}
	path := "/v1/problems?limit=1"
	for pages := 0; path != ""; pages++ {
		if pages > 5 {
			t.Fatal("more than 5 pages of 1 for 3 problems")
		}
		r := st.do(t, "GET", path, nil, bearer(readToken))
		if r.status != 200 || r.body["total"] != float64(len(want)) {
			t.Fatalf("GET %s = %d %s, want total %d", path, r.status, r.raw, len(want))
		}
		for _, p := range r.body["problems"].([]any) {
			seen[p.(map[string]any)["id"].(string)]++
		}
		path = ""
		if next, ok := r.body["next_cursor"].(string); ok {
			path = "/v1/problems?limit=1&cursor=" + next
		}
	}
	for id := range want {
		if seen[id] != 1 {
			t.Errorf("problem %s seen %d times, want once (seen %v)", id, seen[id], seen)
		}
	}
	if len(seen) != len(want) {
		t.Errorf("pages gave %v, want %v", seen, want)
	}
	if r := st.do(t, "GET", "/v1/problems?cursor=nope", nil, bearer(readToken)); r.status != 400 {
		t.Errorf("a bad cursor = %d, want 400", r.status)
	}
}

// Naming a problem over HTTP: the queue and the problem show the name;
// bad requests change nothing.
func TestProblemName(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	st := newStack(t, ctx, testConfig(), bustest.Embedded(t))
	problem, _, _ := st.twoClusterProblem(t)
	path := "/v1/problems/" + problem + "/name"

	r := st.do(t, "POST", path, []byte(`{"title_ko":"환불·로그인 문의","title_en":"Refunds and logins"}`), bearer(agentToken))
	if r.status != 200 || r.body["title"] != "환불·로그인 문의" || r.body["other_title"] != "Refunds and logins" || r.body["named_by"] == nil {
		t.Fatalf("name = %d %s", r.status, r.raw)
	}
	q := st.do(t, "GET", "/v1/queue", nil, bearer(agentToken))
	if !strings.Contains(q.raw, `"title":"환불·로그인 문의"`) {
		t.Errorf("the queue does not show the name: %s", q.raw)
	}
	for _, tc := range []struct {
		name, path, body, token, code string
		status                        int
	}{
		{"no title", path, `{"title_ko":" "}`, agentToken, "missing_field", 400},
		{"too long", path, `{"title_en":"` + strings.Repeat("x", 81) + `"}`, agentToken, "invalid_field", 400},
		{"unknown field", path, `{"title":"x"}`, agentToken, "invalid_json", 400},
		{"unknown problem", "/v1/problems/nope/name", `{"title_ko":"x"}`, agentToken, "not_found", 404},
		{"read role only", path, `{"title_ko":"x"}`, readToken, "forbidden", 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if r := st.do(t, "POST", tc.path, []byte(tc.body), bearer(tc.token)); r.status != tc.status || r.errorCode() != tc.code {
				t.Fatalf("%d %s; want %d %s", r.status, r.raw, tc.status, tc.code)
			}
		})
	}
	if r := st.do(t, "GET", "/v1/problems/"+problem, nil, bearer(readToken)); r.body["title"] != "환불·로그인 문의" {
		t.Errorf("after refused requests the problem is titled %v", r.body["title"])
	}
}
