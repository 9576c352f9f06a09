package simproc_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/open-sspm/open-sspm/internal/providersim/simproc"
)

func TestMux(t *testing.T) {
	calls := 0
	mux := simproc.Mux(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls++ }),
		func() any { return map[string]int{"calls": calls} }, func() { calls = 0 })
	for _, tt := range []struct{ path, want string }{
		{"/api/x", ""}, {"/api/y", ""}, {simproc.StatsPath, `{"calls":2}`}, {simproc.StatsPath + "?reset=1", `{"calls":0}`},
	} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tt.path, nil))
		if got := strings.TrimSpace(rec.Body.String()); got != tt.want {
			t.Errorf("GET %s = %q, want %q", tt.path, got, tt.want)
		}
	}
}

func TestPeakRSS(t *testing.T) {
	if got := simproc.PeakRSS(os.Getpid()); (runtime.GOOS == "linux") != (got > 0) {
		t.Errorf("PeakRSS = %d on %s", got, runtime.GOOS)
	}
	if got := simproc.Rows(map[string]int64{"accounts": 3, "groups": 4}); got != 7 {
		t.Errorf("Rows = %d", got)
	}
}
