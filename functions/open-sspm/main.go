// Command open-sspm is the local runtime: `open-sspm dev` runs every lane, the scheduler, PostgreSQL and the
// HTTP server in one process. See internal/cli.
package main

import (
	"os"

	"github.com/open-sspm/open-sspm/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args, os.Stdout, os.Stderr))
}
