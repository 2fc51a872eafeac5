package workers

import (
	"testing"

	"github.com/surgedesk/surgedesk/storage"
)

func TestPlacementsWriteOnlyWhatChanged(t *testing.T) {
	var w placements
	login := storage.Problem{ID: "p1", Title: "로그인이 안 돼요", TitleLang: "ko"}
	if !w.changed("c1", &login) {
		t.Fatal("a placement never committed is unchanged")
	}
	w.record([]storage.Cluster{{ID: "c1", Placement: &login}, {ID: "c2"}})
	retitled := login
	retitled.OtherTitle, retitled.OtherLang = "can't log in", "en"
	anchored := login
	anchored.IncidentID = "inc-login"
	tests := []struct {
		name    string
		cluster string
		p       storage.Problem
		want    bool
	}{
		{"same problem, same title", "c1", login, false},
		{"another problem", "c1", storage.Problem{ID: "p2", Title: "결제 오류"}, true},
		{"the problem's title changed", "c1", retitled, true},
		{"the problem's incident changed", "c1", anchored, true},
		{"a cluster without a placement committed", "c2", login, true},
		{"a new cluster in a known problem", "c3", login, true},
	}
	for _, tc := range tests {
		if got := w.changed(tc.cluster, &tc.p); got != tc.want {
			t.Errorf("%s: changed = %v, want %v", tc.name, got, tc.want)
		}
	}
}
