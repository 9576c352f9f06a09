package outbound

import "testing"

// The environment's proxy settings are never used: the dialer would check the proxy, not the provider, and
// an HTTPS_PROXY left in a Lambda's environment would see every credential's destination.
func TestNoProxyFromEnvironment(t *testing.T) {
	t.Setenv("HTTPS_PROXY", "http://proxy.example.com:3128")
	t.Setenv("HTTP_PROXY", "http://proxy.example.com:3128")
	if Strict().transport.Proxy != nil {
		t.Fatal("the transport uses a proxy")
	}
}
