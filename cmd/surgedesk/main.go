// Command surgedesk is the support desk's shield for outage surges.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/surgedesk/surgedesk/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr))
}
