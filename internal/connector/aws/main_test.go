package aws_test

import (
	"testing"

	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
)

func TestMain(m *testing.M) { postgrestest.Main(m) }
