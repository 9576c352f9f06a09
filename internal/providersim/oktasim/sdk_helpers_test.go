package oktasim

import (
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/okta/okta-sdk-golang/v5/okta"

	"github.com/open-sspm/open-sspm/internal/providersim"
)

// company builds a company or fails the test.
func company(t testing.TB, cfg providersim.CompanyConfig) *providersim.Company {
	t.Helper()
	c, err := providersim.NewCompany(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// isolateOktaEnv keeps ~/.okta/okta.yaml and OKTA_* variables out of the
// SDK's configuration.
func isolateOktaEnv(t testing.TB) {
	t.Setenv("HOME", t.TempDir())
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "OKTA_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
}

// sdkClient returns the real okta-sdk-golang v5 client pointed at s, built
// the way the package documentation describes.
func sdkClient(t testing.TB, s *Server, extra ...okta.ConfigSetter) *okta.APIClient {
	t.Helper()
	isolateOktaEnv(t)
	setters := append([]okta.ConfigSetter{
		okta.WithOrgUrl(s.URL()),
		okta.WithToken(DefaultToken),
		okta.WithCache(false),
		okta.WithHttpClientPtr(s.Client()),
		okta.WithRequestTimeout(10),
		okta.WithRateLimitMaxRetries(4),
		okta.WithRateLimitMaxBackOff(2),
		okta.WithTestingDisableHttpsCheck(true),
	}, extra...)
	cfg, err := okta.NewConfiguration(setters...)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	cfg.Host = u.Host // the SDK keeps only the hostname; put the port back
	return okta.NewAPIClient(cfg)
}

// afterParam returns the `after` query parameter of a next link.
func afterParam(t testing.TB, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	after := u.Query().Get("after")
	if after == "" {
		t.Fatalf("next link %q has no after", link)
	}
	return after
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
