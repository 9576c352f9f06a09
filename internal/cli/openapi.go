package cli

import (
	"context"

	"github.com/open-sspm/open-sspm/internal/api"
)

// openapi prints the admin API's OpenAPI 3.1 document (frontend/src/api/openapi.json is generated from it).
func (c *command) openapi(_ context.Context, args []string) error {
	fs := c.flags("openapi")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return api.WriteOpenAPI(c.stdout)
}
