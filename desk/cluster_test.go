package desk_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/surgedesk/surgedesk/desk"
	"github.com/surgedesk/surgedesk/storage"
)

// Bad input is refused before anything is read or changed (the desk has no
// store here: touching it would panic).
func TestInputRefused(t *testing.T) {
	d := desk.New(desk.Options{})
	ctx := context.Background()
	many := make([]string, desk.MaxSplit+1)
	for i := range many {
		many[i] = "iq"
	}
	cases := []struct {
		name string
		act  func() error
		want error
	}{
		{"empty reply", func() error { _, err := d.Reply(ctx, "kim", "cl", "  \n "); return err }, desk.ErrMissing},
		{"long Korean reply", func() error { _, err := d.Reply(ctx, "kim", "cl", strings.Repeat("환", 1400)); return err }, desk.ErrInvalid},
		{"link without incident", func() error { return d.Link(ctx, "kim", "cl", "") }, desk.ErrMissing},
		{"merge without target", func() error { _, err := d.Merge(ctx, "kim", "cl", ""); return err }, desk.ErrMissing},
		{"merge into itself", func() error { _, err := d.Merge(ctx, "kim", "cl", "cl"); return err }, desk.ErrInvalid},
		{"split nothing", func() error { _, err := d.Split(ctx, "kim", "cl", nil); return err }, desk.ErrMissing},
		{"split too many", func() error { _, err := d.Split(ctx, "kim", "cl", many); return err }, desk.ErrInvalid},
		{"split an empty id", func() error { _, err := d.Split(ctx, "kim", "cl", []string{"a", ""}); return err }, desk.ErrInvalid},
		{"split by an empty filter", func() error { _, err := d.SplitMatching(ctx, "kim", "cl", storage.MemberFilter{}); return err }, desk.ErrMissing},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.act(); !errors.Is(err, tc.want) || strings.HasPrefix(err.Error(), "desk:") {
				t.Errorf("err = %v, want %v with a message for people", err, tc.want)
			}
		})
	}
}
