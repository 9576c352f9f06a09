package entra_test

import (
	"os"
	"testing"

	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
)

func TestMain(m *testing.M) {
	if os.Getenv(simChildEnv) == "1" { // the benchmark's simulator process (bench_test.go)
		serveSimChild()
		return
	}
	postgrestest.Main(m)
}
