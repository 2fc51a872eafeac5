package config_test

import (
	"testing"

	"github.com/surgedesk/surgedesk/config"
	"github.com/surgedesk/surgedesk/triage"
)

// config owns its defaults, but the clustering ones are triage's tuned
// values: a retuning must change both, or serve and the library disagree.
func TestTriageDefaultsMatchTriage(t *testing.T) {
	got, want := config.Default().Triage, triage.DefaultOptions()
	if got.Threshold != want.Threshold || got.IdleWindow != want.IdleWindow {
		t.Errorf("config triage defaults = threshold %v, idle window %v; triage's are %v, %v",
			got.Threshold, got.IdleWindow, want.Threshold, want.IdleWindow)
	}
}
