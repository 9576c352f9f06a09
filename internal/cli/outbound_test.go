package cli_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/open-sspm/open-sspm/internal/cli"
	"github.com/open-sspm/open-sspm/internal/outbound"
)

// A malformed OPEN_SSPM_ALLOWED_PRIVATE_NETWORKS stops the command before it does anything, naming the entry.
func TestBadAllowedNetworksStopStartUp(t *testing.T) {
	t.Setenv(outbound.EnvAllowedNetworks, "10.0.0.0/8, 10.1.2.3/40")
	var stdout, stderr bytes.Buffer
	code := cli.Main(context.Background(), []string{"open-sspm", "help"}, &stdout, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), outbound.EnvAllowedNetworks) || !strings.Contains(stderr.String(), "10.1.2.3/40") || stdout.Len() != 0 {
		t.Fatalf("exit %d, stderr %q, stdout %q: want exit 2 naming the setting and the entry", code, stderr.String(), stdout.String())
	}
}
