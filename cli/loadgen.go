package cli

import (
	"context"
	"errors"
	"io"
)

// runLoadgen is replaced by the load generator work.
func runLoadgen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("not implemented yet")
}
