package slackbot

import (
	"flag"
	"os"
	"testing"
)

// TestMain runs up to 8 tests at once unless -parallel says otherwise:
// these tests mostly wait on the board's ticks and the fake Slack, not on
// the CPU, so go test's default (GOMAXPROCS, 2 on a small machine) left
// the package waiting in pairs.
func TestMain(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		_ = flag.Set("test.parallel", "8")
	}
	os.Exit(m.Run())
}
