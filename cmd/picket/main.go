// Command picket is Picket's single binary: see internal/cli for commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/picket-dev/picket/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr})
	stop()
	os.Exit(code)
}
