package cli

import (
	"context"
	"errors"
	"io"
)

// runEval is replaced by the clustering evaluation work.
func runEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("not implemented yet")
}
